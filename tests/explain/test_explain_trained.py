"""Grad-CAM of models trained here on the synthetic data, the explain CLI and the Predictions page.

One run per framework is trained through the pipeline (queue, worker process, run store):
96 px, width 0.5, 8 epochs, about 30-40 s each on 2 idle cores. Then: the pointing game on the
synthetic test split against chance, faithfulness against random maps, the CLI and the page on
good, odd and broken images, and runs whose weights are missing or damaged.

Why 96 px and not 64: the synthetic lesions cover about 4% of an image, a few pixels wide at
64 px. Measured at 64 px, Grad-CAM's hit rate moved between 0.01 and 0.38 from one layer,
setting or framework to the next; at 96 px, on the default layer (conv5, a 6 x 6 map), it was
0.29-0.60 for both frameworks over four seeds (0.60 torch, 0.375 Keras at seed 0), against a
chance of 0.04.
"""

import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import pipeline.explain.torch_cams  # noqa: F401  the torch stack before TensorFlow
from benchmarks.gradcam_faithfulness import SIZE, TRAINING  # the setting the benchmark measures
from pipeline.data import load_split
from pipeline.data.images import MAX_PIXELS
from pipeline.explain import (
    agreement,
    default_layer,
    faithfulness,
    make_explainer,
    map_side,
    pointing_game,
)
from pipeline.explain.__main__ import main as explain_cli

# It trains two models (about 30-40 s each on 2 idle cores): part of `make test`, not test-fast.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
HOME = str(ROOT / "dashboard" / "Home.py")
FRAMEWORKS = ("keras", "torch")
# The pointing game's margin: the hottest pixel must land in a lesion at least this much more
# often than a random point does (chance: about 0.04), i.e. six times as often or more.
MARGIN = 0.2


@pytest.fixture(scope="module")
def runs() -> dict[str, str]:
    """One finished run per framework; both queued first, then trained one after the other."""
    from pipeline.training.config import TrainConfig
    from pipeline.training.queue import trigger, wait

    outcomes = {
        fw: trigger(TrainConfig.from_preset("quick", framework=fw, **TRAINING)) for fw in FRAMEWORKS
    }
    for framework, outcome in outcomes.items():
        status = wait(outcome.run)
        assert status.status == "finished", (framework, status)
    return {framework: outcome.run.id for framework, outcome in outcomes.items()}


@pytest.fixture(scope="module")
def models(runs):
    from pipeline.inference import load_run_model

    return {framework: load_run_model(run_id) for framework, run_id in runs.items()}


@pytest.fixture(scope="module")
def test_split():
    return load_split("synthetic", "test", SIZE)


@pytest.fixture(scope="module")
def pneumonia_maps(models, test_split):
    """Grad-CAM (the default layer: conv5 at 96 px, evidence for PNEUMONIA) of every test image."""
    return {
        framework: make_explainer(loaded)(test_split.images) for framework, loaded in models.items()
    }


# ---- do the maps find the lesions? ----


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_models_learned_the_task(runs, framework):
    from pipeline.runs import Run

    auc = Run(runs[framework]).result().val.auc
    print(f"{framework}: validation AUC {auc:.3f}")
    assert auc > 0.8, "the pointing game means little for a model that has not learned the task"


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_grad_cam_points_at_the_lesions_clearly_more_often_than_chance(
    pneumonia_maps, test_split, framework
):
    game = pointing_game(
        pneumonia_maps[framework], test_split.masks, grid=map_side(SIZE, default_layer(SIZE))
    )
    print(
        f"{framework}: hit rate {game.hit_rate:.3f} over {game.images} PNEUMONIA test images; chance "
        f"{game.chance:.3f}, best fixed point {game.fixed_point:.3f}, reachable {game.reachable:.3f}"
    )
    assert game.images == int((test_split.labels == 1).sum())
    assert game.hit_rate >= game.chance + MARGIN


def test_the_two_frameworks_look_at_similar_places(pneumonia_maps, test_split):
    """Two independently trained models: their top-20% regions overlap more than random regions do."""
    lesions = test_split.labels == 1
    scores = np.array(
        [
            agreement(k, t)
            for k, t in zip(pneumonia_maps["keras"][lesions], pneumonia_maps["torch"][lesions])
        ]
    )
    mean = np.nanmean(scores)
    print(
        f"agreement (IoU of top-20% regions): mean {mean:.3f} over {np.isfinite(scores).sum()} image pairs"
    )
    assert (
        mean > 0.3
    )  # two independent random 20% regions: about 0.11; 0.48-0.63 seen at conv5, 96 px


# ROAD (in logits) of random maps is 0 in expectation: removing random pixels first or last takes
# nothing in particular away. 48 random-map means over the 32 images (three draws per model, 16
# models: both frameworks, seeds 0-4 with AVX-512 kernels and 0-2 with AVX2 ones;
# benchmarks/gradcam_faithfulness.py) had mean -0.011, sd 0.039, range -0.111 to +0.068: the
# bound is six of those standard deviations from 0.
RANDOM_ROAD = 0.25


@pytest.fixture(scope="module")
def road(models, pneumonia_maps, test_split) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per framework, ROAD per image of Grad-CAM and of random maps (the first 32 PNEUMONIA images)."""
    # 32 images, not 8: ROAD's score per image is noisy; the mean over 32 is what a claim is about
    chosen = np.flatnonzero(test_split.labels == 1)[:32]
    images = test_split.images[chosen]
    random_maps = np.random.default_rng(0).random(images.shape).astype(np.float32)
    scores = {}
    for framework in FRAMEWORKS:
        explainer = make_explainer(models[framework])
        grad_cam = faithfulness(explainer, images, pneumonia_maps[framework][chosen])
        scores[framework] = grad_cam, faithfulness(explainer, images, random_maps)
        print(
            f"{framework}: ROAD Grad-CAM {grad_cam.mean():+.3f}, "
            f"random maps {scores[framework][1].mean():+.3f}"
        )
    return scores


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_faithfulness_is_measured_and_random_maps_score_about_zero(road, framework):
    """What holds for both frameworks on every machine: ROAD is measured, and calibrated."""
    grad_cam, random = road[framework]
    assert grad_cam.shape == random.shape == (32,)
    assert np.isfinite(grad_cam).all() and np.isfinite(random).all()
    assert abs(random.mean()) < RANDOM_ROAD


# Torch only. Over 8 models (seeds 0-4 with AVX-512 kernels, 0-2 with oneDNN and ATen held to
# AVX2), PyTorch's Grad-CAM beat the random maps in every one, by 1.19 to 2.53 (mean 1.70, sd
# 0.47: 0 is 3.7 sd away). Keras' did in 7 of 8, by -0.43 to +3.83 (mean 1.69, sd 1.69), and
# changed sign with the CPU's instruction set alone: at seed 0 its Grad-CAM scored +0.456 with
# AVX-512 kernels and -0.443 with AVX2 ones, random maps -0.015 and -0.016 (issue 21 met +0.456
# and -0.35 on two machines). Being more faithful than a random map is not a property of Keras'
# Grad-CAM here, so it is not asserted; the test above prints it, and docs/generalisation.md
# ("Grad-CAM's faithfulness over seeds") gives the spread.
@pytest.mark.parametrize("framework", ["torch"])
def test_grad_cam_is_more_faithful_than_a_random_map(road, framework):
    grad_cam, random = road[framework]
    assert grad_cam.mean() > random.mean()


# ---- images as users have them ----


def upright_image(index: int = 0) -> Image.Image:
    """A test X-ray (128 px), made taller than wide so that a wrong rotation would show."""
    pixels = load_split("synthetic", "test", 128).images[index]
    return Image.fromarray(np.vstack([pixels, pixels[:64]]))


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def sixteen_bit_png(image: Image.Image) -> bytes:
    wide = np.asarray(image).astype(np.uint16) * 257  # the same picture over 0-65535
    return encode(Image.fromarray(wide), "PNG")


def rgba_png(image: Image.Image) -> bytes:
    rgba = image.convert("RGBA")
    rgba.putalpha(255)
    return encode(rgba, "PNG")


def exif_rotated_jpeg(image: Image.Image) -> bytes:
    """Stored rotated by 90 degrees, with EXIF orientation 6 ("rotate 90 CW to view")."""
    exif = Image.Exif()
    exif[0x0112] = 6
    return encode(image.transpose(Image.Transpose.ROTATE_90), "JPEG", quality=95, exif=exif)


def animated_gif(image: Image.Image) -> bytes:
    other = Image.fromarray(255 - np.asarray(image))
    return encode(image, "GIF", save_all=True, append_images=[other], duration=100, loop=0)


def bomb_png() -> bytes:
    """A few kB that declare more pixels than MAX_PIXELS."""
    side = int(MAX_PIXELS**0.5) + 100
    return encode(Image.new("1", (side, side)), "PNG")


BROKEN = {  # name -> (bytes, what the message must say)
    "not an image": (lambda image: b"<html>404 not found</html>", "not an image"),
    "empty": (lambda image: b"", "empty file"),
    "truncated PNG": (lambda image: encode(image, "PNG")[:400], "unreadable image"),
    "truncated JPEG": (lambda image: encode(image, "JPEG")[:300], "unreadable image"),
    "decompression bomb": (lambda image: bomb_png(), "too many pixels"),
}
CONVERTED = {  # name -> (bytes, the plain file it must read as, how close: lossy formats differ a little)
    "16-bit PNG": (sixteen_bit_png, lambda image: encode(image, "PNG"), 0.0),
    "RGBA PNG": (rgba_png, lambda image: encode(image, "PNG"), 0.0),
    "CMYK JPEG": (
        lambda image: encode(image.convert("CMYK"), "JPEG", quality=95),
        lambda image: encode(image, "JPEG", quality=95),
        0.05,
    ),
    "EXIF-rotated JPEG": (exif_rotated_jpeg, lambda image: encode(image, "JPEG", quality=95), 0.05),
    "animated GIF": (animated_gif, lambda image: encode(image, "PNG"), 0.0),
}


def run_cli(
    tmp_path, run_id, data: bytes, name: str, capsys, *options
) -> tuple[int, str, str, Path]:
    image, out = tmp_path / name, tmp_path / f"{name}.overlay.png"
    image.write_bytes(data)
    code = explain_cli(
        ["--run", run_id, "--image", str(image), "--out", str(out), "--json", *options]
    )
    captured = capsys.readouterr()
    return code, captured.out, captured.err, out


@pytest.mark.parametrize("kind", BROKEN)
def test_cli_broken_image_is_a_message_and_exit_2(runs, tmp_path, capsys, kind):
    make, reason = BROKEN[kind]
    code, out, err, overlay = run_cli(
        tmp_path, runs["torch"], make(upright_image()), "x.png", capsys
    )
    assert code == 2
    assert err.startswith("error: ") and reason in err and "Traceback" not in err
    assert not overlay.exists() and out == ""


@pytest.mark.parametrize("kind", CONVERTED)
def test_cli_converts_odd_images_like_their_plain_version(runs, tmp_path, capsys, kind):
    make, plain, tolerance = CONVERTED[kind]
    image = upright_image()
    results, overlays = {}, {}
    for label, data in (
        ("odd", make(image)),
        ("plain", plain(image)),
        ("rotated", encode(image.transpose(Image.Transpose.ROTATE_90), "PNG")),
    ):
        code, out, err, overlay = run_cli(tmp_path, runs["keras"], data, f"{label}.img", capsys)
        assert code == 0, err
        results[label] = json.loads(out)
        overlays[label] = np.asarray(Image.open(overlay), np.float64)
        assert overlays[label].shape == (384, 384, 3)
    assert results["odd"]["probability"] == pytest.approx(
        results["plain"]["probability"], abs=tolerance + 1e-6
    )
    # The overlay shows the converted pixels and their map: the same picture, where a wrong
    # conversion (here: the image left rotated) changes it a lot.
    difference = np.abs(overlays["odd"] - overlays["plain"]).mean()
    assert difference <= 50 * tolerance < np.abs(overlays["rotated"] - overlays["plain"]).mean()


def test_cli_end_to_end_in_its_own_process(runs, models, tmp_path):
    """The real command: overlay written, the probability printed is the model's."""
    from pipeline.inference import predict_proba

    image = upright_image().resize((SIZE, SIZE))
    path, out = tmp_path / "chest.png", tmp_path / "overlay.png"
    image.save(path)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline.explain",
            "--run",
            runs["torch"],
            "--image",
            str(path),
            "--out",
            str(out),
            "--method",
            "gradcam++",
            "--layer",
            "conv4",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    printed = float(re.search(r"P\(PNEUMONIA\) = ([0-9.]+)", done.stdout).group(1))
    expected = predict_proba(models["torch"], np.asarray(image))[0]
    assert printed == pytest.approx(expected, abs=1e-4)
    assert "gradcam++" in done.stdout and Image.open(out).mode == "RGB"

    bad = tmp_path / "bad.png"
    bad.write_bytes(b"")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline.explain",
            "--run",
            runs["torch"],
            "--image",
            str(bad),
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2 and "empty file" in done.stderr and "Traceback" not in done.stderr


def test_cli_refuses_a_method_keras_does_not_have(runs, tmp_path, capsys):
    code, _, err, _ = run_cli(
        tmp_path,
        runs["keras"],
        encode(upright_image(), "PNG"),
        "x.png",
        capsys,
        "--method",
        "scorecam",
    )
    assert code == 2 and "keras runs offer --method gradcam, gradcam++" in err


def test_cli_missing_image_unknown_run_and_unwritable_output_are_messages(runs, tmp_path, capsys):
    image = tmp_path / "x.png"
    upright_image().save(image)
    for argv, message in (
        (["--run", runs["torch"], "--image", str(tmp_path / "nowhere.png")], "cannot read"),
        (["--run", "f" * 16, "--image", str(image)], f"no run {'f' * 16}"),
        (["--run", "not-a-run", "--image", str(image)], "is not a run id"),
    ):
        assert explain_cli([*argv, "--out", str(tmp_path / "o.png")]) == 2
        assert message in capsys.readouterr().err
    (tmp_path / "file").write_text("a file, not a folder")
    assert (
        explain_cli(
            [
                "--run",
                runs["torch"],
                "--image",
                str(image),
                "--out",
                str(tmp_path / "file" / "o.png"),
            ]
        )
        == 2
    )
    assert "cannot write" in capsys.readouterr().err


# ---- runs whose weights are gone or damaged ----


@pytest.fixture
def damaged_run(runs):
    """A copy of the torch run under another id, whose weights the test then damages."""
    from pipeline.runs import Run

    original = Run(runs["torch"])
    copy = Run("0" * 15 + "1")
    shutil.copytree(original.path, copy.path)
    yield copy
    shutil.rmtree(copy.path, ignore_errors=True)


@pytest.mark.parametrize("damage", ["missing", "corrupt", "truncated"])
def test_a_run_with_missing_or_damaged_weights_gets_a_message(
    damaged_run, tmp_path, capsys, damage
):
    weights = damaged_run.weights()
    if damage == "missing":
        weights.unlink()
    elif damage == "corrupt":
        weights.write_bytes(b"these are not weights")
    else:
        weights.write_bytes(weights.read_bytes()[:1000])

    code, _, err, _ = run_cli(
        tmp_path, damaged_run.id, encode(upright_image(), "PNG"), "x.png", capsys
    )

    assert code == 2 and "Traceback" not in err
    assert err.startswith(f"error: run {damaged_run.id}: the weights file")
    assert ("missing" if damage == "missing" else "damaged") in err
    assert f"python -m pipeline.runs delete {damaged_run.id}" in err  # what to do about it


# ---- the Predictions page ----


def open_page(runs):
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(HOME, default_timeout=60).run()
    app.switch_page("views/predictions.py").run()
    for framework, run_id in runs.items():
        app.selectbox(key=f"predictions_run_{framework}").set_value(run_id).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def metrics(app) -> list[tuple[str, str]]:
    return [(m.label, m.value) for m in app.main.metric]


def test_page_shows_both_verdicts_maps_agreement_and_pointing_game(
    runs, models, test_split, pneumonia_maps
):
    from pipeline.inference import predict_proba

    app = open_page(runs)
    app.selectbox(key="predictions_class").set_value("PNEUMONIA").run()
    assert not app.exception and not app.error, [e.value for e in [*app.exception, *app.error]]
    index = app.selectbox(key="predictions_image").value
    assert (
        test_split.labels[index] == 1 and app.toggle(key="predictions_outline").value
    )  # lesion outlined
    probabilities = [value for label, value in metrics(app) if label == "P(PNEUMONIA)"]
    expected = [predict_proba(models[fw], test_split.images[index])[0] for fw in FRAMEWORKS]
    assert probabilities == [f"{p:.3f}" for p in expected]  # Keras left, PyTorch right
    assert len([label for label, _ in metrics(app) if label == "Faithfulness (ROAD)"]) == 2
    shown = dict(metrics(app))[
        next(label for label, _ in metrics(app) if label.startswith("Agreement"))
    ]
    assert (
        shown == f"{agreement(pneumonia_maps['keras'][index], pneumonia_maps['torch'][index]):.2f}"
    )
    assert len(app.main.image) >= 2

    table = app.main.dataframe[0].value
    for framework, name in (("keras", "Keras"), ("torch", "PyTorch")):
        game = pointing_game(pneumonia_maps[framework], test_split.masks)
        assert table.loc[name, "hit rate"] == pytest.approx(game.hit_rate)
        assert table.loc[name, "chance (random point)"] == pytest.approx(game.chance)


def test_page_filters_pick_what_they_say(runs, models, test_split):
    from pipeline.inference import predict_proba

    app = open_page(runs)
    app.radio(key="predictions_filter_by").set_value("torch").run()
    app.selectbox(key="predictions_class").set_value("PNEUMONIA").run()
    app.slider(key="predictions_band").set_value((0.0, 0.5)).run()
    assert not app.exception, [e.value for e in app.exception]
    options = app.selectbox(key="predictions_image").options
    probabilities = predict_proba(models["torch"], test_split.images)
    expected = np.flatnonzero((test_split.labels == 1) & (probabilities <= 0.5))
    assert len(options) == len(expected) and all(
        f"#{i} · PNEUMONIA" in o for i, o in zip(expected, options)
    )


@pytest.mark.parametrize("kind", [*BROKEN, "too large"])
def test_page_broken_upload_is_a_message(runs, kind):
    data = (
        b"\x89PNG" + bytes(11 * 1024 * 1024)
        if kind == "too large"
        else BROKEN[kind][0](upright_image())
    )
    app = open_page(runs)
    app.radio(key="predictions_mode").set_value("Upload").run()
    app.file_uploader(key="predictions_upload").set_value(("chest.png", data, "image/png")).run()
    assert not app.exception, [e.value for e in app.exception]
    assert len(app.error) == 1
    assert ("MB; the limit is 10 MB" if kind == "too large" else BROKEN[kind][1]) in app.error[
        0
    ].value
    assert not [m for m in metrics(app) if m[0] == "P(PNEUMONIA)"]


@pytest.mark.parametrize("kind", CONVERTED)
def test_page_converts_odd_uploads_like_the_cli(runs, models, kind):
    from pipeline.data.images import read_grayscale
    from pipeline.inference import predict_proba

    make, _, _ = CONVERTED[kind]
    data = make(upright_image())
    app = open_page(runs)
    app.radio(key="predictions_mode").set_value("Upload").run()
    app.file_uploader(key="predictions_upload").set_value(("chest.jpg", data, "image/jpeg")).run()
    assert not app.exception and not app.error, [e.value for e in [*app.exception, *app.error]]
    expected = [predict_proba(models[fw], read_grayscale(data, SIZE)[0])[0] for fw in FRAMEWORKS]
    assert [v for label, v in metrics(app) if label == "P(PNEUMONIA)"] == [
        f"{p:.3f}" for p in expected
    ]


def test_page_names_a_run_it_cannot_load(runs, damaged_run):
    damaged_run.weights().write_bytes(b"garbage")
    app = open_page({"keras": runs["keras"], "torch": damaged_run.id})
    assert not app.exception, [e.value for e in app.exception]
    assert any(
        damaged_run.id in e.value and "cannot be used" in e.value and "damaged" in e.value
        for e in app.error
    )
    assert [label for label, _ in metrics(app)].count("P(PNEUMONIA)") == 1  # Keras still shown
