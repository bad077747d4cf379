"""The Introduction, Insights and Problem pages, run by Streamlit's AppTest on real data and Keras."""

import itertools
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipeline.data import CLASS_NAMES, SPLITS
from pipeline.data.summary import summarize
from pipeline.talk.history import ILSVRC_TOP5, THEMES
from tests.helpers.imagetree import kaggle_tree

pytestmark = pytest.mark.app  # AppTest or a framework CLI: not in make test-fast

ROOT = Path(__file__).resolve().parents[2]
HOME = str(ROOT / "dashboard" / "Home.py")
TIMEOUT_S = 180  # the Insights demo imports Keras (~10 s alone, more on a busy machine)


@pytest.fixture(autouse=True)
def no_mnist_on_disk(monkeypatch, tmp_path):
    """No MNIST in Keras's cache: the digits are used."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))


def open_page(path: str) -> AppTest:
    app = AppTest.from_file(HOME, default_timeout=TIMEOUT_S).run()
    app.switch_page(path).run()
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]
    return app


def test_introduction_draws_the_timeline_and_the_imagenet_chart():
    app = open_page("views/talk_introduction.py")
    assert app.title[0].value.startswith("1 · Introduction")
    assert len(app.main.get("plotly_chart")) == 2
    sources = next(t.value for t in app.main.dataframe if "top-5 error (%)" in t.value.columns)
    assert sources["top-5 error (%)"].tolist()[: len(ILSVRC_TOP5)] == [
        r.top5_error for r in ILSVRC_TOP5
    ]

    app.main.get("button_group")[0].set_value([]).run()  # every theme switched off
    assert not app.exception
    assert [i.value for i in app.main.info] == [
        "Pick at least one theme above to draw the timeline."
    ]
    assert len(app.main.get("plotly_chart")) == 1
    app.main.get("button_group")[0].set_value(list(THEMES[:1])).run()
    assert len(app.main.get("plotly_chart")) == 2


def test_insights_table_and_the_live_demo_log():
    app = open_page("views/talk_insights.py")
    assert app.title[0].value.startswith("2 · Insights")
    table = app.main.table[0].value
    assert "Installed here (checked now)" in table.index
    shown = app.main.code[0].value
    assert (
        shown.startswith("def keras_workflow(")
        and "model.fit(" in shown
        and "model.evaluate(" in shown
    )
    assert [i.value for i in app.main.info] == [
        "Press **Train now**: a few seconds of training, its Keras log shown as it grows."
    ]

    app.main.button(key="insights_train").click().run()
    assert not app.exception, [e.value for e in app.exception]
    log = app.main.code[1].value
    epochs = app.main.slider(key="insights_epochs").value
    assert log.startswith(f"Epoch 1/{epochs}\n") and f"Epoch {epochs}/{epochs}" in log
    assert " - accuracy: " in log and " - loss: " in log
    metrics = {m.label: m.value for m in app.main.metric}
    assert float(metrics["evaluate(): test accuracy"].rstrip("%")) > 85
    assert any("scikit-learn's bundled handwritten digits" in c.value for c in app.main.caption)

    app.run()  # a rerun replays the cached run: the very same log, per-step timings included
    assert not app.exception
    assert app.main.code[1].value == log
    assert "Accelerator seen here" in app.main.table[0].value.index  # torch and TF are loaded now


def test_demo_log_grows_line_by_line():
    from pipeline.talk.mini_demo import run_demo

    seen = []
    result = run_demo(epochs=2, seed=1, on_log=seen.append)
    assert seen[-1] == result.log
    assert len(seen) == 4  # "Epoch n/2" and the epoch's line, twice
    assert all(
        later.startswith(earlier) and len(later) > len(earlier)
        for earlier, later in itertools.pairwise(seen)
    )
    assert seen[0] == "Epoch 1/2\n"


def metrics(app: AppTest) -> dict:
    return {m.label: m.value for m in app.main.metric}


def assert_counts(app: AppTest, expected: dict) -> None:
    shown = metrics(app)
    assert shown["Images"] == f"{expected['images']:,}"
    assert shown["NORMAL"] == f"{expected['totals']['NORMAL']:,}"
    assert shown["PNEUMONIA"] == f"{expected['totals']['PNEUMONIA']:,}"
    table = app.main.dataframe[0].value
    for split in SPLITS:
        for name in CLASS_NAMES:
            assert table.loc[split, name] == expected["splits"][split][name]


def test_problem_page_shows_the_counts_of_summarize():
    expected = summarize("synthetic")
    app = open_page("views/talk_problem.py")
    assert app.title[0].value == "3 · Demonstration: the problem"
    assert_counts(app, expected)
    assert (
        "No patient has images in two splits: validation and test scores measure new patients."
        in [s.value for s in app.main.success]
    )
    links = [link.value for link in app.main.get("page_link")]
    assert [link.split(":")[0] for link in links] == [
        "Dataset explorer",
        "Augmentation",
        "Training",
        "Evaluation",
        "Predictions",
    ]


def test_problem_page_on_a_folder_lists_its_broken_files(tmp_path):
    root = kaggle_tree(tmp_path / "xrays", per_class=(10, 30), broken=True)
    expected = summarize(str(root))
    app = open_page("views/talk_problem.py")
    app.sidebar.selectbox(key="source_kind").set_value("Folder or CSV on this machine").run()
    app.sidebar.text_input(key="source_path_path").set_value(str(root)).run()
    assert not app.exception, [e.value for e in app.exception]

    assert_counts(app, expected)
    skipped = next(
        t.value for t in app.main.dataframe if list(t.value.columns) == ["path", "reason"]
    )
    assert skipped.to_dict("records") == expected["skipped"]
    assert any(
        w.value.startswith(f"{len(expected['skipped'])} files were skipped")
        for w in app.main.warning
    )
    assert any(str(root) in c.value for c in app.main.caption)


def test_introduction_and_problem_import_no_framework():
    """In a fresh process (this one has Keras loaded by now), open both pages."""
    script = textwrap.dedent(f"""
        import json, sys
        from streamlit.testing.v1 import AppTest
        app = AppTest.from_file({HOME!r}, default_timeout=120).run()
        pages = {{}}
        for page in ("views/talk_introduction.py", "views/talk_problem.py"):
            app.switch_page(page).run()
            pages[page] = [app.title[0].value, [e.value for e in app.exception]]
        loaded = [m for m in ("torch", "tensorflow", "keras") if m in sys.modules]
        print(json.dumps({{"pages": pages, "loaded": loaded}}))
    """)
    env = {k: v for k, v in os.environ.items() if k != "PNEUMOLAB_DATA"}
    child = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert child.returncode == 0, child.stderr[-3000:]
    report = json.loads(child.stdout.strip().splitlines()[-1])

    assert report["pages"] == {
        "views/talk_introduction.py": ["1 · Introduction: how deep learning got here", []],
        "views/talk_problem.py": ["3 · Demonstration: the problem", []],
    }
    assert report["loaded"] == []
