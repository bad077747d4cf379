"""``python -m pipeline.augment preview``: the files it writes, and its messages for bad input."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytestmark = pytest.mark.app  # AppTest or a framework CLI: not in make test-fast

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipeline.augment", "preview", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )


def pngs(folder: Path) -> list[np.ndarray]:
    return [np.asarray(Image.open(p)) for p in sorted(folder.glob("*.png"))]


def test_preset_none_writes_the_source_image_in_both(tmp_path, real_data):
    out = tmp_path / "none"
    (out / "keras").mkdir(parents=True)
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(
        out / "keras" / "009.png"
    )  # from an earlier, larger --n
    result = run(
        "--preset",
        "none",
        "--source",
        str(real_data),
        "--n",
        "3",
        "--seed",
        "1",
        "--size",
        "64",
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    source = np.asarray(Image.open(out / "source.png"))
    assert source.shape == (64, 64) and source.dtype == np.uint8
    for framework in ("keras", "torch"):
        images = pngs(out / framework)
        assert len(images) == 3 and all(np.array_equal(image, source) for image in images), (
            framework
        )
    params = json.loads((out / "params.json").read_text())
    assert params["spec"]["rotation"] == 0 and params["image"]["index"] == 0
    assert all(s["keras"]["angle"] == 0 and s["torch"]["scale_x"] == 1 for s in params["samples"])


def test_spec_file_writes_n_augmented_images_and_their_draws(tmp_path, real_data):
    spec = tmp_path / "spec.json"
    spec.write_text(
        '{"rotation": 25, "zoom": 0.15, "horizontal_flip": true, "fill_mode": "constant"}'
    )
    out = tmp_path / "talk"
    result = run(
        "--spec",
        str(spec),
        "--source",
        str(real_data),
        "--index",
        "5",
        "--n",
        "5",
        "--seed",
        "7",
        "--size",
        "64",
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    params = json.loads((out / "params.json").read_text())
    assert params["image"]["index"] == 5 and params["seed"] == 7 and len(params["samples"]) == 5
    assert {abs(s[f]["angle"]) <= 25 for s in params["samples"] for f in ("keras", "torch")} == {
        True
    }
    source = np.asarray(Image.open(out / "source.png"))
    for framework in ("keras", "torch"):
        images = pngs(out / framework)
        assert len(images) == 5 and all(i.shape == (64, 64) and i.dtype == np.uint8 for i in images)
        assert not any(np.array_equal(image, source) for image in images)  # each one changed


def test_bad_input_gives_a_message_naming_the_problem(tmp_path, real_data):
    spec = tmp_path / "bad.json"
    spec.write_text('{"brightness": [1.4, 0.6]}')
    cases = [
        (("--spec", str(spec)), "brightness: min 1.4 is greater than max 0.6"),
        (("--preset", "wild"), "preset: unknown preset 'wild'"),
        (("--spec", str(tmp_path / "missing.json")), "spec: cannot read"),
        (("--preset", "talk", "--n", "40"), "samples must be 1 to 16"),
        (("--preset", "talk", "--index", "99999"), "--index 99999 is out of range"),
        (("--preset", "talk", "--source", str(tmp_path / "nowhere")), "error: "),
    ]
    for args, message in cases:
        source = () if "--source" in args else ("--source", str(real_data))
        result = run(*args, *source, "--size", "64", "--out", str(tmp_path / "out"))
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr and "Traceback" not in result.stderr, result.stderr
