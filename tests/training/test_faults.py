"""Faults: training processes killed at any moment, full and read-only disks, damaged files.

Every fault is real (see ``tests.helpers.faults``): SIGKILL, a kernel that refuses writes, bytes
flipped or cut off on disk. What must hold after each: the run store parses and lists, a
killed run reads as failed and a retry trains it to the end, no partial or damaged weights
are ever loaded (a message says to retrain instead), a damaged cache entry is rebuilt, and a
cache the disk will not take costs speed, not results - with a message naming the path and
what to do.
"""

import json
import os
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

from pipeline.inference import ModelLoadError, load_run_model, predict_proba
from pipeline.runs import ACTIVE, Run, all_runs
from pipeline.settings import (
    CacheWriteWarning,
    cache_entry_intact,
    checksum_path,
    sha256_of,
    write_cache_entry,
)
from pipeline.training.queue import refresh, trigger, wait
from pipeline.training.worker import WORK_DIR
from tests.helpers.configs import tiny
from tests.helpers.faults import (
    ROOT,
    TINY_CLI,
    assert_store_consistent,
    cli,
    environment,
    file_size_limit,
    flip_byte,
    kill,
    python,
    read_only,
    small_disk,
    truncate,
)
from tests.helpers.runs import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("no_run_left_behind")]

PAUSE_IN_SAVE = Path(__file__).resolve().parents[1] / "helpers" / "pause_in_save"


WEIGHTS_FILES = {"torch": "model.pt", "keras": "model.keras"}


@pytest.fixture(autouse=True)
def one_thread_per_worker(monkeypatch):
    """Workers inherit this process's environment: one BLAS/OpenMP thread each on the shared cores."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")


@pytest.fixture(scope="module")
def finished_run():
    """A tiny finished torch run, for the tests that damage or read a finished run."""
    run = trigger(tiny("torch", seed=750)).run
    assert wait(run, poll_s=0.3).status == "finished"
    return run


def assert_failed_without_a_model(run: Run, pid: int) -> None:
    status = run.status()
    assert status.status == "failed" and str(pid) in status.error and "again" in status.error
    assert run.result() is None and not (run.path / "result.json").exists()
    assert not (run.path / "weights").exists()  # partial weights never land in place
    with pytest.raises(ModelLoadError, match="is failed"):
        load_run_model(run.id)


def assert_model_predicts(run: Run) -> None:
    from pipeline.data import load_split

    assert run.result().weights_sha256 == sha256_of(run.weights())
    images = load_split("synthetic", "val", 32).images[:8]
    probabilities = predict_proba(load_run_model(run.id), images)
    assert probabilities.shape == (8,) and np.all((probabilities >= 0) & (probabilities <= 1))


def assert_refused(run: Run, why: str) -> None:
    """The model is refused, by the library call and by the CLI, with what to do."""
    with pytest.raises(ModelLoadError, match=why) as refused:
        load_run_model(run.id)
    assert "train it again" in str(refused.value)
    done = cli("pipeline.evaluate", "--run", run.id, "--json", timeout=120)
    assert done.returncode == 2 and why in done.stderr and "train it again" in done.stderr, (
        done.stderr
    )
    assert "Traceback" not in done.stderr


# ---- killed training processes ----


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_a_worker_killed_while_writing_the_weights_leaves_no_model_and_a_retry_finishes(
    framework, monkeypatch
):
    """The worker pauses half-way through the weights file (the test seam in
    tests/helpers/pause_in_save/) and is killed there; then the retried run's weights are
    damaged on disk and refused."""
    monkeypatch.setenv("PYTHONPATH", str(PAUSE_IN_SAVE))
    monkeypatch.setenv("PNEUMOLAB_TEST_PAUSE_IN_SAVE_S", "120")
    run = trigger(tiny(framework, seed=700)).run
    partial = run.path / WORK_DIR / WEIGHTS_FILES[framework]
    wait_until(
        lambda: (partial.exists() and partial.stat().st_size > 0) or run.state not in ACTIVE,
        timeout=240,
        what="the half-written weights",
    )
    assert run.state == "running", run.status()
    pid = run.status().pid

    kill(pid)
    refresh()

    assert_failed_without_a_model(run, pid)
    assert run.id in assert_store_consistent()

    monkeypatch.delenv("PNEUMOLAB_TEST_PAUSE_IN_SAVE_S")
    monkeypatch.delenv("PYTHONPATH")
    retry = trigger(tiny(framework, seed=700))
    assert retry.how == "queued" and retry.run.id == run.id
    assert wait(run, poll_s=0.3).status == "finished" and run.status().attempt == 2
    assert not (run.path / WORK_DIR).exists()
    assert_model_predicts(run)

    weights = run.weights()
    good = weights.read_bytes()
    flip_byte(weights)
    assert_refused(run, "does not match the sha256")
    truncate(weights)
    assert_refused(run, "does not match the sha256")
    weights.write_bytes(good)
    assert_model_predicts(run)


KILL_POINTS = (  # (what has happened, then seconds more): from before the worker starts to the final save
    ("queued", 0.0),
    ("running", 0.0),
    ("running", 1.0),
    ("stepping", 0.0),
    ("stepping", 0.8),
    ("one epoch", 0.0),
    ("two epochs", 0.0),
)
HAPPENED = {
    "queued": lambda run: True,
    "running": lambda run: run.state == "running",
    "stepping": lambda run: run.progress().position is not None,
    "one epoch": lambda run: len(run.progress().epochs) >= 1,
    "two epochs": lambda run: len(run.progress().epochs) >= 2,
}


def test_workers_killed_at_varied_moments_never_leave_a_run_that_looks_finished():
    """Kill the worker at points from its start to its last write (starting, loading, inside an
    epoch, between epochs, saving): each time the run is failed with nothing loadable, or -
    killed too late - finished and whole. Then a retry trains it to the end."""
    config = tiny("torch", seed=710, epochs=2)
    outcomes = []
    for event, delay in KILL_POINTS:
        run = trigger(config).run
        wait_until(lambda: HAPPENED[event](run) or run.state not in ACTIVE, what=event)  # noqa: B023
        time.sleep(delay)
        wait_until(lambda: run.status().pid or run.state not in ACTIVE, what="a worker")  # noqa: B023
        status = run.status()
        pid = status.pid
        if status.status == "running":
            kill(pid)
        refresh()
        outcomes.append((event, delay, phase(run), run.state))
        assert_store_consistent()
        if run.state == "finished":
            assert_model_predicts(run)
            continue
        assert_failed_without_a_model(run, pid)
    print("kills (after, +s, phase, state):", outcomes)
    assert [state for *_, state in outcomes].count("failed") >= 5, outcomes
    assert {"starting", "training"} <= {phase for _, _, phase, _ in outcomes}, outcomes

    if run.state != "finished":
        assert trigger(config).how == "queued"
        assert wait(run, poll_s=0.3).status == "finished"
    assert_model_predicts(run)


def phase(run: Run) -> str:
    """Where the worker was when it stopped, from what it had written."""
    progress = run.progress()
    if progress.position is None:
        return "starting"
    return "training" if len(progress.epochs) < progress.position.epochs else "saving"


def test_a_killed_train_command_leaves_its_worker_to_finish_and_a_second_call_is_a_cache_hit():
    before = {run.id for run in all_runs()}
    command = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pipeline.train",
            "--framework",
            "torch",
            *TINY_CLI,
            "--seed",
            "720",
            "--json",
        ],
        cwd=ROOT,
        env=environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    run = wait_until(
        lambda: next((r for r in all_runs() if r.id not in before and r.state == "running"), None),
        what="the command's run to start",
    )

    command.kill()
    command.wait()

    assert wait(run, poll_s=0.3).status == "finished"  # the worker lives in its own session
    again = cli("pipeline.train", "--framework", "torch", *TINY_CLI, "--seed", "720", "--json")
    assert again.returncode == 0 and json.loads(again.stdout)["cached"] is True


# ---- full and read-only disks ----

LOAD_TWO_SIZES = """
import json, warnings
warnings.simplefilter("always")
from pipeline.data import load_split
with warnings.catch_warnings(record=True) as caught:
    sizes = {size: len(load_split("synthetic", "train", size)) for size in (32, 40)}
print(json.dumps({"sizes": sizes, "warnings": [str(w.message) for w in caught]}))
"""


def cache_with_one_entry(cache) -> dict:
    """A cache holding the arrays at 32 px but not the synthetic dataset they came from."""
    built = python(
        LOAD_TWO_SIZES.replace("(32, 40)", "(32,)"), env=environment(PNEUMOLAB_CACHE=str(cache))
    )
    assert built.returncode == 0, built.stderr
    shutil.rmtree(cache / "synthetic")
    return {p.name: p.read_bytes() for p in (cache / "arrays").iterdir()}


def assert_worked_without_caching(done, cache, kept: dict, reason: str) -> None:
    """The arrays came back; the entries that could not be written are absent, with a warning
    naming their path, the reason and PNEUMOLAB_CACHE; the entry written before still loads."""
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["sizes"]["32"] == report["sizes"]["40"] > 0
    messages = report["warnings"]
    for entry in ("synthetic", "arrays"):
        assert any(
            str(cache / entry) in m and reason in m and "PNEUMOLAB_CACHE" in m for m in messages
        ), messages
    assert {
        p.name: p.read_bytes() for p in (cache / "arrays").iterdir()
    } == kept  # nothing new, nothing half
    assert not list((cache / "synthetic").iterdir())


def test_a_full_disk_while_caching_returns_the_arrays_with_a_warning_and_corrupts_nothing(tmp_path):
    cache = tmp_path / "cache"
    kept = cache_with_one_entry(cache)

    done = python(
        LOAD_TWO_SIZES,
        prefix=file_size_limit(64 * 1024),
        env=environment(PNEUMOLAB_CACHE=str(cache)),
    )

    assert_worked_without_caching(done, cache, kept, "File too large")


def test_a_small_filesystem_that_runs_out_of_space_while_caching(tmp_path):
    """A 2 MB tmpfs: the 35 MB synthetic dataset and its arrays do not fit (ENOSPC)."""
    cache = tmp_path / "cache"
    cache.mkdir()
    probe = (
        LOAD_TWO_SIZES
        + "\nimport os; print(json.dumps(os.listdir(os.environ['PNEUMOLAB_CACHE'] + '/arrays')))"
    )

    done = python(
        probe, prefix=small_disk(cache, "2m"), env=environment(PNEUMOLAB_CACHE=str(cache))
    )

    assert done.returncode == 0, done.stderr
    report, left_on_disk = (json.loads(line) for line in done.stdout.splitlines())
    assert report["sizes"]["32"] > 0
    assert any(
        "No space left on device" in m and "PNEUMOLAB_CACHE" in m for m in report["warnings"]
    ), report
    assert left_on_disk == []  # no partial entry, no temporary file


def test_a_full_disk_while_saving_the_weights_fails_the_run_with_what_to_do_and_a_retry_finishes():
    """The weights (126 kB) are over the limit, the run's JSON files are not: EFBIG in the engine."""
    args = ["--framework", "torch", *TINY_CLI, "--seed", "730", "--json"]

    done = cli("pipeline.train", *args, prefix=file_size_limit(64 * 1024))

    assert done.returncode == 1, done.stderr
    outcome = json.loads(done.stdout)
    assert outcome["status"] == "failed"
    assert "model.pt" in outcome["error"] and "File too large" in outcome["error"], outcome["error"]
    assert "PNEUMOLAB_CACHE" in outcome["error"] and "again" in outcome["error"]
    run = Run(outcome["run_id"])
    assert not (run.path / "weights").exists() and not (run.path / WORK_DIR).exists()
    assert_store_consistent()

    retry = cli("pipeline.train", *args)
    assert retry.returncode == 0 and json.loads(retry.stdout)["status"] == "finished", retry.stderr
    assert_model_predicts(run)


READ_ONLY_SESSION = """
import json, subprocess, sys, warnings
warnings.simplefilter("always")
from pipeline.data import load_split
from pipeline.inference import load_run_model, predict_proba
with warnings.catch_warnings(record=True) as caught:
    images = load_split("synthetic", "val", 32).images
    load_split("synthetic", "val", 44)
model = load_run_model(sys.argv[1])
listed = subprocess.run([sys.executable, "-m", "pipeline.runs", "list", "--json"], capture_output=True, text=True)
train = subprocess.run([sys.executable, "-m", "pipeline.train", "--framework", "torch", "--seed", "731",
                        *sys.argv[2:]], capture_output=True, text=True)
print(json.dumps({"warnings": [str(w.message) for w in caught], "predicted": len(predict_proba(model, images[:4])),
                  "listed": [listed.returncode, listed.stdout], "train": [train.returncode, train.stderr]}))
"""


def test_a_read_only_cache_still_reads_lists_and_predicts_and_refuses_new_training_with_what_to_do(
    finished_run,
):
    from pipeline.settings import cache_root

    with read_only(cache_root()) as prefix:
        done = subprocess.run(
            [*prefix, sys.executable, "-c", READ_ONLY_SESSION, finished_run.id, *TINY_CLI],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            env=environment(),
        )

    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["predicted"] == 4
    assert any("PNEUMOLAB_CACHE" in m and "arrays" in m for m in report["warnings"]), report[
        "warnings"
    ]
    code, listing = report["listed"]
    assert code == 0 and finished_run.id in {row["run_id"] for row in json.loads(listing)}
    code, error = report["train"]
    assert (
        code == 2
        and "could not write" in error
        and "PNEUMOLAB_CACHE" in error
        and "Traceback" not in error
    ), error
    assert_store_consistent()


# ---- damaged files ----


def test_damaged_cache_entries_are_found_by_their_checksum_and_rebuilt(tmp_path, monkeypatch):
    from pipeline.data import load_split, open_source
    from pipeline.data.arrays import cache_path

    monkeypatch.setenv("PNEUMOLAB_CACHE", str(tmp_path))
    good = load_split("synthetic", "train", 32)
    entry = cache_path(open_source("synthetic").scan(), 32)
    dataset = open_source("synthetic").cache_path()

    damages = {
        "flipped byte": flip_byte,
        "truncated": truncate,
        "emptied": lambda p: p.write_bytes(b""),
        "checksum missing": lambda p: checksum_path(p).unlink(),
        "checksum garbled": lambda p: checksum_path(p).write_bytes(b"\xff\xfe"),
    }
    cases = [(entry, damage) for damage in damages] + [
        (dataset, "flipped byte"),
        (dataset, "truncated"),
    ]
    for (
        path,
        damage,
    ) in cases:  # the dataset is regenerated (seconds each): two kinds of damage suffice
        damages[damage](path)
        assert not cache_entry_intact(path), damage  # found by its checksum (and removed)
        with warnings.catch_warnings():
            warnings.simplefilter("error", CacheWriteWarning)  # rebuilding must be able to write
            again = load_split("synthetic", "train", 32)
        assert np.array_equal(again.images, good.images) and np.array_equal(
            again.labels, good.labels
        ), damage
        assert sha256_of(path) == checksum_path(path).read_text(), (
            damage
        )  # rewritten whole, with its checksum


KILLED_WRITER = """
import sys
from pathlib import Path
from pipeline.settings import write_cache_entry
print(flush=True)  # ready: the test starts watching for the temporary file now
write_cache_entry(Path(sys.argv[1]), bytes(400 * 2**20))
"""


def test_a_writer_killed_mid_write_leaves_no_entry_and_its_temporary_file_is_cleared_by_the_next(
    tmp_path,
):
    entry = tmp_path / "arrays" / "entry.npz"
    writer = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(entry)],
        cwd=ROOT,
        env=environment(),
        stdout=subprocess.PIPE,
        text=True,
    )
    writer.stdout.readline()
    temporary = wait_until(
        lambda: next(entry.parent.glob(".entry.npz.*.tmp"), None),
        timeout=60,
        what="the writer's temporary file",
    )
    writer.kill()
    writer.wait()
    assert temporary.exists() and not entry.exists() and not checksum_path(entry).exists()

    assert not cache_entry_intact(entry)
    assert write_cache_entry(entry, b"whole")
    assert cache_entry_intact(entry) and not temporary.exists()


def test_a_damaged_status_file_lists_as_damaged_and_can_be_deleted(finished_run):
    copy = Run("00000000000000f7")
    shutil.copytree(finished_run.path, copy.path)
    flip_byte(copy.path / "status.json", 0.0)  # "{" becomes a byte no JSON starts with

    assert copy.state == "damaged" and "status.json is damaged" in copy.status().error
    assert copy.id in [r.id for r in all_runs()]
    listed = cli("pipeline.runs", "list")
    assert listed.returncode == 0 and "damaged" in listed.stdout
    with pytest.raises(ModelLoadError, match="is damaged"):
        load_run_model(copy.id)
    assert cli("pipeline.runs", "delete", copy.id).returncode == 0


def test_a_damaged_result_file_is_refused_with_what_to_do(finished_run):
    copy = Run("00000000000000f8")
    shutil.copytree(finished_run.path, copy.path)
    truncate(copy.path / "result.json")

    with pytest.raises(ModelLoadError, match="result.json is missing or damaged"):
        load_run_model(copy.id)
    assert cli("pipeline.runs", "show", copy.id).returncode == 0
    shutil.rmtree(copy.path)


def test_an_intact_model_still_loads_after_its_neighbours_were_damaged(finished_run):
    assert_model_predicts(finished_run)
    assert sorted(os.listdir(finished_run.path / "weights")) == ["model.onnx", "model.pt"]
