"""``python -m pipeline.tune`` and the library the app uses, on tiny real trainings (synthetic
data, 32 px): the JSON's shape, a resumed study, the best spec training, cancelling and
resuming, and the pruner stopping a trial that is clearly worse."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.augment.spec import FIELDS, AugmentSpec
from pipeline.runs import Run
from pipeline.tune import cancel_search, list_searches, search_state, start_search
from tests.helpers.configs import tiny_settings
from tests.helpers.runs import wait_until

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
TINY = tiny_settings(source=None, batch_size=None, augment=None)  # the CLI and the search set those
# a spec that leaves little of the anatomy: trains on noise, scores near chance
WRECKED = AugmentSpec(
    rotation=180,
    width_shift=0.9,
    height_shift=0.9,
    shear=45,
    zoom=0.9,
    fill_mode="constant",
    fill_constant=255,
    contrast=(0.1, 0.1),
)


def tune(*args: str, **overrides) -> subprocess.CompletedProcess:
    sets = [f"--set={name}={value}" for name, value in {**TINY, **overrides}.items()]
    command = [sys.executable, "-m", "pipeline.tune", "--source", "synthetic", *sets, *args]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, env=os.environ.copy(), timeout=900
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.fixture(scope="module")
def searched(tmp_path_factory):
    """Two trials, then the same search asked for three: (first JSON, resumed JSON, spec file)."""
    out = tmp_path_factory.mktemp("tune") / "best.json"
    first = json.loads(tune("--trials", "2", "--json").stdout)
    resumed = json.loads(tune("--trials", "3", "--json", "--out", str(out)).stdout)
    return first, resumed, out


def test_three_tiny_trials_print_the_trials_and_the_best_spec(searched):
    _, resumed, _ = searched
    assert set(resumed) == {"trials", "best_augment"}
    trials = resumed["trials"]
    assert [t["number"] for t in trials] == [0, 1, 2]
    for trial in trials:
        assert {"run_id", "run_ids", "augment", "objective", "spread", "cost_s", "state"} <= set(
            trial
        )
        assert trial["run_id"] == trial["run_ids"][0] and len(trial["run_ids"]) == 1
        assert set(trial["augment"]) == {field.name for field in FIELDS}
        assert Run(trial["run_id"]).state == "finished"
        assert trial["state"] in ("complete", "pruned") and 0.0 <= trial["objective"] <= 1.0
    complete = [t for t in trials if t["state"] == "complete"]
    assert resumed["best_augment"] == max(complete, key=lambda t: t["objective"])["augment"]
    # the first trial is the preset's own spec: every search holds its reference
    assert trials[0]["augment"] == AugmentSpec.preset("light").to_dict()


def test_a_resumed_search_continues_the_same_study(searched):
    first, resumed, _ = searched
    assert resumed["trials"][:2] == [
        {**trial, "cost_s": resumed["trials"][i]["cost_s"]}
        for i, trial in enumerate(first["trials"])
    ]
    assert len(list_searches()) >= 1 and Path(os.environ["PNEUMOLAB_CACHE"], "tune").is_dir()


def test_the_best_spec_file_trains_with_pipeline_train(searched, no_run_left_behind):
    _, resumed, out = searched
    assert AugmentSpec.from_json(out.read_text()).to_dict() == resumed["best_augment"]
    command = [sys.executable, "-m", "pipeline.train", "--framework", "torch", "--source",
               "synthetic", "--epochs", "1", "--img-size", "32", "--width", "0.25",
               "--seed", "7", "--augment", str(out), "--json"]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    run = Run(json.loads(done.stdout)["run_id"])
    assert run.state == "finished"
    assert run.config().augment == resumed["best_augment"]


def test_a_cancelled_search_stops_its_run_and_resumes_with_the_same_spec(no_run_left_behind):
    overrides = {**TINY, "batch_size": 16}  # a search of its own
    name = start_search("synthetic", ("torch",), 2, seeds=(0,), overrides=overrides)
    assert search_state(name).running  # from the moment start_search returns
    state = wait_until(
        lambda: (s := search_state(name)).trials and s.trials[0].run_ids and s,
        what="the first trial's run",
    )
    cancel_search(name)
    state = search_state(name)
    assert not state.running and state.trials[0].state == "failed"
    lost = state.trials[0]
    assert Run(lost.run_ids[0]).state in ("cancelled", "finished")  # finished: it beat the cancel
    # the settings come from the stored search: --name alone resumes it
    command = [sys.executable, "-m", "pipeline.tune", "--name", name, "--trials", "1", "--json"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    retried = json.loads(done.stdout)["trials"][1]
    assert retried["augment"] == lost.augment and retried["run_ids"] == list(lost.run_ids)
    assert retried["state"] == "complete" and not search_state(name).running


def test_the_pruner_stops_a_clearly_worse_trial(no_run_left_behind):
    from pipeline.tune.search import run_search
    from pipeline.tune.space import params_of
    from pipeline.tune.study import open_study, save_settings, search_settings

    overrides = {**TINY, "epochs": 3}  # three epochs at 32 px learn: stress AUC ~0.7 vs ~0.55
    settings = save_settings(search_settings("synthetic", ("torch",), "quick", (0, 1), overrides))
    study = open_study(settings.name, create=True)
    for spec in (AugmentSpec.preset("none"), AugmentSpec.preset("light"), WRECKED):
        study.enqueue_trial(params_of(spec))
    started = time.monotonic()
    study = run_search(settings, 3, log=lambda message: None)
    states = [trial.state.name for trial in study.trials]
    assert states == ["COMPLETE", "COMPLETE", "PRUNED"], (states, time.monotonic() - started)
    pruned = search_state(settings.name).trials[2]
    assert pruned.state == "pruned" and len(pruned.run_ids) == 1  # seed 1 never trained
    assert pruned.objective < min(t.objective for t in search_state(settings.name).trials[:2])
