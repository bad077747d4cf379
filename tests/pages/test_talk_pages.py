"""The Introduction, Insights and Problem pages, run by Streamlit's AppTest on real data and Keras."""

import itertools
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipeline.data import CLASS_NAMES, SPLITS
from pipeline.data.summary import summarize
from pipeline.talk.history import ILSVRC_TOP5, THEMES
from tests.helpers.apptest import app_in_child
from tests.helpers.imagetree import kaggle_tree

pytestmark = pytest.mark.app  # AppTest or a framework CLI: not in make test-fast

ROOT = Path(__file__).resolve().parents[2]
HOME = str(ROOT / "dashboard" / "Home.py")
TIMEOUT_S = 180  # the Insights demo imports Keras, slow on a busy machine


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
    assert shown["Images"] == f"{expected.images:,}"
    assert shown["NORMAL"] == f"{expected.totals['NORMAL']:,}"
    assert shown["PNEUMONIA"] == f"{expected.totals['PNEUMONIA']:,}"
    table = app.main.dataframe[0].value
    for split in SPLITS:
        for name in CLASS_NAMES:
            assert table.loc[split, name] == expected.splits[split][name]


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
    assert skipped.to_dict("records") == expected.to_dict()["skipped"]
    assert any(
        w.value.startswith(f"{len(expected.skipped)} files were skipped") for w in app.main.warning
    )
    assert any(str(root) in c.value for c in app.main.caption)


def test_introduction_and_problem_import_no_framework():
    """In a fresh process (this one has Keras loaded by now), open both pages."""
    report = app_in_child("""
        report["pages"] = {}
        for page in ("views/talk_introduction.py", "views/talk_problem.py"):
            app.switch_page(page).run()
            report["pages"][page] = [app.title[0].value, [e.value for e in app.exception]]
    """)

    assert report["pages"] == {
        "views/talk_introduction.py": ["1 · Introduction: how deep learning got here", []],
        "views/talk_problem.py": ["3 · Demonstration: the problem", []],
    }
    assert report["loaded"] == []


# ---- the slides of issue 20 ----


def test_the_frame_slides_title_agenda_and_questions():
    from dashboard.app.pages import TALK
    from pipeline.talk import outline

    app = open_page("views/talk_title.py")
    assert app.title[0].value == outline.TITLE
    assert any(outline.CLAIM in m.value for m in app.main.markdown)
    app = open_page("views/talk_agenda.py")
    shown = "\n".join(m.value for m in app.main.markdown)
    for page in TALK:  # every numbered slide is on the agenda, under its part
        if outline.part_of(page.title) is not None:
            assert page.title.split("·", 1)[1].strip() in shown, page.title
    assert [h for h in shown.splitlines() if h.startswith("#### ")] == [
        f"#### {part.number} · {part.name}" for part in outline.PARTS
    ]
    app = open_page("views/talk_questions.py")
    assert app.title[0].value == outline.QUESTIONS


def test_the_mlp_slide_learns_xor_beside_the_perceptron():
    app = open_page("views/talk_mlp.py")
    assert len(app.main.get("plotly_chart")) == 2
    perceptron_wrong, mlp_wrong = (m.value for m in app.main.metric)
    assert mlp_wrong == "0 of 60" and perceptron_wrong != "0 of 60"
    app.main.slider(key="mlp_hidden").set_value(1).run()  # one hidden unit: still a single bend
    assert not app.exception


def test_the_dlbench_slides_cite_the_paper_under_each_figure():
    from pipeline.talk import dlbench

    for path, rows in (("views/talk_breakthrough.py", 9), ("views/talk_frameworks.py", 6)):
        app = open_page(path)
        assert len(app.main.get("plotly_chart")) == 1
        assert any(dlbench.CITATION in c.value and dlbench.DOI in c.value for c in app.main.caption)
        assert len(app.main.dataframe[0].value) == rows


def test_the_mnist_slide_shows_the_code_that_runs_and_what_the_log_gives_away():
    import inspect

    from pipeline.talk import mnist_example

    app = open_page("views/talk_mnist.py")
    assert app.main.code[0].value == inspect.getsource(mnist_example.mnist_example).strip()
    metrics = {m.label: m.value for m in app.main.metric}
    assert metrics == {
        "Epochs: code / log": "10 / 5",
        "val_loss": "12 to 19",
        "val_accuracy": "about 0.97",
    }
    assert [i.value for i in app.main.info] == [
        "Press **Run both now**: a few seconds each, the two Keras logs side by side."
    ]


@pytest.mark.slow  # trains the example twice in Keras
def test_the_mnist_slide_runs_the_example_with_and_without_the_fault():
    app = open_page("views/talk_mnist.py")
    app.main.button(key="mnist_run").click().run()
    assert not app.exception, [e.value for e in app.exception]
    talk_log, fixed_log = app.main.code[1].value, app.main.code[2].value
    assert talk_log.startswith("Epoch 1/5\n") and fixed_log.startswith("Epoch 1/5\n")
    assert any("a stand-in ran instead" in c.value for c in app.main.caption)
    losses = [float(m.value) for m in app.main.metric if m.label == "last val_loss"]
    assert losses[0] > 10 * losses[1]


def test_the_model_slide_reads_the_built_models():
    import json

    from pipeline.settings import write_cache_entry
    from pipeline.talk import architecture

    layers = [architecture.Layer(f"conv{i}", "conv", (4, 4, 8), 80, 0) for i in range(5)]
    layers += [architecture.Layer(f"bn{i}", "batchnorm", (4, 4, 8), 16, 16) for i in range(4)]
    layers += [architecture.Layer(f"pool{i}", "maxpool", (2, 2, 8), 0, 0) for i in range(5)]
    layers += [architecture.Layer(f"dropout{i}", "dropout", (8,), 0, 0) for i in range(2)]
    built = architecture.Architecture(
        architecture.DEFAULT_SIZE,
        1,
        1.0,
        "test",
        {f: architecture.BuiltModel(f, tuple(layers)) for f in ("keras", "torch")},
    )
    # a description already on disk: the page reads it and imports no framework
    write_cache_entry(architecture.cache_path(), json.dumps(built.to_dict()).encode())
    from dashboard.cache.talk_live import built_architecture

    built_architecture.clear()  # an earlier test of this process may have cached the real models
    app = open_page("views/talk_model.py")
    table = app.main.table[0].value
    assert table.loc["Conv2D"].tolist() == ["5", "5", "5"]
    assert table.loc["BatchNormalization"].tolist() == ["4", "4", "4"]
    assert {m.label: m.value for m in app.main.metric} == {
        "Keras: weights": "528",
        "PyTorch: weights": "528",
    }
    assert any("Both match the slide" in m.value for m in app.main.markdown)


def test_the_report_slide_shows_the_talks_report_and_says_how_to_measure_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PNEUMOLAB_CACHE", str(tmp_path))  # an empty run store
    app = open_page("views/talk_report.py")
    talk = app.main.table[0].value
    assert talk.loc["Pneumonia (class 0)"].tolist() == ["0.91", "0.96", "0.93", "390"]
    assert talk.loc["Normal (class 1)"].tolist() == ["0.92", "0.84", "0.88", "234"]
    assert talk.loc["accuracy", "f1-score"] == "0.91"
    assert any("calls Pneumonia class 0" in c.value for c in app.main.caption)
    assert any("Training page trains one" in i.value for i in app.main.info)  # no run yet


def test_the_corrected_facts_on_the_pages():
    from pipeline.talk import history, popularity

    app = open_page("views/talk_gradients.py")
    assert any(
        f"The second winter, {history.span(history.winter(2))}" in c.value for c in app.main.caption
    )
    app = open_page("views/talk_introduction.py")
    assert any("2010: **28.2%**, 2011: **25.8%**" in m.value for m in app.main.markdown)
    app = open_page("views/talk_problem.py")
    said = " ".join(m.value for m in app.main.markdown)
    assert "5,863 images by the data set's own description" in said and "5,856 files" in said
    app = open_page("views/talk_landscape.py")
    assert any("Chainer's licence is MIT, not BSD" in c.value for c in app.main.caption)
    app = open_page("views/talk_popularity.py")
    assert popularity.OCTOBER_2017 in [c.value for c in app.main.caption]


def test_the_talk_runs_in_its_order_and_home_lists_it_so():
    from dashboard.app.pages import TALK

    paths = [page.path for page in TALK]
    position = {path.removeprefix("views/").removesuffix(".py"): i for i, path in enumerate(paths)}
    assert paths[:2] == ["views/talk_title.py", "views/talk_agenda.py"]
    assert paths[-1] == "views/talk_questions.py"
    talk_order = (  # the talk: Keras pipeline -> MODEL -> PyTorch pipeline -> nutshell -> evaluation
        "talk_perceptron",
        "talk_mlp",
        "talk_gradients",
        "talk_keras_pipeline",
        "talk_model",
        "talk_torch_pipeline",
        "talk_nutshell",
        "talk_report",
        "evaluation",
        "talk_conclusion",
    )
    assert [position[name] for name in talk_order] == sorted(position[name] for name in talk_order)
    assert len(set(paths)) == len(paths)

    app = AppTest.from_file(HOME, default_timeout=TIMEOUT_S).run()
    links = [link.value for link in app.main.get("page_link")]
    assert links == [f"{page.title}: {page.blurb}" for page in TALK]
