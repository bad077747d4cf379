"""The Training page, run by Streamlit's AppTest: it starts real trainings in worker processes
and follows them by polling, the way a browser's fragment reruns do."""

import json
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipeline.runs import Run, all_runs
from pipeline.training.config import TrainConfig
from pipeline.training.queue import trigger, wait
from tests.helpers.apptest import app_in_child
from tests.helpers.configs import tiny

ROOT = Path(__file__).resolve().parents[2]
HOME = str(ROOT / "dashboard" / "Home.py")
PAGE = "views/training.py"

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("no_run_left_behind")]


def open_page() -> AppTest:
    app = AppTest.from_file(HOME, default_timeout=120).run()
    app.switch_page(PAGE).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def choose_tiny_settings(
    app: AppTest, seed: int, epochs: int = 1, frameworks=("keras", "torch")
) -> None:
    app.multiselect(key="train_frameworks").set_value(list(frameworks))
    app.radio(key="train_preset").set_value("custom").run()
    for key, value in (
        ("train_img_size", 32),
        ("train_width", 0.25),
        ("train_epochs", epochs),
        ("train_patience", 0),
        ("train_seed", seed),
    ):
        app.number_input(key=key).set_value(value)
    app.selectbox(key="train_augment").set_value("none")
    app.run()
    assert not app.error, [e.value for e in app.error]


def table(app: AppTest, column: str):
    """The dataframe on the page that has ``column``."""
    return next(frame.value for frame in app.dataframe if column in frame.value.columns)


def poll(app: AppTest, until, timeout: float = 300.0) -> list[str]:
    """Rerun the page about every second (as the fragment does) until ``until(app)``;
    returns every progress text seen on the way."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.run()
        assert not app.exception, [e.value for e in app.exception]
        seen += [bar.proto.text for bar in app.get("progress")]
        if until(app):
            return seen
        time.sleep(1.0)
    raise AssertionError(
        f"page never got there; last progress: {seen[-3:]}, "
        f"success: {[s.value for s in app.success]}, errors: {[e.value for e in app.error]}"
    )


def test_one_click_trains_both_frameworks_in_turn_with_live_progress_and_history():
    app = open_page()
    choose_tiny_settings(app, seed=301)
    assert any("Estimated duration on this CPU" in info.value for info in app.info)
    assert app.button(key="train_start").label == "Train Keras and PyTorch"

    app.button(key="train_start").click().run()
    seen = poll(app, lambda a: len(a.success) == 2)

    assert any("Keras" in text and "epoch 1/1, step" in text for text in seen)  # live, mid-epoch
    assert any("PyTorch" in text and "queued" in text for text in seen)  # waited for Keras
    runs = {Run(r.id).config().framework: Run(r.id) for r in all_runs() if r.config().seed == 301}
    assert {f: r.state for f, r in runs.items()} == {"keras": "finished", "torch": "finished"}
    assert runs["torch"].status().started >= runs["keras"].status().ended
    for framework, label in (("keras", "Keras"), ("torch", "PyTorch")):
        message = next(s.value for s in app.success if runs[framework].id in s.value)
        assert message.startswith(f"**{label}**") and "validation AUC" in message
        assert runs[framework].result().device.name in message

    chart = json.loads(app.get("plotly_chart")[0].proto.spec)
    names = {trace["name"].split(" (")[0] for trace in chart["data"]}
    assert names >= {"Keras train", "Keras val", "PyTorch train", "PyTorch val"}

    assert {runs["keras"].id, runs["torch"].id} <= set(table(app, "run")["run"])


def page_config(framework: str, seed: int) -> TrainConfig:
    """What ``choose_tiny_settings`` makes the page train (custom starts from ``full``)."""
    return tiny(framework, seed, preset="full")


def test_history_compares_two_configs_and_deletes_a_run():
    # the runs the test above trained through the page (cached), or trained now when run alone
    keras_id, torch_id = (trigger(page_config(f, seed=301)).run.id for f in ("keras", "torch"))
    for run_id in (keras_id, torch_id):
        assert wait(Run(run_id), poll_s=0.3).status == "finished"
    app = open_page()
    app.selectbox(key="compare_a").set_value(keras_id)
    app.selectbox(key="compare_b").set_value(torch_id).run()

    differing = table(app, "setting")
    assert list(differing["setting"]) == ["framework"]
    assert list(differing["A"]) == ["keras"] and list(differing["B"]) == ["torch"]
    assert (
        '-  "framework": "keras"' in app.code[0].value
        and '+  "framework": "torch"' in app.code[0].value
    )

    app.text_input(key="history_search").set_value(keras_id).run()
    assert list(table(app, "run")["run"]) == [keras_id]

    app.selectbox(key="delete_run").set_value(keras_id)
    app.button(key="delete_button").click().run()
    assert not Run(keras_id).exists() and Run(torch_id).exists()


def test_two_sessions_share_one_training_and_either_can_cancel_it():
    first, second = open_page(), open_page()
    for app in (first, second):
        choose_tiny_settings(app, seed=302, epochs=50, frameworks=("torch",))

    first.button(key="train_start").click().run()
    poll(first, lambda a: any("epoch 1/50, step" in bar.proto.text for bar in a.get("progress")))
    second.button(key="train_start").click().run()

    ids = {r.id for r in all_runs() if r.config().seed == 302}
    assert len(ids) == 1  # the second session attached to the first one's run
    run = Run(ids.pop())
    assert run.status().attempt == 1
    assert any(run.id in bar.proto.text for bar in second.get("progress"))

    second.button(key=f"cancel_{run.id}").click().run()
    poll(
        first,
        lambda a: any(run.id in w.value and "cancelled" in w.value for w in a.warning),
        timeout=120,
    )
    assert run.state == "cancelled"


def test_the_page_imports_no_framework_and_names_an_impossible_setting():
    """In a fresh process (pytest itself may hold torch from other tests)."""
    before = {run.id for run in all_runs()}
    report = app_in_child(f"""
        app.switch_page({PAGE!r}).run()
        app.radio(key="train_preset").set_value("custom").run()
        app.number_input(key="train_img_size").set_value(16).run()
        report["errors"] = [e.value for e in app.error]
        app.button(key="train_start").click().run()
        report["exceptions"] = [e.value for e in app.exception]
        report["title"] = app.title[0].value
    """)

    assert report["title"] == "Training" and report["exceptions"] == []
    assert report["loaded"] == []
    assert len(report["errors"]) == 2  # one per framework
    assert all("**img_size**" in error and "[32, 512]" in error for error in report["errors"])
    assert {run.id for run in all_runs()} == before  # the start button queued nothing


def test_a_seed_group_starts_one_run_per_seed():
    """Seeds "311,312" queue one run per seed (PyTorch only, to keep it short), each its own
    cached run with its own seed; a bad seed list says what to type and starts nothing."""
    app = open_page()
    choose_tiny_settings(app, seed=310, frameworks=("torch",))
    app.text_input(key="train_seeds").set_value("3x1").run()
    assert any("whole numbers" in e.value for e in app.error)
    app.text_input(key="train_seeds").set_value("311,312").run()
    assert not app.error and any("2 runs per framework" in c.value for c in app.caption)
    app.button(key="train_start").click().run()
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        runs = {Run(r.id).config().seed: r for r in all_runs()}
        if {311, 312} <= set(runs) and all(runs[s].state == "finished" for s in (311, 312)):
            break
        app.run()
        time.sleep(2.0)
    seeds = {run.config().seed: run.state for run in all_runs()}
    assert seeds.get(311) == "finished" and seeds.get(312) == "finished", seeds
    assert 310 not in seeds  # the group replaces the custom seed


def test_the_recipe_ingredients_are_settings_and_weight_averaging_asks_for_the_last_weights():
    app = open_page()
    app.radio(key="train_preset").set_value("custom").run()
    app.selectbox(key="train_checkpoint").set_value("best")
    app.number_input(key="train_ema").set_value(0.99).run()
    errors = [e.value for e in app.error]
    assert errors and all("**ema_decay**" in e and "'last'" in e for e in errors), errors
    app.selectbox(key="train_checkpoint").set_value("last")
    app.number_input(key="train_mixup").set_value(0.2).run()
    assert not app.error, [e.value for e in app.error]
