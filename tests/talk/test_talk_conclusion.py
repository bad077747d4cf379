"""The conclusion's numbers: the Keras vs PyTorch table and the data-processing pair, from real
runs trained here on the synthetic data (32 px, width 0.25, one epoch, torch on one thread).

Each check compares what the talk shows with what the run store and ``pipeline.evaluate`` say
for the same runs, so a table that typed its numbers in, or a conclusion written in advance,
fails here.
"""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipeline.runs import ACTIVE, Run, all_runs
from pipeline.talk import conclusion
from pipeline.talk.processing_pair import (
    PAIR_FIELDS,
    PairResult,
    compare_pair,
    find_pair,
    pair_configs,
    run_id_of,
    start_pair,
    stored_pairs,
    verdict,
)
from pipeline.talk.processing_pair import (
    conclusion as pair_conclusion,
)
from pipeline.training.config import TrainConfig
from tests.helpers.configs import tiny_settings

ROOT = Path(__file__).resolve().parents[2]
HOME = str(ROOT / "dashboard" / "Home.py")
PAGE = "views/talk_conclusion.py"
QUALITY_ROWS = (
    "accuracy",
    "AUC",
    "sensitivity",
    "specificity",
    "average precision",
    "Brier score",
    "macro f1",
)
TINY = tiny_settings(augment=None)  # the pair sets augmentation

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_torch_thread", "no_run_left_behind")]


def base(framework: str = "torch") -> TrainConfig:
    return TrainConfig.from_preset("quick", framework=framework, **TINY)


def finished(config: TrainConfig) -> Run:
    """The run of ``config``, trained through the queue now or found finished in the store."""
    from pipeline.training.queue import trigger, wait

    outcome = trigger(config)
    status = wait(outcome.run, poll_s=0.3)
    assert status.status == "finished", status
    return outcome.run


@pytest.fixture(scope="module")
def trained() -> dict:
    """The torch pair: with processing, and without (also the table's PyTorch run)."""
    with_config, without_config = pair_configs(base("torch"))
    with_run, without_run = finished(with_config), finished(without_config)
    return {"pair": find_pair(base("torch")), "with": with_run, "torch": without_run}


@pytest.fixture(scope="module")
def keras_run(trained) -> Run:
    """A Keras run with the same settings as the table's PyTorch run, trained after the pair."""
    return finished(pair_configs(base("keras"))[1])


# ---- the pair's configs ----


def test_pair_configs_differ_exactly_in_augmentation_and_balancing():
    with_processing, without = pair_configs(base())
    a, b = with_processing.to_dict(), without.to_dict()
    assert (
        {key for key in a if a[key] != b[key]} == set(PAIR_FIELDS) == {"augment", "class_balancing"}
    )
    # the talk's Transform + Sampler: its PyTorch pipeline's augmentation, Normalize, sampler
    assert with_processing.augment.rotation == 30 and with_processing.class_balancing == "sampler"
    assert with_processing.augment.normalization == "per_dataset"
    assert (
        without.augment.to_dict()
        == TrainConfig.from_preset("quick", augment="none").augment.to_dict()
    )
    assert without.class_balancing == "none"
    for key in ("img_size", "epochs", "seed", "source", "width", "framework"):
        assert a[key] == b[key] == base().to_dict()[key]
    assert run_id_of(with_processing) != run_id_of(without)
    assert pair_configs(base()) == pair_configs(base())  # the same question names the same runs


# ---- the framework table ----


def test_table_numbers_are_the_run_stores_and_pipeline_evaluates(trained, keras_run):
    from pipeline.evaluate import evaluate, score_run

    runs = {"keras": keras_run, "torch": trained["torch"]}
    report = conclusion.table_report("synthetic", runs)
    assert report.missing == [] and report.runs == {f: r.id for f, r in runs.items()}
    rows = {row.quantity: row.values for row in report.rows}
    for framework, run in runs.items():
        result = run.result()
        evaluation = evaluate(
            score_run(run.id, "synthetic", "test"), with_bootstrap=False
        ).to_dict()
        assert rows["validation AUC"][framework] == result.val.auc
        assert rows["validation accuracy (threshold 0.5)"][framework] == result.val.accuracy
        assert rows["seconds per epoch"][framework] == result.timings.seconds_per_epoch
        assert rows["training images per second"][framework] == result.timings.images_per_s
        assert rows["training time (s)"][framework] == result.timings.total_seconds
        assert (
            rows["parameters"][framework] == result.parameters == evaluation["costs"]["parameters"]
        )
        assert rows["weights file (MB)"][framework] == run.weights().stat().st_size / 1e6
        assert rows["test AUC"][framework] == pytest.approx(evaluation["auc"])
        assert rows["test accuracy (run's threshold)"][framework] == pytest.approx(
            evaluation["accuracy"]
        )
        assert rows["test sensitivity (PNEUMONIA recall)"][framework] == pytest.approx(
            evaluation["sensitivity"]
        )
        assert rows["test specificity (NORMAL recall)"][framework] == pytest.approx(
            evaluation["specificity"]
        )
        assert evaluation["threshold"] == result.val.threshold  # the run's own, from validation
        assert 0 < rows["inference ms per image (CPU)"][framework] < 1000
    model_lines = rows["lines of model code"]
    for framework, name in (("keras", "keras_cnn.py"), ("torch", "torch_cnn.py")):
        text = (ROOT / "models" / name).read_text()
        assert (
            10 < model_lines[framework] < len(text.splitlines())
        )  # code only: no docstrings, no blanks
    assert all(row.function.startswith("pipeline.talk.conclusion.") for row in report.rows)
    assert report.differing_settings == {}  # both runs: the same settings but the framework


def test_code_lines_leave_out_docstrings_comments_and_blank_lines():
    text = (
        '"""Module doc\n\nmore."""\n\nimport os  # why\n\n\ndef f(x):\n    """Doc."""\n    # note\n'
        "    return (x +\n            1)\n"
    )
    assert conclusion.code_lines(text) == 4  # import, def, and the two lines of the return


def test_a_missing_framework_names_the_run_to_start(trained):
    report = conclusion.table_report("synthetic", {"keras": None, "torch": trained["torch"]})
    assert report.rows == []
    (missing,) = report.missing
    assert missing.framework == "keras"
    assert (
        missing.command
        == "python -m pipeline.train --framework keras --source synthetic --preset quick"
    )


# ---- the processing pair ----


def test_pair_comparison_is_pipeline_evaluate_compare(trained):
    from pipeline.evaluate import compare, score_run

    pair = trained["pair"]
    assert [run.id for run in pair.runs] == [trained["with"].id, trained["torch"].id]
    assert any(
        [r.id for r in p.runs] == [r.id for r in pair.runs] for p in stored_pairs("synthetic")
    )
    measured = compare_pair(pair)
    with_scored, without_scored = (score_run(run.id, "synthetic", "test") for run in pair.runs)
    for threshold, thresholds in (("validation", (None, None)), ("fixed", (0.5, 0.5))):
        expected = compare(with_scored, without_scored, *thresholds).to_dict()
        got_rows = measured.to_dict()[f"at_{threshold}_threshold"]["rows"]
        assert [row.quantity for row in measured.at(threshold).rows] == [
            row["quantity"] for row in expected["rows"]
        ]
        metrics = [
            (got, want)
            for got, want in zip(got_rows, expected["rows"])
            if want["quantity"] in QUALITY_ROWS
        ]  # costs hold timings, measured again on each scoring
        assert len(metrics) == len(QUALITY_ROWS)
        for got, want in metrics:
            assert got == pytest.approx(want), (threshold, want["quantity"])
    sentences = "\n".join(measured.conclusion)
    for quantity in ("AUC", "specificity", "sensitivity", "accuracy"):
        row = measured.at("validation").row(quantity)
        figures = (
            f"{row.a:.3f} with processing, {row.b:.3f} without: {row.difference:+.3f} "
            f"(95% interval {row.low:+.3f} to {row.high:+.3f})"
        )
        verdict = (
            "within the noise."
            if not row.outside
            else ("higher" if row.difference > 0 else "lower") + " with processing."
        )
        assert f"{figures}, {verdict}" in sentences, quantity
    assert compare_pair(pair) == measured  # the second call reads the disk cache
    assert [outcome.how for outcome in start_pair(base("torch"))] == [
        "cached",
        "cached",
    ]  # never trained twice


def comparison_with(
    auc: tuple, specificity: tuple, sensitivity: tuple = (0.0, -0.01, 0.01)
) -> PairResult:
    """A comparison in ``compare``'s shape: (difference, low, high) for AUC and the two recalls."""

    def row(quantity, difference, low, high):
        return {
            "quantity": quantity,
            "a": 0.8 + difference,
            "b": 0.8,
            "difference": difference,
            "low": low,
            "high": high,
            "outside": low > 0 or high < 0,
        }

    rows = [
        row("AUC", *auc),
        row("specificity", *specificity),
        row("sensitivity", *sensitivity),
        row("accuracy", 0.0, -0.01, 0.01),
    ]
    return PairResult.from_dict(
        {
            "at_validation_threshold": {"rows": rows, "images": 300},
            "at_fixed_threshold": {"rows": rows, "images": 300},
        }
    )


def test_the_conclusion_follows_the_intervals_not_a_script():
    assert verdict(comparison_with((0.05, 0.02, 0.08), (0.0, -0.02, 0.02)))[0] == "helped"
    assert verdict(comparison_with((0.01, -0.02, 0.04), (-0.1, -0.2, -0.05)))[0] == "hurt"
    assert pair_conclusion(comparison_with((0.05, 0.02, 0.08), (0.0, -0.02, 0.02)))[0].startswith(
        "On this data, processing helped: it raised test AUC"
    )
    assert pair_conclusion(comparison_with((-0.05, -0.08, -0.02), (0.0, -0.02, 0.02)))[
        0
    ].startswith("On this data, processing did not help: test AUC came out lower")
    assert (
        "no difference larger than the noise of the 300 test images in test AUC, NORMAL"
        in pair_conclusion(comparison_with((0.01, -0.02, 0.04), (0.0, -0.02, 0.02)))[0]
    )
    traded = comparison_with((0.0, -0.01, 0.01), (0.05, 0.01, 0.09), (-0.03, -0.05, -0.01))
    assert (
        verdict(traded)[0] == "mixed"
    )  # a higher NORMAL recall bought with PNEUMONIA recall is no plain win
    assert (
        "higher NORMAL recall (specificity), lower PNEUMONIA recall (sensitivity)"
        in pair_conclusion(traded)[0]
    )
    assert (
        "higher test AUC, lower NORMAL recall"
        in pair_conclusion(comparison_with((0.05, 0.02, 0.08), (-0.1, -0.2, -0.05)))[0]
    )


# ---- the command line ----


def talk_cli(*args: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.talk", *args, "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def test_cli_pair_reuses_the_runs_and_prints_both(trained):
    printed = talk_cli(
        "pair",
        "--source",
        "synthetic",
        "--framework",
        "torch",
        "--preset",
        "quick",
        "--epochs",
        "1",
        "--img-size",
        "32",
        "--width",
        "0.25",
    )
    assert printed["runs"]["with"]["run_id"] == trained["with"].id
    assert printed["runs"]["without"]["run_id"] == trained["torch"].id
    assert {run["status"] for run in printed["runs"].values()} == {"finished"}
    assert printed["runs"]["with"]["val"] == trained["with"].result().val.to_dict()
    assert printed["comparison"] == compare_pair(trained["pair"]).to_dict()


def test_cli_table_reads_the_newest_like_for_like_runs(trained, keras_run):
    printed = talk_cli("table", "--source", "synthetic")
    newest = conclusion.default_runs("synthetic")
    assert (
        conclusion.differing_settings(newest) == {}
    )  # the fixtures trained one such pair at least
    assert printed["runs"] == {f: run.id for f, run in newest.items()}
    assert printed["rows"] == json.loads(
        json.dumps([row.to_dict() for row in conclusion.framework_table("synthetic", newest)])
    )


# ---- the page ----


def open_page() -> AppTest:
    app = AppTest.from_file(HOME, default_timeout=120).run()
    app.switch_page(PAGE).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def texts(elements) -> str:
    return "\n".join(element.value for element in elements)


def headline_boxes(app: AppTest) -> list:
    """Where the page puts the pair's headline: success, warning or info, by verdict."""
    return [*app.success, *app.warning, *app.info]


def test_page_without_runs_says_what_to_start_and_trains_the_pair(monkeypatch, tmp_path):
    monkeypatch.setenv("PNEUMOLAB_CACHE", str(tmp_path))  # an empty run store
    app = open_page()
    warnings = texts(app.warning)
    assert (
        "No finished **Keras** run on `synthetic`" in warnings
        and "No finished **PyTorch** run" in warnings
    )
    assert (
        "python -m pipeline.train --framework torch --source synthetic --preset quick" in warnings
    )
    assert [link.proto.page for link in app.get("page_link")] == ["training", "training"]
    assert "No measured pair on this source yet" in texts(app.info)
    assert not app.dataframe and not app.error

    app.number_input(key="talk_pair_epochs_quick").set_value(1)
    app.number_input(key="talk_pair_size_quick").set_value(32).run()
    app.button(key="talk_pair_start").click().run()
    try:
        assert {run.state for run in all_runs()} <= set(ACTIVE) | {"finished"} and len(
            all_runs()
        ) == 2
        deadline = time.monotonic() + 300
        while any(run.state in ACTIVE for run in all_runs()) and time.monotonic() < deadline:
            time.sleep(1)
            app.run()  # the fragment's poll
        assert {run.state for run in all_runs()} == {"finished"}
        app.run()
        assert not app.exception, [e.value for e in app.exception]
        (pair,) = stored_pairs("synthetic")
        assert {run.config().img_size for run in pair.runs} == {32}
        comparison = compare_pair(pair)
        assert f"**{comparison.conclusion[0]}**" in texts(headline_boxes(app))
    finally:
        for run in all_runs():
            if run.state in ACTIVE:
                from pipeline.training.queue import cancel, wait

                cancel(run.id)
                wait(run, poll_s=0.3)


def test_page_shows_the_measured_numbers(trained, keras_run):
    app = open_page()
    assert not app.error, [e.value for e in app.error]
    newest = conclusion.default_runs("synthetic")
    expected = conclusion.framework_table("synthetic", newest)
    table = next(frame.value for frame in app.dataframe if "computed by" in frame.value.columns)
    assert list(table["quantity"]) == [row.quantity for row in expected]
    for (_, shown), row in zip(table.iterrows(), expected):
        assert shown["Keras"] == f"{row.values['keras']:,.{row.digits}f}"
        assert shown["PyTorch"] == f"{row.values['torch']:,.{row.digits}f}"
        assert shown["computed by"] == row.function.removeprefix("pipeline.talk.")

    comparison = compare_pair(stored_pairs("synthetic")[0])
    assert f"**{comparison.conclusion[0]}**" in texts(headline_boxes(app))
    differences = next(
        frame.value for frame in app.dataframe if "with - without" in frame.value.columns
    )
    auc = comparison.at("validation").row("AUC")
    (shown,) = [
        row for _, row in differences.iterrows() if row["statistic"] == "AUC"
    ]  # threshold-free: once
    assert shown["with - without"] == f"{auc.difference:+.3f}"
    assert shown["95% interval"] == f"{auc.low:+.3f} to {auc.high:+.3f}"
    assert [m.label for m in app.metric] == [
        "Test AUC",
        "NORMAL recall (run's threshold)",
        "PNEUMONIA recall (run's threshold)",
        "NORMAL recall (threshold 0.5)",
    ]
    assert app.metric[0].value == f"{auc.a:.3f}"
