"""What the Training, Evaluation and Conclusion pages used to compute themselves, now in
pipeline/: the duration estimate, progress and ETA, the device line and GPU check, the config
diff, the operating point, which framework is ahead on a row; and the store's read API."""

import json
import time

import numpy as np
import pytest

from pipeline.evaluate.metrics import operating_point, threshold_metrics
from pipeline.records import RunResult
from pipeline.runs import Progress, Run, finished_runs, latest_per_framework, runs_root, write_json
from pipeline.talk.conclusion import FrameworkRow, better_framework
from pipeline.training.config import ConfigError, TrainConfig, config_diff_text, config_differences
from pipeline.training.devices import check_gpu_available, device_line
from pipeline.training.estimate import (
    DEFAULT_IMAGES_PER_S,
    STARTUP_S,
    duration_text,
    estimate_seconds,
    fraction_and_eta,
    position_text,
)


def test_estimate_without_runs_uses_the_default_speed_scaled_by_pixels():
    config = TrainConfig.from_preset("quick", framework="torch", img_size=75, epochs=2)
    seconds = estimate_seconds(config, images=1000, runs=[])
    speed = DEFAULT_IMAGES_PER_S["torch"] * (150 / 75) ** 2 / config.width**2
    assert seconds == pytest.approx(STARTUP_S + 2 * 1000 / speed * 1.15)


def test_progress_fraction_eta_and_text():
    progress = Progress.from_dict(
        {
            "position": {"epoch": 2, "epochs": 4, "step": 5, "steps": 10},
            "steps": [{"time": 100.0}],
            "epochs": [{"epoch": 1}],
        }
    )
    done, eta = fraction_and_eta(progress, now=130.0)
    assert done == pytest.approx(15 / 40)
    assert eta == pytest.approx(30.0 * (1 - done) / done)
    assert position_text(progress) == "epoch 2/4, step 5/10"
    assert (
        position_text(Progress.from_dict({"position": None}))
        == "loading the framework and the data"
    )
    assert fraction_and_eta(Progress()) == (0.0, None)
    assert duration_text(59.6) == "1 min 00 s" and duration_text(12.2) == "12 s"


def test_device_line_and_gpu_check():
    assert device_line(["NVIDIA H100", "NVIDIA H100"]).startswith("Device: **NVIDIA H100** (and 1")
    assert device_line([]).startswith("Device: **") and "CPU" in device_line([])
    config = TrainConfig.from_preset("quick", framework="keras", device="gpu")
    assert check_gpu_available(config, ["NVIDIA H100"]) is config
    with pytest.raises(ConfigError, match="no GPU that Keras can use"):
        check_gpu_available(config, [])


def test_config_differences_flatten_nested_settings_and_the_diff_names_both_runs():
    a = TrainConfig.from_preset("quick", seed=1).to_dict()
    b = TrainConfig.from_preset("quick", seed=2).to_dict()
    b["augment"] = {**b["augment"], "rotation": b["augment"]["rotation"] + 5}
    rows = config_differences(a, b)
    assert [row.setting for row in rows] == ["augment.rotation", "seed"]
    assert rows[1].to_dict() == {"setting": "seed", "A": 1, "B": 2}
    text = config_diff_text(a, b, "run A", "run B")
    assert text.startswith("--- run A\n+++ run B") and '-  "seed": 1' in text


def test_operating_point_reads_the_confusion_matrix_of_threshold_metrics():
    labels = np.array([0, 0, 0, 1, 1, 1, 1])
    probabilities = np.array([0.1, 0.6, 0.2, 0.7, 0.8, 0.4, 0.9])
    point = operating_point(threshold_metrics(labels, probabilities, 0.5))
    assert (point.fpr, point.tpr, point.precision) == (pytest.approx(1 / 3), 0.75, 0.75)
    none_called = operating_point(threshold_metrics(labels, probabilities, 0.95))
    assert none_called.tpr == 0 and none_called.precision == 1.0


@pytest.mark.parametrize(
    ("keras", "torch", "better", "digits", "ahead"),
    [
        (0.91, 0.89, "higher", 2, "keras"),
        (0.91, 0.89, "lower", 2, "torch"),
        (0.912, 0.914, "higher", 2, None),  # equal at the row's precision
        (3.0, 1.0, "", 1, None),  # a row that says neither way is better
    ],
)
def test_better_framework(keras, torch, better, digits, ahead):
    row = FrameworkRow("a figure", {"keras": keras, "torch": torch}, "f", better, digits)
    assert better_framework(row) == ahead


def _stored_run(run_id: str, framework: str, source: str, created: float, result: dict | None):
    run = Run(run_id)
    run.path.mkdir(parents=True, exist_ok=True)
    config = TrainConfig.from_preset("quick", framework=framework, source=source, seed=int(created))
    (run.path / "config.json").write_text(config.to_json())
    if result is not None:
        write_json(run.path / "result.json", result)
    state = "finished" if result is not None else "failed"
    write_json(run.path / "status.json", {"run_id": run_id, "status": state, "created": created})
    return run


def test_store_api_and_a_result_written_before_the_records(monkeypatch, tmp_path):
    monkeypatch.setenv("PNEUMOLAB_CACHE", str(tmp_path))
    old = {  # result.json as runs wrote it before pipeline/records.py, plus a key from later code
        "history": [],
        "val": {"auc": 0.9, "accuracy": 0.8, "threshold": 0.4},
        "timings": {"seconds_per_epoch": 2.0, "images_per_s": 50.0},
        "device": {"type": "cpu", "name": "test CPU"},
        "weights": "model.pt",
        "best_epoch": 1,
        "seed_group": "later-field",
    }
    now = time.time()
    _stored_run("a" * 16, "torch", "synthetic", now - 30, old)
    _stored_run("b" * 16, "torch", "synthetic", now - 10, old)
    _stored_run("c" * 16, "keras", "synthetic", now - 20, old)
    _stored_run("d" * 16, "keras", "other", now - 5, old)
    _stored_run("e" * 16, "keras", "synthetic", now, None)  # failed: never listed
    assert [r.id for r in finished_runs("torch", "synthetic")] == ["b" * 16, "a" * 16]
    assert {f: r.id for f, r in latest_per_framework("synthetic").items()} == {
        "torch": "b" * 16,
        "keras": "c" * 16,
    }
    result = Run("a" * 16).result()
    assert isinstance(result, RunResult)
    assert result.val.auc == 0.9 and result.device.name == "test CPU" and result.parameters is None
    assert result.weights_sha256 is None and result.extra == {"seed_group": "later-field"}
    assert RunResult.from_dict(json.loads(json.dumps(result.to_dict()))) == result
    assert runs_root() == tmp_path / "runs"
