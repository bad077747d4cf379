"""The Evaluation page, run by Streamlit's AppTest on two tiny runs trained in this session.

The page must show the numbers ``pipeline.evaluate`` gives (the CLI's), lead with them (the
pickers and the threshold follow, with one line on what the figures rest on between), follow the
threshold slider, compare Keras with PyTorch, and turn a run it cannot use into a message.
"""

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipeline.runs import Run, runs_root
from pipeline.runs.provenance import provenance
from tests.helpers.runs import tiny_run

ROOT = Path(__file__).resolve().parents[2]
HOME = str(ROOT / "dashboard" / "Home.py")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def runs() -> dict[str, str]:
    return {"torch": tiny_run("torch"), "keras": tiny_run("keras")}


def open_evaluation(run_id: str) -> AppTest:
    app = AppTest.from_file(HOME, default_timeout=180).run()
    app.switch_page("views/evaluation.py").run()
    app.selectbox(key="evaluation_run").set_value(run_id).run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.title[0].value == "Evaluation"
    return app


def shown_metrics(app: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in app.main.metric}


def expected_metrics(evaluation: dict) -> dict[str, str]:
    return {
        label: f"{evaluation[key]:.4f}"
        for label, key in (
            ("Accuracy", "accuracy"),
            ("AUC", "auc"),
            ("Sensitivity", "sensitivity"),
            ("Specificity", "specificity"),
            ("Average precision", "average_precision"),
            ("Brier score", "brier"),
        )
    }


def report(app: AppTest):
    return next(d.value for d in app.main.dataframe if "f1-score" in d.value.columns)


def captions(app: AppTest) -> str:
    return "\n".join(c.value for c in app.main.caption)


def in_order(node):
    """The node and everything under it, in the order the page shows them."""
    yield node
    for index in sorted(getattr(node, "children", {})):
        yield from in_order(node.children[index])


def position(app: AppTest, wanted) -> int:
    return next(i for i, node in enumerate(in_order(app.main)) if wanted(node))


def test_page_shows_the_clis_numbers_and_follows_the_threshold(runs):
    from pipeline.evaluate import evaluate, score_run

    scored = score_run(runs["torch"], "synthetic", "test")
    cli = evaluate(
        scored
    ).to_dict()  # what `python -m pipeline.evaluate --json` prints (checked in test_evaluate_runs)
    app = open_evaluation(runs["torch"])
    assert not app.error, [e.value for e in app.error]

    assert shown_metrics(app) == expected_metrics(cli)
    table = report(app)
    assert list(table.index) == ["NORMAL", "PNEUMONIA", "accuracy", "macro avg", "weighted avg"]
    for name in ("NORMAL", "PNEUMONIA"):
        assert table.loc[name, "recall"] == pytest.approx(cli["per_class"][name]["recall"])
        assert table.loc[name, "support"] == cli["per_class"][name]["support"]
    (tn, fp), (fn, tp) = cli["confusion_matrix"]
    assert f"[[TN, FP], [FN, TP]] = [[{tn}, {fp}], [{fn}, {tp}]]" in captions(app)
    assert f"The run's threshold: **{cli['threshold']:.3f}**, by that rule" in captions(app)
    assert "The slider is at it." in captions(app)

    # the answer first: metrics, report and the line on what they rest on, then the pickers
    basis = next(c.value for c in app.main.caption if c.value.startswith("**Basis**"))
    assert basis.startswith(f"**Basis**: PyTorch run {runs['torch'][:8]} (")
    assert provenance(runs["torch"], "synthetic", "test").label in basis
    assert f"threshold {cli['threshold']:.3f}, the run's own" in basis
    picker = position(app, lambda n: n.type == "selectbox" and n.key == "evaluation_run")
    assert position(app, lambda n: n.type == "metric") < picker
    assert position(app, lambda n: n.type == "dataframe") < picker
    assert position(app, lambda n: n.type == "caption" and n.value == basis) < picker
    intervals = next(d.value for d in app.main.dataframe if "95% low" in d.value.columns)
    assert intervals.loc["auc", "95% low"] == pytest.approx(cli["bootstrap"]["auc"]["low"])
    assert len(app.get("plotly_chart")) >= 4  # confusion, ROC + PR, calibration, training curves
    assert [b.label for b in app.get("download_button")] == [
        "Metrics (JSON)",
        "Metrics (CSV)",
        "Report (HTML)",
        "This run (zip)",
    ]

    app.slider(key=f"evaluation_threshold_{runs['torch']}").set_value(0.2).run()
    assert shown_metrics(app) == expected_metrics(evaluate(scored, 0.2).to_dict())
    assert "not a fair test figure" in captions(app)
    assert f"threshold 0.200 from the slider (the run's own: {cli['threshold']:.3f})" in captions(
        app
    )
    moved = report(app)
    assert moved.loc["PNEUMONIA", "recall"] >= table.loc["PNEUMONIA", "recall"]

    app.button(key=f"evaluation_threshold_{runs['torch']}_reset").click().run()
    assert shown_metrics(app) == expected_metrics(cli)


def test_page_compares_keras_with_pytorch(runs):
    app = open_evaluation(runs["torch"])
    compare = app.selectbox(key=f"evaluation_compare_{runs['torch']}")
    # the default partner is the torch run's twin: Keras, same settings, seed and images
    # (pipeline.runs.choice.partner), whatever other tests trained since
    assert compare.value == runs["keras"]
    table = next(d.value for d in app.main.dataframe if "outside the interval" in d.value.columns)
    for quantity in (
        "accuracy",
        "AUC",
        "sensitivity",
        "specificity",
        "train s/epoch",
        "inference ms/image (CPU)",
        "parameters",
        "training peak memory (MB)",
        "training device",
    ):
        assert quantity in table.index
    assert set(table.loc[["accuracy", "AUC"], "outside the interval"]) <= {"yes", "no"}
    assert table.loc["parameters"].iloc[0] == table.loc["parameters"].iloc[1]

    app.selectbox(key="evaluation_split").set_value(
        "val"
    ).run()  # the split the runs chose their threshold on
    assert not app.exception
    assert any(
        "chose its best epoch and its threshold on this split" in w.value for w in app.warning
    )


def test_a_run_without_weights_gets_a_message(runs):
    broken = runs_root() / "00000000000000e1"
    shutil.rmtree(broken, ignore_errors=True)
    shutil.copytree(Run(runs["torch"]).path, broken)
    try:
        Run(broken.name).weights().unlink()
        app = open_evaluation(broken.name)
        assert not app.exception
        assert any("weights file is missing" in e.value for e in app.error)
    finally:
        shutil.rmtree(broken, ignore_errors=True)
