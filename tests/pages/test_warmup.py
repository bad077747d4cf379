"""The warm-up action, run by Streamlit's AppTest on two tiny runs trained here (synthetic, 32 px,
one epoch): it loads both models and fills the caches the Evaluation and Predictions pages read,
so those pages then load no model and predict nothing. With no runs it says what it skipped.

Evidence is counted calls of the real functions (each spy calls through), never timings.
"""

from collections import Counter
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.helpers.runs import tiny_run

ROOT = Path(__file__).resolve().parents[2]
HOME = str(ROOT / "dashboard" / "Home.py")

pytestmark = pytest.mark.slow


@pytest.fixture
def calls(monkeypatch) -> Counter:
    """How often the model loader, the split scorer, the predictor and the explainer factory run."""
    import pipeline.evaluate.scoring
    import pipeline.explain
    import pipeline.inference

    counted = Counter()
    for module, name in (
        (pipeline.inference, "load_run_model"),
        (pipeline.inference, "predict_proba"),
        (pipeline.evaluate.scoring, "score_run"),
        (pipeline.explain, "make_explainer"),
    ):
        real = getattr(module, name)

        def spy(*args, _real=real, _name=name, **kwargs):
            counted[_name] += 1
            return _real(*args, **kwargs)

        monkeypatch.setattr(module, name, spy)
    return counted


@pytest.fixture
def cold_caches():
    """Streamlit's caches belong to the process: start each test with none of them filled."""
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def warm_up_from_home() -> AppTest:
    app = AppTest.from_file(HOME, default_timeout=600).run()
    app.button(key="warmup_home").click().run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def step_lines(app: AppTest) -> dict[str, str]:
    """Each step's line, by step name: '<icon> **name** (1.2 s): state: detail'."""
    lines = {}
    for markdown in app.markdown:
        text = markdown.value
        if text.startswith(":material/") and "**" in text:
            lines[text.split("**")[1]] = text.split("**", 2)[2]
    return lines


def test_warm_up_with_no_runs_says_what_it_skipped(tmp_path, monkeypatch, cold_caches):
    monkeypatch.setenv("PNEUMOLAB_CACHE", str(tmp_path))  # an empty run store
    app = warm_up_from_home()
    lines = step_lines(app)

    assert ": done" in lines["Frameworks: torch, then TensorFlow and Keras"]
    assert ": done: " in lines["Images of `synthetic`"]
    for name in ("Keras", "PyTorch"):
        assert lines[f"{name} model"].endswith(
            f"skipped: no finished {name} run for this source: train one on the Training page"
        )
        assert "skipped: no finished" in lines[f"Evaluation: {name} on the test split"]
        assert "skipped" in lines[f"Predictions: {name} verdict and Grad-CAM"]
    assert (
        "skipped: needs a loaded model of each framework" in lines["Evaluation: Keras vs PyTorch"]
    )
    assert ": done: one epoch on" in lines["Insights: the mini demo"]  # needs no run
    assert not any(": failed" in line or ": timed out" in line for line in lines.values()), lines
    status = app.status[0]
    assert "skipped" in status.label and "failed" not in status.label


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, str]:
    return {"keras": tiny_run("keras"), "torch": tiny_run("torch")}


def test_warm_up_loads_both_models_and_the_pages_then_predict_nothing(
    runs, calls, cold_caches, no_run_left_behind
):
    app = warm_up_from_home()
    lines = step_lines(app)
    failed = {
        name: line for name, line in lines.items() if ": failed" in line or ": timed out" in line
    }
    assert not failed, failed
    for name in (
        "Keras model",
        "PyTorch model",
        "Evaluation: Keras on the test split",
        "Evaluation: PyTorch on the test split",
        "Evaluation: Keras vs PyTorch",
        "Predictions: Keras verdict and Grad-CAM",
        "Predictions: PyTorch verdict and Grad-CAM",
    ):
        assert ": done" in lines[name], (name, lines[name])
    # each run's test split scored once, each model loaded once: the newest run per framework,
    # and the other seeds of their groups when the store holds some (they join the page's table)
    assert calls["load_run_model"] == calls["score_run"] >= 2
    assert calls["make_explainer"] >= 2

    calls.clear()
    evaluation = AppTest.from_file(
        HOME, default_timeout=180
    ).run()  # a later visitor: another session
    evaluation.switch_page("views/evaluation.py").run()
    assert not evaluation.exception, [e.value for e in evaluation.exception]
    assert evaluation.title[0].value == "Evaluation"
    assert {m.label for m in evaluation.main.metric} >= {"Accuracy", "AUC"}
    assert any(h.value == "Keras vs PyTorch" for h in evaluation.subheader)
    assert calls == Counter(), (
        "the Evaluation page did prediction work the warm-up should have done"
    )

    predictions = AppTest.from_file(HOME, default_timeout=180).run()
    predictions.switch_page("views/predictions.py").run()
    assert not predictions.exception, [e.value for e in predictions.exception]
    assert not predictions.error, [e.value for e in predictions.error]
    assert [m.label for m in predictions.main.metric].count("P(PNEUMONIA)") == 2
    assert calls == Counter(), (
        "the Predictions page did prediction work the warm-up should have done"
    )


def test_warm_up_report_stays_for_later_sessions(runs, cold_caches, no_run_left_behind):
    warm_up_from_home()
    later = AppTest.from_file(HOME, default_timeout=180).run()
    assert any(c.value.startswith("Last warm-up 0 min ago: Warm-up:") for c in later.caption)
