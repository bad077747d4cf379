"""Evaluating real runs: two tiny models (PyTorch and Keras) trained here on the synthetic data.

Each framework trains once per test session (the run store caches the second trigger), through
the same queue the page and the CLI use. Command-line calls are few (each child process
imports its framework again): most checks call the library in this process.
"""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from pipeline.data import load_split
from pipeline.runs import Run, runs_root, write_json
from tests.helpers.cli import evaluate_cli
from tests.helpers.runs import tiny_run

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def torch_run() -> str:
    return tiny_run("torch")


@pytest.fixture(scope="module")
def keras_run() -> str:
    return tiny_run("keras")


def test_cli_json_has_the_issues_fields_and_equals_the_library(torch_run):
    from pipeline.evaluate import evaluate, score_run

    printed = json.loads(
        evaluate_cli(
            "--run", torch_run, "--source", "synthetic", "--split", "test", "--json"
        ).stdout
    )
    run_result = Run(torch_run).result()
    test = load_split("synthetic", "test", 32)

    # the one threshold rule, applied on validation (not on test); as training recorded it if it did
    rule = printed["threshold_rule"]
    assert printed["threshold"] == rule["value"] and rule["low"] <= rule["high"]
    recorded = (
        getattr(run_result.val, "threshold_choice", None)
        or run_result.val.extra.get("threshold_choice")
        or rule
    )
    assert rule["value"] == recorded["value"]
    assert printed["threshold_origin"] == rule["reason"] and "validation" in rule["reason"]
    (tn, fp), (fn, tp) = printed["confusion_matrix"]
    assert tn + fp + fn + tp == len(test) == printed["n"]
    assert tn + fp == int((test.labels == 0).sum())
    assert printed["accuracy"] == pytest.approx((tn + tp) / len(test))
    assert set(printed["per_class"]) == {"NORMAL", "PNEUMONIA"}
    for row in printed["per_class"].values():
        assert set(row) == {"precision", "recall", "f1", "support"}
    assert printed["per_class"]["PNEUMONIA"]["recall"] == pytest.approx(tp / (tp + fn))
    assert printed["per_class"]["NORMAL"]["support"] == tn + fp
    assert 0 <= printed["auc"] <= 1
    for name in ("accuracy", "auc", "sensitivity", "specificity"):
        interval = printed["bootstrap"][name]
        assert interval["low"] <= interval["estimate"] <= interval["high"]
    assert "roc" not in printed  # curves only with --curves

    here = evaluate(score_run(torch_run, "synthetic", "test")).to_dict()
    for key in (
        "accuracy",
        "auc",
        "confusion_matrix",
        "per_class",
        "threshold",
        "bootstrap",
        "brier",
    ):
        assert here[key] == printed[key], key


def test_scoring_feeds_torch_exactly_as_training_validation_did(torch_run):
    """Same validation AUC and accuracy as the engine measured: same preprocessing, same model."""
    from pipeline.evaluate import evaluate, score_run

    val = Run(torch_run).result().val.to_dict()
    again = evaluate(
        score_run(torch_run, split="val"), threshold=0.5, with_bootstrap=False
    ).to_dict()
    assert again["n"] == val["images"]
    assert again["auc"] == pytest.approx(val["auc"], abs=1e-6)
    assert again["accuracy"] == pytest.approx(val["accuracy"], abs=1.5 / val["images"])


def test_predict_proba_batches_resizes_and_feeds_saliency(torch_run):
    from pipeline.inference import load_run_model, model_input, predict_proba

    loaded = load_run_model(torch_run)
    assert (loaded.framework, loaded.img_size, loaded.run_id) == ("torch", 32, torch_run)
    images = load_split("synthetic", "test", 32).images[:20]
    whole = predict_proba(loaded, images)
    assert (
        whole.shape == (20,) and whole.dtype == np.float64 and ((whole >= 0) & (whole <= 1)).all()
    )
    assert np.allclose(predict_proba(loaded, images, batch_size=3), whole, atol=1e-6)
    assert predict_proba(loaded, images[0]).shape == (1,)
    larger = load_split("synthetic", "test", 64).images[:20]  # resized to the run's 32 px
    assert np.corrcoef(predict_proba(loaded, larger), whole)[0, 1] > 0.9
    assert tuple(model_input(loaded, images[:2]).shape) == (2, 1, 32, 32)


def test_keras_scoring_and_the_keras_vs_pytorch_comparison(torch_run, keras_run, tmp_path):
    """One CLI call: Keras on validation at 0.5 (must equal what training measured), compared
    with PyTorch on the same images, with the HTML and CSV exports."""
    html, table = tmp_path / "report.html", tmp_path / "metrics.csv"
    printed = json.loads(
        evaluate_cli(
            "--run",
            keras_run,
            "--split",
            "val",
            "--threshold",
            "0.5",
            "--compare",
            torch_run,
            "--json",
            "--html",
            str(html),
            "--csv",
            str(table),
        ).stdout
    )
    keras_val, torch_val = (
        Run(keras_run).result().val.to_dict(),
        Run(torch_run).result().val.to_dict(),
    )
    assert printed["framework"] == "keras" and printed["n"] == keras_val["images"]
    assert printed["auc"] == pytest.approx(keras_val["auc"], abs=1e-6)
    assert printed["accuracy"] == pytest.approx(
        keras_val["accuracy"], abs=1.5 / keras_val["images"]
    )

    comparison = printed["comparison"]
    rows = {row["quantity"]: row for row in comparison["rows"]}
    assert comparison["images"] == printed["n"]
    assert rows["AUC"]["a"] == pytest.approx(keras_val["auc"], abs=1e-6)
    assert rows["AUC"]["b"] == pytest.approx(torch_val["auc"], abs=1e-6)
    for name in ("accuracy", "AUC", "sensitivity", "specificity"):
        row = rows[name]
        assert row["difference"] == pytest.approx(row["a"] - row["b"])
        assert row["low"] <= row["difference"] <= row["high"]
        assert row["outside"] == (row["low"] > 0 or row["high"] < 0)
    assert rows["parameters"]["a"] == rows["parameters"]["b"] > 0  # the same network in both
    assert rows["train s/epoch"]["b"] == Run(torch_run).result().timings.seconds_per_epoch
    assert rows["inference ms/image (CPU)"]["a"] > 0 and rows["inference ms/image (CPU)"]["b"] > 0
    assert rows["training device"]["a"] and rows["training device"]["b"]
    page = html.read_text()
    assert "Keras vs PyTorch" in page and keras_run in page and "<script" not in page
    assert table.read_text().startswith("section,name,value")


@pytest.fixture
def damaged_run(torch_run):
    """A copy of the torch run under a new id, for the test to break."""
    copy = runs_root() / "00000000000000d1"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(Run(torch_run).path, copy)
    yield Run(copy.name)
    shutil.rmtree(copy, ignore_errors=True)


def test_missing_weights_give_a_message(damaged_run):
    from pipeline.inference import ModelLoadError, load_run_model

    damaged_run.weights().unlink()
    with pytest.raises(ModelLoadError, match="weights file is missing.*delete the run"):
        load_run_model(damaged_run.id)
    result = evaluate_cli("--run", damaged_run.id, expect=2)
    assert "weights file is missing" in result.stderr and "Traceback" not in result.stderr


def test_corrupt_weights_give_a_message(damaged_run):
    from pipeline.inference import ModelLoadError, load_run_model

    damaged_run.weights().write_bytes(b"\x00not a state dict" * 50)
    with pytest.raises(ModelLoadError, match="damaged or unreadable.*train it again"):
        load_run_model(damaged_run.id)


def test_corrupt_keras_weights_give_a_message(keras_run):
    from pipeline.inference import ModelLoadError, load_run_model

    copy = runs_root() / "00000000000000d2"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(Run(keras_run).path, copy)
    try:
        Run(copy.name).weights().write_bytes(b"PK\x03\x04 truncated zip")
        with pytest.raises(ModelLoadError, match="model.keras is damaged or unreadable"):
            load_run_model(copy.name)
    finally:
        shutil.rmtree(copy, ignore_errors=True)


def test_a_run_without_a_recorded_threshold_choice_gets_the_rules_on_its_validation_split(
    damaged_run, torch_run
):
    from pipeline.data import load_split
    from pipeline.inference import load_run_model, predict_proba
    from pipeline.threshold import choose_threshold

    result = json.loads((damaged_run.path / "result.json").read_text())
    result["val"].pop("threshold_choice", None)  # as runs trained before the rule recorded it
    del result["inference"]  # a run trained before the preprocessing record existed
    write_json(damaged_run.path / "result.json", result)
    loaded = load_run_model(damaged_run.id)
    val = load_split(loaded.config.source, "val", loaded.img_size)
    expected = choose_threshold(
        val.labels, predict_proba(loaded, val.images), loaded.config.class_balancing
    )
    assert loaded.threshold_choice == expected and loaded.threshold == expected.value
    assert loaded.threshold_origin == expected.reason
    # recorded by training, it is used as recorded
    result["val"]["threshold_choice"] = {**expected.to_dict(), "value": 0.42, "reason": "recorded"}
    write_json(damaged_run.path / "result.json", result)
    loaded = load_run_model(damaged_run.id)
    assert (loaded.threshold, loaded.threshold_origin) == (0.42, "recorded")


def test_per_dataset_normalisation_uses_the_training_splits_statistics(damaged_run):
    """Scored images are normalised with the training split's mean and std, never their own:
    recomputed from the training split for a run that predates the preprocessing record."""
    from pipeline.inference import load_run_model, model_input

    config = json.loads((damaged_run.path / "config.json").read_text())
    config["augment"]["normalization"] = "per_dataset"
    (damaged_run.path / "config.json").write_text(json.dumps(config))
    result = json.loads((damaged_run.path / "result.json").read_text())
    del result["inference"]
    write_json(damaged_run.path / "result.json", result)
    loaded = load_run_model(damaged_run.id)
    train = load_split("synthetic", "train", 32).images.astype(np.float64) / 255
    assert loaded.prep.mean == pytest.approx(train.mean(), rel=1e-6)
    assert loaded.prep.std == pytest.approx(train.std(), rel=1e-6)
    test = load_split("synthetic", "test", 32).images[:4]
    expected = (test / 255 - train.mean()) / (train.std() + 1e-6)
    assert np.allclose(model_input(loaded, test)[:, 0].numpy(), expected, atol=1e-5)


def test_a_recorded_preprocessing_is_used_without_the_training_data(damaged_run):
    """The run's own record decides, even when its source can no longer be read."""
    from pipeline.inference import load_run_model, model_input

    result = json.loads((damaged_run.path / "result.json").read_text())
    result["inference"].update(normalization="per_dataset", mean=0.25, std=0.5)
    write_json(damaged_run.path / "result.json", result)
    config = json.loads((damaged_run.path / "config.json").read_text())
    config["source"] = "/nowhere/chest_xray"
    (damaged_run.path / "config.json").write_text(json.dumps(config))
    loaded = load_run_model(damaged_run.id)
    test = load_split("synthetic", "test", 32).images[:2]
    expected = (test / 255 - 0.25) / (0.5 + 1e-6)
    assert np.allclose(model_input(loaded, test)[:, 0].numpy(), expected, atol=1e-5)


def test_scores_that_may_flatter_a_run_carry_a_warning(damaged_run):
    from pipeline.evaluate import evaluate, score_run

    assert score_run(damaged_run.id, split="test").warnings == []
    assert (
        "chose its best epoch and its threshold on this split"
        in score_run(damaged_run.id, split="val").warnings[0]
    )
    data = json.loads((damaged_run.path / "data.json").read_text())
    assert data["identity"], "a run records its training images' content identity"
    # the same images with other file times (a copy on another machine): no warning
    write_json(damaged_run.path / "data.json", {**data, "fingerprint": "0" * 32})
    assert score_run(damaged_run.id, split="test").warnings == []
    # other images (the source changed since): a warning
    write_json(damaged_run.path / "data.json", {**data, "identity": "0" * 16})
    scored = score_run(damaged_run.id, split="test")
    assert any("source changed since this run trained" in w for w in scored.warnings)
    assert evaluate(scored, with_bootstrap=False).warnings == scored.warnings
    result = evaluate_cli("--run", damaged_run.id, "--json", "--no-bootstrap")
    assert "warning: The source changed" in result.stderr
    # a run from before identities: its stat fingerprint is all there is to compare
    old = {k: v for k, v in data.items() if k != "identity"}
    write_json(damaged_run.path / "data.json", {**old, "fingerprint": "0" * 32})
    assert any("data fingerprint 00000000" in w for w in score_run(damaged_run.id).warnings)
    write_json(damaged_run.path / "data.json", data)  # as trained, for the tests after this one


def test_unfinished_and_unknown_runs_give_a_message(damaged_run):
    from pipeline.inference import ModelLoadError, load_run_model

    write_json(
        damaged_run.path / "status.json",
        {**damaged_run.status().to_dict(), "status": "failed", "error": "killed"},
    )
    with pytest.raises(ModelLoadError, match="is failed: killed"):
        load_run_model(damaged_run.id)
    with pytest.raises(ModelLoadError, match="not a run id"):
        load_run_model("not-a-run")
    result = evaluate_cli("--run", "0123456789abcdef", expect=2)
    assert (
        result.stderr.startswith("error: no run 0123456789abcdef")
        and "Traceback" not in result.stderr
    )


def test_a_source_that_cannot_be_read_gives_a_message(torch_run, tmp_path):
    result = evaluate_cli("--run", torch_run, "--source", str(tmp_path / "nowhere"), expect=2)
    assert result.stderr.startswith("error:") and "Traceback" not in result.stderr
