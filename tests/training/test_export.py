"""Taking a run away: export to a zip, import it back bit for bit, predict.py with one framework,
ONNX against the framework, and the shipped runs in a fresh store.

Trains two tiny runs (one epoch, 32 px) in this test session's private store.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pipeline.runs import Run, runs_root
from tests.helpers.blocked import block_imports
from tests.helpers.runs import tiny_run

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow
OTHER = {"torch": ("tensorflow", "keras"), "keras": ("torch", "torchvision")}


@pytest.fixture(scope="module", params=["torch", "keras"])
def run_id(request) -> str:
    return tiny_run(request.param)


def files_of(run: Run) -> dict[str, str]:
    """sha256 of every file a run keeps (not its log, nor where it came from)."""
    return {
        str(path.relative_to(run.path)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(run.path.rglob("*"))
        if path.is_file() and path.name not in ("worker.log", "origin.json")
    }


def runs_cli(*args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipeline.runs", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_training_records_everything_inference_needs(run_id):
    result = Run(run_id).result()
    record = result.inference
    assert record["img_size"] == 32 and record["channels"] == 1
    assert record["class_names"] == ["NORMAL", "PNEUMONIA"]
    assert record["threshold"] == pytest.approx(result.val.threshold)
    assert record["threshold_rule"].startswith(result.val.threshold_rule)  # the rule, then why
    assert "validation" in record["threshold_rule"]
    assert result.onnx == "model.onnx"  # written and checked at training time


def test_scoring_needs_neither_the_training_package_nor_the_data(run_id, tmp_path):
    """A child that cannot import pipeline.training and whose source is gone still scores the run."""
    code = (
        "import sys, numpy as np\n"
        "sys.modules['pipeline.training'] = None\n"
        "from pipeline.inference import load_run_model, predict_proba\n"
        f"loaded = load_run_model({run_id!r}, backend='onnx')\n"
        "print(predict_proba(loaded, np.zeros((2, 32, 32), np.uint8)).tolist())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(json.loads(done.stdout)) == 2


def test_onnx_backend_gives_the_frameworks_probabilities(run_id):
    from pipeline.data import load_split
    from pipeline.inference import load_run_model, predict_proba

    images = load_split("synthetic", "test", 32).images[:32]
    framework = predict_proba(load_run_model(run_id), images)
    onnx = predict_proba(load_run_model(run_id, backend="onnx"), images)
    assert np.abs(framework - onnx).max() < 1e-4


def test_export_import_round_trips_bit_for_bit(run_id, tmp_path):
    run = Run(run_id)
    before = files_of(run)
    first = tmp_path / "run.zip"
    assert runs_cli("export", run_id, "--out", str(first)).returncode == 0
    names = {n.split("/", 1)[1] for n in zipfile.ZipFile(first).namelist()}
    assert {
        "weights/model.onnx",
        "curves.csv",
        "MODEL_CARD.md",
        "predict.py",
        "manifest.json",
        "config.json",
        "result.json",
        "preprocessing.json",
    } <= names
    card = zipfile.ZipFile(first).read(f"{run_id}/MODEL_CARD.md").decode()
    assert "Not a medical device" in card and "Data from elsewhere" in card
    assert "95% interval" in card

    run.delete()
    done = runs_cli("import", str(first))
    assert done.returncode == 0, done.stderr
    assert files_of(Run(run_id)) == before
    assert Run(run_id).origin() == "imported"
    second = tmp_path / "again.zip"
    assert runs_cli("export", run_id, "--out", str(second)).returncode == 0
    assert first.read_bytes() == second.read_bytes()  # deterministic: the same run, the same zip
    assert runs_cli("import", str(first)).returncode == 0  # importing the same run again: no-op


def test_a_damaged_zip_is_refused_and_changes_nothing(run_id, tmp_path):
    good = tmp_path / "run.zip"
    assert runs_cli("export", run_id, "--out", str(good)).returncode == 0
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(bad, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith(("model.pt", "model.keras")):
                data = data[:-10] + bytes(10)
            target.writestr(info, data)
    Run(run_id).delete()
    done = runs_cli("import", str(bad))
    assert done.returncode == 2 and "checksum" in done.stderr
    assert not (runs_root() / run_id).exists()
    assert runs_cli("import", str(good)).returncode == 0


def test_predict_py_runs_with_only_the_runs_framework(run_id, tmp_path):
    out = tmp_path / "run.zip"
    assert runs_cli("export", run_id, "--out", str(out)).returncode == 0
    zipfile.ZipFile(out).extractall(tmp_path)
    folder = tmp_path / run_id
    from pipeline.data import load_split

    split = load_split("synthetic", "test", 32)
    paths = []
    for index in range(3):
        paths.append(tmp_path / f"x{index}.png")
        Image.fromarray(split.images[index]).save(paths[-1])
    framework = Run(run_id).config().framework
    code = (
        block_imports(*OTHER[framework])
        + "import runpy\n"
        # what `python predict.py` does: the script's own folder first on the path
        + f"sys.path.insert(0, {str(folder)!r})\n"
        + f"sys.argv = ['predict.py', '--json', *{[str(p) for p in paths]!r}]\n"
        + f"runpy.run_path({str(folder / 'predict.py')!r}, run_name='__main__')\n"
    )
    # run from an empty folder: nothing of the repository on the path
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": ""},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    from pipeline.inference import load_run_model, predict_proba

    expected = predict_proba(load_run_model(run_id), split.images[:3])
    assert np.allclose([row["probability"] for row in rows], expected, atol=1e-4)


def test_onnx_command_writes_a_checked_graph(run_id, tmp_path):
    out = tmp_path / "model.onnx"
    done = runs_cli("onnx", run_id, "--out", str(out))
    assert done.returncode == 0, done.stderr
    from pipeline.onnx_model import OnnxCNN

    assert OnnxCNN.from_bytes(out.read_bytes()).probability(np.zeros((1, 1, 32, 32))).shape == (1,)


def test_shipped_runs_appear_in_a_fresh_store(tmp_path):
    from pipeline.shipped import shipped_zips

    assert shipped_zips(), "shipped_runs/ holds no run: python -m pipeline.shipped train"
    env = {"PNEUMOLAB_CACHE": str(tmp_path / "fresh"), "PNEUMOLAB_SHIPPED_RUNS": "1"}
    done = runs_cli("list", "--json", env=env)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    finished = {(row["framework"], row["origin"]) for row in rows if row["status"] == "finished"}
    assert {("torch", "shipped"), ("keras", "shipped")} <= finished
    assert len(rows) == len(shipped_zips())


def test_a_damaged_shipped_run_is_skipped_not_installed(tmp_path, monkeypatch):
    from pipeline import shipped

    folder = tmp_path / "shipped"
    folder.mkdir()
    good = shipped.shipped_zips()[0]
    (folder / good.name).write_bytes(good.read_bytes()[:-200] + bytes(200))
    monkeypatch.setattr(shipped, "SHIPPED_DIR", folder)
    monkeypatch.setenv("PNEUMOLAB_SHIPPED_RUNS", "1")
    with pytest.warns(UserWarning, match="not installed"):
        assert shipped.install_shipped() == []
    assert not (runs_root() / good.stem).exists()


def test_the_shipped_runs_are_the_full_recipe_and_fit_the_budget(tmp_path, real_data):
    """Seeds 0-2 of `full` in both frameworks on the Kermany training images, within 60 MB, and
    found by content: a copy of the images at another path lists them as its own."""
    from pipeline.shipped import BUDGET_MB, REAL_PRESET, REAL_SEEDS, shipped_zips
    from pipeline.threshold import PRIOR_AWARE
    from pipeline.training.config import TrainConfig

    assert sum(z.stat().st_size for z in shipped_zips()) <= BUDGET_MB * 1e6
    env = {"PNEUMOLAB_CACHE": str(tmp_path / "fresh"), "PNEUMOLAB_SHIPPED_RUNS": "1"}
    copy = shutil.copytree(real_data, tmp_path / "elsewhere" / "xrays")  # new path, new times
    done = runs_cli("list", "--source", str(copy), "--json", env=env)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    full = TrainConfig.from_preset(REAL_PRESET)
    recipe = sorted(
        (row["framework"], row["seed"])
        for row in rows
        if (row["img_size"], row["epochs"]) == (full.img_size, full.epochs)
    )
    assert recipe == sorted((f, s) for f in ("keras", "torch") for s in REAL_SEEDS)
    assert all(row["origin"] == "shipped" and row["dataset"] == "chest_xray" for row in rows)
    # the threshold each run recorded is today's rule's
    assert all(row["val"]["threshold_rule"] == PRIOR_AWARE for row in rows), rows
