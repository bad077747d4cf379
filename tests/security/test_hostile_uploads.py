"""Hostile uploads: every image kind users have, through ``read_upload`` (the one function the
Predictions page, the Augmentation page and ``python -m pipeline.explain`` call on an uploaded
file), through both pages (Streamlit's AppTest sets the uploaders), and through the CLIs.

Odd-but-valid images are converted (grayscale, the asked size, upright, first frame) and the
conversion is said; broken ones are refused with a message saying what is wrong. A 1-pixel
image is refused: there is no picture to classify (the limit is MIN_SIDE pixels a side).
A file called ``<img src=x onerror=alert(1)>.png`` stays text wherever its name is shown.
"""

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from pipeline.data.images import (
    MAX_PIXELS,
    MAX_UPLOAD_MB,
    MIN_SIDE,
    ImageError,
    code_span,
    escape_markdown,
    printable_name,
    read_grayscale,
    read_upload,
)
from tests.helpers import hostile_files as hostile
from tests.helpers.configs import tiny

pytestmark = pytest.mark.filterwarnings(
    "ignore:Please import `affine_transform`:DeprecationWarning"
)

ROOT = Path(__file__).resolve().parents[2]
HOME = str(ROOT / "dashboard" / "Home.py")
SIZE = 32
RUN_SIZE = 32  # the tiny run the Predictions page and the CLIs use

# name -> (builder, words every conversion note list must hold; None = no note beyond the resize)
CONVERTED = {
    "16-bit PNG": (hostile.png_16bit, "I;16 grey levels scaled to 8 bits"),
    "RGBA PNG": (hostile.rgba_png, "transparency dropped"),
    "CMYK JPEG": (hostile.cmyk_jpeg, "CMYK colour made grayscale"),
    "EXIF-rotated JPEG": (hostile.exif_rotated_jpeg, "EXIF orientation applied"),
    "animated GIF": (hostile.animated_gif, "animated GIF: the first of its 2 frames is used"),
    "plain PNG": (hostile.plain_png, None),
}
# name -> (builder, words the refusal must hold)
REFUSED = {
    "truncated JPEG": (hostile.truncated_jpeg, "unreadable image"),
    "truncated PNG": (hostile.truncated_png, "unreadable image"),
    "zero bytes": (hostile.zero_bytes, "empty file (0 bytes)"),
    "HTML page as .jpeg": (hostile.html_page, "not an image (unrecognised format)"),
    "AppleDouble ._ file": (hostile.apple_double, "not an image"),
    ".DS_Store": (hostile.ds_store, "not an image"),
    "Thumbs.db": (hostile.thumbs_db, "not an image"),
    "text file": (hostile.text_file, "not an image"),
    "decompression bomb (30,000 x 30,000 declared)": (
        hostile.bomb_png,
        "too many pixels: a decompression bomb",
    ),
    "over the pixel limit (60 M pixels)": (
        lambda: hostile.big_pixel_count_png(60_000_000),
        f"too many pixels (7746 x 7746); the limit is {MAX_PIXELS:,}",
    ),
    "1 pixel": (
        hostile.one_pixel,
        f"too small (1 x 1 pixels); an X-ray needs at least {MIN_SIDE} a side",
    ),
    "over 10 MB": (
        lambda: hostile.plain_png() + bytes(11 * 2**20),
        "file too large (11.0 MB; the limit is 10 MB)",
    ),
}


def mean_gap(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(float) - b.astype(float)).mean())


# ---- the function every upload goes through ----


@pytest.mark.parametrize("case", CONVERTED)
def test_odd_images_are_converted_upright_and_the_conversion_is_said(case):
    make, note = CONVERTED[case]
    upload = read_upload(make(), SIZE)
    plain = read_grayscale(hostile.plain_png(), SIZE)[0]
    assert upload.pixels.shape == (SIZE, SIZE) and upload.pixels.dtype == np.uint8
    assert upload.original_size == (40, 64)  # as shown: width 40, height 64
    assert mean_gap(upload.pixels, plain) < 4, "the converted picture must be the plain one"
    top, bottom = upload.pixels[: SIZE // 4].mean(), upload.pixels[-SIZE // 4 :].mean()
    left, right = upload.pixels[:, : SIZE // 8].mean(), upload.pixels[:, -SIZE // 8 :].mean()
    assert top > bottom + 60 and left > right + 20, "upright: bright top, bright stripe on the left"
    assert upload.notes[-1] == f"resized from 40 x 64 to {SIZE} x {SIZE}, as training images are"
    if note:
        assert any(note in n for n in upload.notes), upload.notes
    else:
        assert len(upload.notes) == 1


def test_the_exif_rotated_jpeg_is_not_shown_lying_on_its_side():
    lying = hostile.upright().transpose(Image.Transpose.ROTATE_90)
    stored = read_grayscale(hostile.encode(lying, "PNG"), SIZE)[0]
    upright = read_upload(hostile.exif_rotated_jpeg(), SIZE).pixels
    assert mean_gap(upright, read_grayscale(hostile.plain_png(), SIZE)[0]) < 4
    assert mean_gap(upright, stored) > 30


def test_the_first_frame_of_an_animation_is_used_not_the_negative_second():
    pixels = read_upload(hostile.animated_gif(), SIZE).pixels
    assert pixels[: SIZE // 4].mean() > 180  # frame 2 is the negative: a dark top


@pytest.mark.parametrize("case", REFUSED)
def test_broken_uploads_are_refused_with_what_is_wrong(case):
    make, words = REFUSED[case]
    data = make()
    with pytest.raises(ImageError) as info:
        read_upload(data, SIZE)
    assert words in str(info.value), str(info.value)
    if case.startswith("decompression bomb"):
        assert len(data) < 200  # the bomb is tiny on disk


def test_upload_limits_agree_with_streamlits_setting():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == MAX_UPLOAD_MB
    read_upload(
        hostile.plain_png() + bytes(MAX_UPLOAD_MB * 2**20 - 2000), SIZE
    )  # just under: accepted


@pytest.mark.parametrize(
    "name, shown",
    [
        (hostile.HTML_NAME, "`<img src=x onerror=alert(1)>.png`"),
        ("a`b.png", "``a`b.png``"),
        ("`start.png", "`` `start.png ``"),
        ("line\nbreak.png", "`line\\x0abreak.png`"),
        ("caf\udce9.png", "`caf\\xe9.png`"),  # a name that was not UTF-8, as Python hands it over
    ],
)
def test_file_names_are_shown_as_literal_text(name, shown):
    assert code_span(printable_name(name)) == shown


def test_captions_escape_markdown_and_html():
    assert escape_markdown(hostile.HTML_NAME) == "\\<img src=x onerror=alert\\(1\\)\\>.png"
    assert (
        escape_markdown("[x](javascript:alert(1)) :red[big] $x$")
        == "\\[x\\]\\(javascript\\:alert\\(1\\)\\) \\:red\\[big\\] \\$x\\$"
    )


# ---- the Augmentation page ----


@pytest.mark.app
def test_augmentation_page_takes_every_kind_of_upload():
    app = AppTest.from_file(HOME, default_timeout=300).run()
    app.switch_page("views/augmentation.py").run()
    app.radio(key="aug_pick").set_value("Upload").run()
    app.slider(key="aug_count").set_value(
        1
    )  # one sample per framework: the upload is what is tested
    assert not app.exception
    for case, (make, words) in REFUSED.items():
        app.file_uploader(key="aug_image_upload").set_value(
            (hostile.HTML_NAME, make(), "image/png")
        ).run()
        assert not app.exception, (case, [e.value for e in app.exception])
        errors = [e.value for e in app.error]
        assert errors == [f"`{hostile.HTML_NAME}` cannot be used: {errors[0].split(': ', 1)[1]}"], (
            case
        )
        assert words in errors[0], (case, errors[0])
    for case, (make, note) in CONVERTED.items():
        app.file_uploader(key="aug_image_upload").set_value(
            (hostile.HTML_NAME, make(), "image/png")
        ).run()
        assert not app.exception and not app.error, (
            case,
            [e.value for e in [*app.exception, *app.error]],
        )
        captions = [
            c.value for c in app.main.caption if c.value.startswith(f"`{hostile.HTML_NAME}`: ")
        ]
        assert len(captions) == 1 and (note is None or note in captions[0]), (case, captions)
        assert app.main.image[0].captions[0] == "uploaded: " + escape_markdown(hostile.HTML_NAME)
        assert list(app.main.image[1].captions) == ["#0"]  # the sample was drawn


# ---- a tiny run for the Predictions page and the CLIs ----


@pytest.fixture(scope="module")
def run_id():
    """One finished torch run at 32 px (about 10 s on 2 cores)."""
    from pipeline.training.queue import trigger, wait

    config = tiny("torch", seed=7, img_size=RUN_SIZE, augment=None)  # the preset's augmentation
    outcome = trigger(config)
    assert wait(outcome.run).status == "finished"
    return outcome.run.id


@pytest.mark.app
def test_predictions_page_takes_every_kind_of_upload(run_id):
    app = AppTest.from_file(HOME, default_timeout=120).run()
    app.switch_page("views/predictions.py").run()
    app.selectbox(key="predictions_run_torch").set_value(run_id).run()
    app.radio(key="predictions_mode").set_value("Upload").run()
    app.file_uploader(key="predictions_upload").set_value(
        ("plain.png", hostile.plain_png(), "image/png")
    ).run()
    app.toggle(key="predictions_road").set_value(
        False
    ).run()  # faithfulness costs seconds per map; not tested here
    assert not app.exception, [e.value for e in app.exception]
    for case, (make, words) in REFUSED.items():
        app.file_uploader(key="predictions_upload").set_value(
            (hostile.HTML_NAME, make(), "image/png")
        ).run()
        assert not app.exception, (case, [e.value for e in app.exception])
        assert [e.value.split(" cannot be used: ")[0] for e in app.error] == [
            f"`{hostile.HTML_NAME}`"
        ], case
        assert words in app.error[0].value, (case, app.error[0].value)
        assert not [m for m in app.main.metric if m.label == "P(PNEUMONIA)"]
    for case, (make, note) in CONVERTED.items():
        app.file_uploader(key="predictions_upload").set_value(
            (hostile.HTML_NAME, make(), "image/png")
        ).run()
        assert not app.exception and not app.error, (
            case,
            [e.value for e in [*app.exception, *app.error]],
        )
        captions = [
            c.value for c in app.main.caption if c.value.startswith(f"`{hostile.HTML_NAME}`: ")
        ]
        assert len(captions) == 1 and (note is None or note in captions[0]), (case, captions)
        assert [m for m in app.main.metric if m.label == "P(PNEUMONIA)"], case


def explain(tmp_path, run_id, name: str, data: bytes) -> subprocess.CompletedProcess:
    image = tmp_path / name
    image.write_bytes(data)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline.explain",
            "--run",
            run_id,
            "--image",
            str(image),
            "--out",
            str(tmp_path / "overlay.png"),
            "--json",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=180,
    )


@pytest.mark.app
def test_explain_cli_refuses_broken_files_with_exit_2(tmp_path, run_id, capsys):
    from pipeline.explain.__main__ import (
        main,
    )  # in this process: one torch import for all the cases

    image, out = tmp_path / hostile.HTML_NAME, tmp_path / "overlay.png"
    for case, (make, words) in REFUSED.items():
        image.write_bytes(make())
        code = main(["--run", run_id, "--image", str(image), "--out", str(out), "--json"])
        printed = capsys.readouterr()
        assert code == 2 and printed.out == "", (case, printed.err)
        assert printed.err.startswith(f"error: {image}: ") and words in printed.err, (
            case,
            printed.err,
        )
        assert not out.exists()
    result = explain(
        tmp_path, run_id, hostile.HTML_NAME, hostile.truncated_png()
    )  # and as a process
    assert result.returncode == 2 and result.stdout == "" and "Traceback" not in result.stderr
    assert (
        result.stderr
        == f"error: {image}: {REFUSED['truncated PNG'][1]} (image file is truncated)\n"
    )


@pytest.mark.app
def test_explain_cli_converts_an_animated_gif_and_says_so_in_valid_json(tmp_path, run_id):
    result = explain(tmp_path, run_id, hostile.HTML_NAME, hostile.animated_gif())
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["image"] == str(tmp_path / hostile.HTML_NAME)
    assert "animated GIF: the first of its 2 frames is used" in report["notes"]
    assert (tmp_path / "overlay.png").stat().st_size > 0


@pytest.mark.app
def test_evaluation_report_escapes_a_hostile_file_name(tmp_path, run_id):
    """A folder whose test split holds a broken file called <img src=x onerror=alert(1)>.png."""
    root = tmp_path / "xr"
    hostile.good_images(root / "test" / "NORMAL", "IM-03", 4, seed=0)
    hostile.good_images(root / "test" / "PNEUMONIA", "person3_virus_", 4, seed=50)
    hostile.good_images(root / "train" / "NORMAL", "IM-01", 2, seed=80)
    hostile.good_images(root / "train" / "PNEUMONIA", "person1_virus_", 2, seed=90)
    hostile.write(root / "test" / "NORMAL" / hostile.HTML_NAME, hostile.html_page())
    report = tmp_path / "report.html"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline.evaluate",
            "--run",
            run_id,
            "--source",
            str(root),
            "--no-bootstrap",
            "--html",
            str(report),
            "--json",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    evaluation = json.loads(result.stdout)
    assert evaluation["n"] == 8
    assert [Path(s["path"]).name for s in evaluation["skipped"]] == [hostile.HTML_NAME]
    page = report.read_text()
    assert "<img" not in page and "onerror=alert(1)&gt;.png" in page and "&lt;img src=x" in page
