"""Training triggers: cached, attached or queued; one training at a time per machine.

    outcome = trigger(config)        # validates, hashes, and then one of:
    outcome.how == "cached"          #   the same run finished before: nothing to do
    outcome.how == "attached"        #   the same run is queued or running: follow it
    outcome.how == "queued"          #   a new (or retried) run waits for a training slot

Training never happens in the caller's process. With the local executor (the default) a
worker (``python -m pipeline.training.worker``) is started in its own session, takes a training
slot, trains the oldest queued run and exits, so its memory goes back to the system; with the
ray executor (``trigger(config, executor="ray")``, or ``PNEUMOLAB_EXECUTOR=ray``) the run is a
task on a Ray cluster (``pipeline.training.executors``, docs/cluster.md). Slots and the Ray
driver's lease are ``flock``-ed files: the kernel releases them when their holder dies, which
is how ``refresh()`` tells a killed trainer from a slow one. The run id does not depend on the
executor, so a run finished either way is cached for both.

Every status change happens under the store lock (``pipeline.runs.store_lock``), so two
triggers for the same run - from two threads, two processes or two browser tabs - create
it once and start one training.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass

from pipeline.runs import (
    ACTIVE,
    Run,
    RunData,
    RunStatus,
    StoreError,
    make_run_id,
    runs_root,
    store_error,
    store_lock,
    write_json,
)
from pipeline.settings import is_storage_error
from pipeline.training.executors import (
    claim_slot,  # noqa: F401 (tests hold a slot through here)
    executor_named,
    executor_of,
)

CANCEL_MARKER = "cancel"


@dataclass
class Triggered:
    """What ``trigger`` did: the run, and how it got it."""

    run: Run
    how: str  # "cached", "attached" or "queued"


def trigger(config, executor: str | None = None) -> Triggered:
    """The run for ``config`` on its data: finished, in progress or newly queued.

    A new run trains with ``executor`` ("local" or "ray"; None: ``$PNEUMOLAB_EXECUTOR``, else
    local); a finished or active run is returned whichever executor trained it.
    Raises ``ConfigError`` (naming the field) for impossible settings and ``SourceError``
    for a data source that cannot be read, before anything is written; ``StoreError`` when
    the run store cannot be written (full or read-only disk), leaving no half-made run.
    """
    from models import MODEL_CODE_VERSION
    from pipeline.data import open_source
    from pipeline.data.identity import identity_of

    config.validate()
    chosen = executor_named(executor)
    source = open_source(config.source)
    scan = source.scan()
    identity = identity_of(source)
    run = Run(run_id_for(config, identity.fingerprint))
    with store_lock():
        _reap_lost_runs()
        state = run.state
        if state == "finished":
            return Triggered(run, "cached")
        if state in ACTIVE:
            return Triggered(run, "attached")
        try:
            _enqueue(run, config, scan, identity, MODEL_CODE_VERSION, chosen)
        except OSError as error:
            shutil.rmtree(run.path, ignore_errors=True)  # no status.json: the folder is no run
            raise store_error(error, run.path) from error
        start_trainers()
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
            # the worker checks it between steps; a Ray driver cancels the task (ray_driver.py)
            (run.path / CANCEL_MARKER).touch()
            run.set_status("running", cancel_requested=True)
        return state


def refresh() -> None:
    """Mark runs whose trainer died as failed, and start trainers for runs that wait.

    Cheap (a few file operations); pages call it on every poll, the CLIs before they read.
    A store the disk will not write cannot change, so there is nothing to do and readers go on.
    """
    try:
        with store_lock():
            _reap_lost_runs()
            start_trainers()
    except OSError as error:
        if not (isinstance(error, StoreError) or is_storage_error(error)):
            raise


def wait(run: Run, poll_s: float = 0.5, on_poll=None) -> RunStatus:
    """Block until ``run`` is finished, failed or cancelled; returns its final status."""
    while True:
        refresh()
        status = run.status()
        if on_poll is not None:
            on_poll(status)
        if not status.active:
            return status
        time.sleep(poll_s)


def queued_runs(executor: str | None = "local") -> list[Run]:
    """Runs waiting to train with ``executor`` (None: any), in the order they were queued."""
    queued = [(r.status(), r) for r in _store_runs()]
    queued = [
        (s.queued, r)
        for s, r in queued
        if s.status == "queued" and executor in (None, executor_of(s).name)
    ]
    return [r for _, r in sorted(queued, key=lambda pair: pair[0])]


def _store_runs() -> list[Run]:
    return [Run(p.name) for p in runs_root().iterdir() if p.is_dir() and not p.name.startswith(".")]


def _enqueue(run: Run, config, scan, identity, code_version: str, executor) -> None:
    """(Re)create the run's folder as a fresh queued run for ``executor``; earlier failed
    attempts are cleared."""
    attempt = (run.status().attempt or 0) + 1
    if run.path.exists():
        shutil.rmtree(run.path)
    run.path.mkdir(parents=True)
    (run.path / "config.json").write_text(config.to_json())
    data = RunData(
        source=config.source,
        kind=scan.kind,
        fingerprint=scan.fingerprint,
        images=len(scan.records),
        model_code_version=code_version,
    )
    write_json(run.path / "data.json", data.identified(identity).to_dict())
    now = time.time()
    # status.json comes last: until it exists the folder is not a run (Run.exists)
    run.set_status(
        "queued",
        created=now,
        queued=now,
        attempt=attempt,
        framework=config.framework,
        source=config.source,
        executor=executor.name,
        ray=executor.ray_target(),  # None (local): not recorded
    )


def _reap_lost_runs() -> None:
    """A run still 'running' whose trainer is gone (its worker's slot or its Ray driver's lease
    is free) is marked failed, with the reason and what to do.

    Called under the store lock. Workers and Ray drivers change a run's status only under that
    lock and hold their slot or lease from before 'running' until after the final status, so a
    free one here can only mean the holder is gone (killed, out of memory, machine restarted).
    """
    for run in _store_runs():
        status = run.status()
        if status.status != "running":
            continue
        reason = executor_of(status).lost(status)
        if reason is None:
            continue
        (run.path / CANCEL_MARKER).unlink(missing_ok=True)
        run.set_status("failed", ended=time.time(), error=reason)


def start_trainers() -> None:
    """Start a trainer for each executor with runs waiting (one that runs already is left).
    Called under the store lock, so a finishing trainer and a new trigger never both miss."""
    oldest = {}
    for run in queued_runs(None):
        executor = executor_of(run.status())
        oldest.setdefault(executor.name, (executor, run))
    for executor, run in oldest.values():
        executor.submit(run)
