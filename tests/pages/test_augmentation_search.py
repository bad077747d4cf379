"""The Augmentation page's Search section, run by Streamlit's AppTest on real searches.

A tiny search (2 trials of one PyTorch run each: 32 px, 1 epoch, the synthetic demo) runs
through ``pipeline.tune`` in a cache of its own; the page then shows its trials, charts and
basis from ``search_state``, previews a trial as the studio draws its own, and "Use the best
spec in the studio" fills the studio's widgets. With training off there is no start button and
the finished search still shows. The start button starts a real search, the page follows it
while it runs, and its Cancel button stops it.
"""

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipeline.augment.spec import FIELDS, AugmentSpec
from pipeline.tune import cancel_search, list_searches, search_state, start_search
from tests.helpers.configs import tiny_settings
from tests.helpers.runs import wait_until

pytestmark = [
    pytest.mark.app,
    pytest.mark.slow,  # it trains
    pytest.mark.filterwarnings("ignore:Please import `affine_transform`:DeprecationWarning"),
]

ROOT = Path(__file__).resolve().parents[2]
HOME = str(ROOT / "dashboard" / "Home.py")
TIMEOUT_S = 300  # the first run generates the demo data and loads Keras and PyTorch
TINY_RUNS = tiny_settings(source=None, augment=None)  # the search sets those


@pytest.fixture(scope="module")
def search_cache(tmp_path_factory):
    """A cache holding one finished tiny search: (cache, its name)."""
    cache = tmp_path_factory.mktemp("search-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PNEUMOLAB_CACHE", str(cache))
        name = start_search("synthetic", ("torch",), 2, seeds=(0,), overrides=TINY_RUNS)
        try:
            wait_until(lambda: not search_state(name).running, 600, "the tiny search to end")
        finally:
            cancel_search(name)  # a no-op once it has ended
        trials = search_state(name).trials
        assert [t.state for t in trials] == ["complete", "complete"], trials
    return cache, name


@pytest.fixture
def searched(search_cache, monkeypatch) -> str:
    """The finished search's name, its cache this test's cache."""
    cache, name = search_cache
    monkeypatch.setenv("PNEUMOLAB_CACHE", str(cache))
    return name


def open_page() -> AppTest:
    app = AppTest.from_file(HOME, default_timeout=TIMEOUT_S).run()
    app.switch_page("views/augmentation.py").run()
    assert_clean(app)
    return app


def assert_clean(app: AppTest) -> None:
    assert not app.exception, [e.value for e in app.exception]


def trials_table(app: AppTest):
    return next(t.value for t in app.main.dataframe if "objective" in t.value.columns)


def chart(app: AppTest, title: str) -> dict:
    specs = [json.loads(c.proto.spec) for c in app.get("plotly_chart")]
    return next(s for s in specs if s["layout"].get("title", {}).get("text") == title)


def test_a_finished_search_shows_its_trials_charts_basis_and_a_preview(searched):
    app = open_page()
    state = search_state(searched)
    assert app.selectbox(key="aug_search").value == searched
    table = trials_table(app)
    assert list(table["trial"]) == [t.number for t in state.trials] == [0, 1]
    assert list(table["state"]) == ["complete", "complete"]
    assert list(table["objective"]) == [t.objective for t in state.trials]
    status = next(s.value for s in app.success if s.value.startswith("Not running"))
    assert f"2 complete; best objective {state.best_objective:.4f}" in status

    objective = chart(app, "Objective by trial")
    traces = {trace["name"]: trace for trace in objective["data"]}
    assert traces["complete"]["y"] == [t.objective for t in state.trials]
    best = traces["best so far"]
    assert best["y"] == [state.trials[0].objective, max(t.objective for t in state.trials)]
    importance = chart(app, "Importance of each field")["data"][0]
    assert dict(zip(importance["y"], importance["x"])) == state.importances
    assert set(state.importances) <= {field.name for field in FIELDS}

    basis = next(c.value for c in app.main.caption if c.value.startswith("Basis:"))
    assert "2 trials (2 complete, 0 pruned, 0 failed) of PyTorch, seeds 0" in basis
    assert "(32 px, 1 epoch)" in basis and "flatters" in basis

    best_trial = next(t for t in state.trials if t.augment == state.best_augment)
    assert app.selectbox(key="aug_search_trial").value == best_trial.number
    keras, torch = (list(image.captions) for image in app.main.image[-2:])
    assert keras == torch == [f"#{i}" for i in range(8)]  # drawn as the studio draws its spec


def test_use_the_best_spec_fills_the_studio(searched):
    app = open_page()
    best = AugmentSpec.from_dict(search_state(searched).best_augment)
    assert AugmentSpec(**{f.name: widget_value(app, f) for f in FIELDS}) != best
    app.button(key="aug_search_use_best").click().run()
    assert_clean(app)
    assert AugmentSpec(**{f.name: widget_value(app, f) for f in FIELDS}) == best
    spec_caption = next(c.value for c in app.sidebar.caption if c.value.startswith("Spec `"))
    assert spec_caption.startswith(f"Spec `{best.stable_hash()}`")
    assert any(f"best spec (`{best.stable_hash()}`" in s.value for s in app.success)


def widget_value(app: AppTest, field):
    """What the studio's sidebar widget of ``field`` holds, as a spec value."""
    key, sidebar = f"aug_field_{field.name}", app.sidebar
    if field.kind == "range":
        on = sidebar.checkbox(key=key + "_on").value
        return tuple(sidebar.slider(key=key).value) if on else None
    if field.kind == "bool":
        return sidebar.checkbox(key=key).value
    if field.kind == "choice":
        return sidebar.selectbox(key=key).value
    if field.step is None:
        return sidebar.number_input(key=key).value
    return sidebar.slider(key=key).value


def test_with_training_off_the_search_shows_and_nothing_starts(searched, monkeypatch):
    monkeypatch.setenv("PNEUMOLAB_ALLOW_TRAINING", "0")
    app = open_page()
    assert "aug_search_start" not in [b.key for b in app.button]
    assert any("no search can start here" in i.value for i in app.info)
    assert list(trials_table(app)["trial"]) == [0, 1]


@pytest.mark.usefixtures("no_run_left_behind")
def test_the_start_button_starts_a_search_the_page_follows_and_cancels(tmp_path, monkeypatch):
    monkeypatch.setenv("PNEUMOLAB_CACHE", str(tmp_path))
    app = open_page()
    assert any("No search yet" in c.value for c in app.main.caption)
    app.multiselect(key="aug_search_frameworks").set_value(["torch"])
    app.number_input(key="aug_search_trials").set_value(1).run()
    assert any(
        c.value.startswith("At most 1 training (1 trial × 1 framework × 1 seed)")
        for c in app.caption
    )
    app.button(key="aug_search_start").click().run()
    assert_clean(app)
    [name] = list_searches()
    assert any(f"Search `{name}` started" in s.value for s in app.success)
    assert app.selectbox(key="aug_search").value == name
    assert any(i.value.startswith("Running:") for i in app.info)
    app.button(key="aug_search_cancel").click().run()
    assert_clean(app)
    assert not search_state(name).running
    stopped = [w.value for w in app.warning if w.value.startswith("Not running")]
    assert stopped and f"{name}.log" in stopped[0]  # nothing scored: where to read why
    assert "aug_search_cancel" not in [b.key for b in app.button]
