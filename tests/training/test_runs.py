"""The run store and the training queue, with real workers training tiny models on the synthetic data.

What a finished run holds, the cache hit, one training at a time in order, cancel, a killed
worker, and concurrent triggers (threads and processes). Each test uses its own seed, so
each config is a run of its own in the session's private cache.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pipeline.data import open_source
from pipeline.data.identity import dataset_identity
from pipeline.runs import Run, RunError, make_run_id
from pipeline.training.config import TrainConfig
from pipeline.training.queue import cancel, claim_slot, refresh, trigger, wait
from tests.helpers.configs import tiny
from tests.helpers.runs import pid_gone, training_started, wait_until

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("no_run_left_behind")]


@pytest.fixture(scope="module")
def two_runs():
    """A torch and a Keras run, triggered together: the second waits for the first."""
    first = trigger(tiny("torch", seed=101))
    second = trigger(tiny("keras", seed=101))
    queued_behind = second.run.state  # the torch run holds the only slot
    statuses = [wait(first.run, poll_s=0.3), wait(second.run, poll_s=0.3)]
    return first, second, queued_behind, statuses


def test_both_runs_finish_one_after_the_other(two_runs):
    first, second, queued_behind, statuses = two_runs

    assert (first.how, second.how) == ("queued", "queued")
    assert queued_behind == "queued"
    assert [s.status for s in statuses] == ["finished", "finished"], statuses
    assert statuses[1].started >= statuses[0].ended  # one training at a time, in order
    assert statuses[0].pid != statuses[1].pid  # each run in a fresh process


def test_store_holds_config_data_history_metrics_timings_device_and_weights(two_runs):
    first, second, *_ = two_runs
    scan = open_source("synthetic").scan()
    fingerprint = scan.fingerprint
    for outcome, framework, weights_file in (
        (first, "torch", "model.pt"),
        (second, "keras", "model.keras"),
    ):
        run = outcome.run
        config = TrainConfig.from_json((run.path / "config.json").read_text())
        assert config == tiny(framework, seed=101)
        identity = dataset_identity("synthetic").fingerprint
        assert run.id == make_run_id(
            config.settings_hash(), identity, run.data().model_code_version
        )
        assert run.data().fingerprint == fingerprint
        assert run.data().identity == identity

        progress = run.progress()
        assert [e["epoch"] for e in progress.epochs] == [1]
        for key in (
            "train_loss",
            "train_accuracy",
            "train_auc",
            "val_loss",
            "val_accuracy",
            "val_auc",
        ):
            assert 0 <= progress.epochs[0][key] < 10, key
        assert progress.steps and progress.position.steps == len(scan.split("train")) // 32

        result = run.result()
        assert set(result.val.to_dict()) >= {"loss", "accuracy", "auc"}
        assert result.val.images == len(scan.split("val"))
        assert result.timings.seconds_per_epoch > 0 and result.timings.images_per_s > 0
        assert result.device.type == "cpu" and result.device.name
        assert run.weights() == run.path / "weights" / weights_file
        assert run.weights().stat().st_size > 10_000

        status = run.status()
        assert status.status == "finished" and status.attempt == 1
        assert status.created <= status.started <= status.ended
        leftovers = sorted(
            p.name for p in run.path.rglob("*") if p.name.startswith(".") or p.name == "cancel"
        )
        assert leftovers == []  # no temporary files, no partial weights, no cancel marker


def test_torch_weights_load_into_the_model(two_runs):
    import torch

    from models.torch_cnn import PneumoniaCNN

    run = two_runs[0].run
    model = PneumoniaCNN(32, 1, 0.25)
    model.load_state_dict(torch.load(run.weights(), weights_only=True))


def test_a_second_trigger_returns_the_finished_run_without_training(two_runs):
    run = two_runs[0].run
    before = (run.path / "status.json").read_bytes()
    started = time.monotonic()

    again = trigger(tiny("torch", seed=101))

    assert again.how == "cached" and again.run.id == run.id
    assert time.monotonic() - started < 5
    time.sleep(1.0)  # a worker, had one been started, would have changed the status by now
    assert (run.path / "status.json").read_bytes() == before


def test_runs_cli_lists_shows_and_deletes(two_runs):
    first, second, *_ = two_runs

    def runs_cli(*args, expect=0):
        done = subprocess.run(
            [sys.executable, "-m", "pipeline.runs", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == expect, done.stderr
        return done

    listed = {row["run_id"]: row for row in json.loads(runs_cli("list", "--json").stdout)}
    assert (
        listed[first.run.id]["status"] == "finished"
        and listed[first.run.id]["framework"] == "torch"
    )
    assert listed[second.run.id]["val"]["auc"] == second.run.result().val.auc
    assert first.run.id in runs_cli("list").stdout

    shown = json.loads(runs_cli("show", second.run.id, "--json").stdout)
    assert shown["config"]["framework"] == "keras" and shown["result"]["weights"] == "model.keras"
    assert "val" in runs_cli("show", second.run.id).stdout

    assert "no run" in runs_cli("show", "0123456789abcdef", expect=2).stderr
    assert "not a run id" in runs_cli("show", "../etc", expect=2).stderr

    copy = Run("00000000000000b1")  # delete a copy: the two runs stay for the other tests
    subprocess.run(["cp", "-r", str(first.run.path), str(copy.path)], check=True)
    assert runs_cli("delete", copy.id).returncode == 0
    assert not copy.path.exists()
    assert "no run" in runs_cli("delete", copy.id, expect=2).stderr


def test_cancel_stops_a_running_training_and_a_retry_starts_over():
    run = trigger(tiny("torch", seed=102, epochs=50)).run
    wait_until(lambda: training_started(run), what="the first step")
    pid = run.status().pid
    with pytest.raises(RunError, match="cancel it before deleting"):
        run.delete()

    assert cancel(run.id) == "running"  # stops at the worker's next step
    status = wait(run, poll_s=0.2)

    assert status.status == "cancelled"
    assert run.result() is None and not (run.path / "result.json").exists()
    assert not (run.path / "weights").exists() and not (run.path / "cancel").exists()
    wait_until(lambda: pid_gone(pid), timeout=30, what="the worker to exit")

    retry = trigger(tiny("torch", seed=102, epochs=50))
    assert retry.how == "queued" and retry.run.id == run.id
    assert retry.run.status().attempt == 2 and retry.run.progress().epochs == []
    assert cancel(run.id) in ("queued", "cancelled", "running")


def test_a_queued_run_cancels_at_once_and_sigterm_cancels_a_running_one():
    blocker = trigger(tiny("torch", seed=103, epochs=50)).run
    waiting = trigger(tiny("torch", seed=104)).run
    assert waiting.state == "queued"

    assert cancel(waiting.id) == "cancelled"
    assert waiting.state == "cancelled"

    wait_until(lambda: training_started(blocker), what="the first step")
    os.kill(blocker.status().pid, signal.SIGTERM)  # e.g. the machine shutting down
    assert wait(blocker, poll_s=0.2).status == "cancelled"


def test_a_killed_worker_marks_its_run_failed_and_a_retry_finishes():
    run = trigger(tiny("torch", seed=105)).run
    wait_until(lambda: training_started(run), what="the first step")
    pid = run.status().pid

    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: pid_gone(pid), timeout=30, what="the killed worker to go")
    refresh()

    status = run.status()
    assert status.status == "failed"
    assert str(pid) in status.error and "again" in status.error
    assert run.result() is None and not (run.path / "result.json").exists()
    assert not (run.path / "weights").exists()  # partial weights never land in place

    retry = trigger(tiny("torch", seed=105))
    assert retry.how == "queued" and retry.run.id == run.id
    final = wait(retry.run, poll_s=0.3)
    assert final.status == "finished" and final.attempt == 2
    assert retry.run.weights().exists()


RACE_ROUNDS, RACE_THREADS, RACE_PROCESSES = 6, 6, 4
RACER = """
import json, os, sys, time
from pipeline.training.config import TrainConfig
from pipeline.training.queue import trigger
for config, gate in json.loads(sys.argv[1]):
    while not os.path.exists(gate):
        time.sleep(0.001)
    outcome = trigger(TrainConfig.from_json(config))
    print(json.dumps([outcome.run.id, outcome.how]), flush=True)
"""


def test_concurrent_triggers_from_threads_and_processes_queue_one_run(tmp_path):
    """Ten triggers of one config at the same moment (threads and processes), six times over:
    each time one of them queues the run and the nine others attach to it."""
    configs = [tiny("torch", seed=110 + i, epochs=50) for i in range(RACE_ROUNDS)]
    gates = [tmp_path / f"go-{i}" for i in range(RACE_ROUNDS)]
    open_source(
        "synthetic"
    ).scan()  # the data layer's cache exists: the race is on the run store alone
    slot = claim_slot()  # hold the machine's training slot: the runs stay queued, nothing trains
    assert slot is not None
    racers = json.dumps([[c.to_json(), str(g)] for c, g in zip(configs, gates)])
    children = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, racers],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(RACE_PROCESSES)
    ]
    time.sleep(3)  # let the children import and reach the first gate
    try:
        for config, gate in zip(configs, gates):
            outcomes = race(config, gate, children)
            assert len({run_id for run_id, _ in outcomes}) == 1
            assert sorted(how for _, how in outcomes) == ["attached"] * 9 + ["queued"], outcomes
            run = Run(outcomes[0][0])
            assert run.state == "queued" and run.status().attempt == 1
    finally:
        for config in configs:
            cancel(trigger(config).run.id)
        slot[1].close()
        for child in children:
            child.kill()
            child.wait()


def race(config, gate, children) -> list:
    """Trigger ``config`` from RACE_THREADS threads here and from every child, all at once."""
    outcomes, errors = [], []
    ready = threading.Barrier(RACE_THREADS + 1)

    def in_thread():
        ready.wait()
        try:
            outcome = trigger(config)
        except Exception as error:  # a race must fail the test, not vanish with its thread
            errors.append(repr(error))
            return
        outcomes.append([outcome.run.id, outcome.how])

    threads = [threading.Thread(target=in_thread) for _ in range(RACE_THREADS)]
    for thread in threads:
        thread.start()
    gate.touch()
    ready.wait()
    for thread in threads:
        thread.join(timeout=120)
    for child in children:
        outcomes.append(json.loads(child.stdout.readline()))
    assert errors == []
    assert len(outcomes) == RACE_THREADS + RACE_PROCESSES
    return outcomes
