"""Training triggers: cached, attached or queued; one training at a time per machine.

    outcome = trigger(config)        # validates, hashes, and then one of:
    outcome.how == "cached"          #   the same run finished before: nothing to do
    outcome.how == "attached"        #   the same run is queued or running: follow it
    outcome.how == "queued"          #   a new (or retried) run waits for a training slot

Training never happens in the caller's process: a worker (``python -m pipeline.training.worker``)
is started in its own session, takes a training slot, trains the oldest queued run and exits,
so its memory goes back to the system. Slots are ``flock``-ed files: the kernel releases
them when a worker dies, which is how ``refresh()`` tells a killed worker from a slow one.

Every status change happens under the store lock (``pipeline.runs.store_lock``), so two
triggers for the same run - from two threads, two processes or two browser tabs - create
it once and start one training.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from pipeline.runs import (
    ACTIVE,
    Run,
    StoreError,
    identity_fields,
    make_run_id,
    runs_root,
    store_error,
    store_lock,
    write_json,
)
from pipeline.settings import is_storage_error

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CANCEL_MARKER = "cancel"
SLOTS_VARIABLE = "PNEUMOLAB_TRAINING_SLOTS"  # trainings at once on this machine (default 1)


@dataclass
class Triggered:
    """What ``trigger`` did: the run, and how it got it."""

    run: Run
    how: str  # "cached", "attached" or "queued"


def trigger(config) -> Triggered:
    """The run for ``config`` on its data: finished, in progress or newly queued.

    Raises ``ConfigError`` (naming the field) for impossible settings and ``SourceError``
    for a data source that cannot be read, before anything is written; ``StoreError`` when
    the run store cannot be written (full or read-only disk), leaving no half-made run.
    """
    from models import MODEL_CODE_VERSION
    from pipeline.data import open_source
    from pipeline.data.identity import identity_of

    config.validate()
    source = open_source(config.source)
    scan = source.scan()
    identity = identity_of(source)
    run = Run(run_id_for(config, identity.fingerprint))
    with store_lock():
        _reap_dead_workers()
        state = run.state
        if state == "finished":
            return Triggered(run, "cached")
        if state in ACTIVE:
            return Triggered(run, "attached")
        try:
            _enqueue(run, config, scan, identity, MODEL_CODE_VERSION)
        except OSError as error:
            shutil.rmtree(run.path, ignore_errors=True)  # no status.json: the folder is no run
            raise store_error(error, run.path) from error
        start_worker_if_slot_free()
    return Triggered(run, "queued")


def run_id_for(config, identity: str) -> str:
    """The id of ``config``'s run on the training images with this content identity
    (``pipeline.data.identity``): what makes a training happen once, wherever the files sit."""
    from models import MODEL_CODE_VERSION

    return make_run_id(config.settings_hash(), identity, MODEL_CODE_VERSION)


def cancel(run_id: str) -> str:
    """Stop a run: a queued one at once, a running one at its next step. Returns the state."""
    run = Run(run_id)
    with store_lock():
        state = run.state
        if state == "queued":
            run.set_status("cancelled", ended=time.time())
            return "cancelled"
        if state == "running":
            (run.path / CANCEL_MARKER).touch()  # the worker checks it between steps
            run.set_status("running", cancel_requested=True)
        return state


def refresh() -> None:
    """Mark runs whose worker died as failed, and start a worker if runs wait for a free slot.

    Cheap (a few file operations); pages call it on every poll, the CLIs before they read.
    A store the disk will not write cannot change, so there is nothing to do and readers go on.
    """
    try:
        with store_lock():
            _reap_dead_workers()
            start_worker_if_slot_free()
    except OSError as error:
        if not (isinstance(error, StoreError) or is_storage_error(error)):
            raise


def wait(run: Run, poll_s: float = 0.5, on_poll=None) -> dict:
    """Block until ``run`` is finished, failed or cancelled; returns its final status."""
    while True:
        refresh()
        status = run.status()
        if on_poll is not None:
            on_poll(status)
        if status["status"] not in ACTIVE:
            return status
        time.sleep(poll_s)


def queued_runs() -> list[Run]:
    """Runs waiting for a slot, in the order they were queued."""
    runs = [Run(p.name) for p in runs_root().iterdir() if p.is_dir() and not p.name.startswith(".")]
    queued = [(r.status(), r) for r in runs]
    queued = [(s["queued"], r) for s, r in queued if s["status"] == "queued"]
    return [r for _, r in sorted(queued, key=lambda pair: pair[0])]


def slot_count() -> int:
    return max(1, int(os.environ.get(SLOTS_VARIABLE, "1")))


def claim_slot():
    """An open, ``flock``-ed slot file ``(index, handle)``, or None when every slot is taken.

    The lock lives as long as the handle (or the process) does.
    """
    for index in range(slot_count()):
        handle = open(runs_root() / f".slot-{index}.lock", "a")  # noqa: SIM115 (held by the caller)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        return index, handle
    return None


def _enqueue(run: Run, config, scan, identity, code_version: str) -> None:
    """(Re)create the run's folder as a fresh queued run; earlier failed attempts are cleared."""
    attempt = run.status().get("attempt", 0) + 1
    if run.path.exists():
        shutil.rmtree(run.path)
    run.path.mkdir(parents=True)
    (run.path / "config.json").write_text(config.to_json())
    write_json(
        run.path / "data.json",
        {
            "source": config.source,
            "kind": scan.kind,
            "fingerprint": scan.fingerprint,
            "images": len(scan.records),
            "model_code_version": code_version,
            **identity_fields(identity),
        },
    )
    now = time.time()
    # status.json comes last: until it exists the folder is not a run (Run.exists)
    run.set_status(
        "queued",
        created=now,
        queued=now,
        attempt=attempt,
        framework=config.framework,
        source=config.source,
    )


def _reap_dead_workers() -> None:
    """A run still 'running' whose slot is free has lost its worker: mark it failed.

    Called under the store lock. Workers change a run's status only under that lock and
    hold their slot from before 'running' until after the final status, so a free slot
    here can only mean the worker is gone (killed, out of memory, machine restarted).
    """
    for run in [
        Run(p.name) for p in runs_root().iterdir() if p.is_dir() and not p.name.startswith(".")
    ]:
        status = run.status()
        if status["status"] != "running" or not _slot_is_free(status.get("slot", 0)):
            continue
        (run.path / CANCEL_MARKER).unlink(missing_ok=True)
        pid = status.get("pid")
        run.set_status(
            "failed",
            ended=time.time(),
            error=f"the training process (pid {pid}) stopped without finishing; "
            f"its output is in {run.path / 'worker.log'}. Start the training again to retry.",
        )


def _slot_is_free(index: int) -> bool:
    with open(runs_root() / f".slot-{index}.lock", "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(handle, fcntl.LOCK_UN)
        return True


def start_worker_if_slot_free() -> None:
    """Called under the store lock, so a finishing worker and a new trigger never both miss."""
    if queued_runs() and any(_slot_is_free(i) for i in range(slot_count())):
        start_worker()


def start_worker() -> None:
    """Start a training worker in its own session: it outlives the page or CLI that started it."""
    log = open(runs_root() / ".workers.log", "ab")  # noqa: SIM115 (until the worker picked its run)
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline.training.worker"],
        cwd=PROJECT_ROOT,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    # reap it when it exits, so a long-lived Streamlit process collects no zombies
    threading.Thread(target=process.wait, daemon=True).start()
