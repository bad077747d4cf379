"""The run store: one folder per training run, outside the tracked files.

    <cache>/runs/<run_id>/
        config.json     the TrainConfig, as TrainConfig.to_json() writes it
        data.json       source, data fingerprint, content identity, model code version
        status.json     queued | running | finished | failed | cancelled, pid, times, error,
                        executor (local | ray) and, for a Ray run, the node it trained on
        progress.json   per-step and per-epoch history, rewritten while training
        result.json     final validation metrics, timings, device, weights file name and sha256
        weights/        model.keras or model.pt (moved in from a temporary folder)
        worker.log      what the training process printed

Every file is replaced atomically, and ``finished`` is the last thing a run writes: a
reader that sees ``finished`` finds the result and the weights complete, and a run killed
half-way never looks finished. The run id is a hash of the settings (the config without its
source path), the training images' content identity (``pipeline.data.identity``) and the model
code version, so the same question always lands in the same folder, wherever the data sits.

Faults: a JSON file damaged on disk reads as missing (a damaged status as ``damaged``, which a
new trigger retrains), and a store the disk will not write raises ``StoreError`` saying which
path and what to do; listing a read-only store still works.

Other layers read runs through ``finished_runs(framework, source)`` and
``latest_per_framework(source)``, a run's result through ``Run.result()``, a typed
``pipeline.records.RunResult``, and its other files as the records of ``pipeline.runs.records``
(``Run.status()``, ``config()``, ``data()``, ``progress()``, ``summary()``). The command line
(``python -m pipeline.runs``) is in ``__main__.py``: it refreshes the queue first, and the store
itself never imports the queue.

Exported runs (``pipeline.export``) and the runs that ship with the repository
(``pipeline.shipped``, imported by the CLI's ``list`` and by the app at start) sit in the same
store; ``Run.origin()`` tells them apart: "trained" here, "imported" from a zip, "shipped".
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

from pipeline.records import RunResult
from pipeline.runs.records import (
    ACTIVE,
    NodeInfo,
    Progress,
    RayTarget,
    RunConfig,
    RunData,
    RunEnd,
    RunStatus,
    RunSummary,
)
from pipeline.settings import atomic_write_bytes, cache_root, storage_advice

STATES = ("queued", "running", "finished", "failed", "cancelled")
WEIGHTS_DIR = "weights"


class RunError(ValueError):
    """A run that does not exist or cannot be changed now; the message says why."""


class StoreError(OSError):
    """The run store cannot be written (disk full, read-only, no permission); the message says
    which path and what to do."""


def store_error(error: OSError, path=None) -> StoreError:
    return StoreError(storage_advice(error, error.filename or path or "the run store"))


def runs_root() -> Path:
    try:
        root = cache_root() / "runs"
        root.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise store_error(error) from error
    return root


def make_run_id(config_hash: str, fingerprint: str, code_version: str) -> str:
    """Same config, same data, same model code: same id (and so the same cached run)."""
    key = json.dumps([config_hash, fingerprint, code_version]).encode()
    return hashlib.sha256(key).hexdigest()[:16]


@contextmanager
def store_lock():
    """Exclusive lock over status changes of every run (held for milliseconds).

    ``flock`` works across threads (each call opens its own file description) and processes,
    and the kernel drops it when a holder dies, so a crash never leaves the store locked.
    """
    path = runs_root() / ".store.lock"
    try:
        handle = open(path, "a")  # noqa: SIM115 (closed by the `with` below; open apart to map its error)
    except OSError as error:  # a read-only or full disk: no status can change
        raise store_error(error, path) from error
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_json(path: Path, data: dict) -> None:
    atomic_write_bytes(path, json.dumps(data, indent=2, sort_keys=True).encode())


def read_json(path: Path) -> dict | None:
    """The JSON object in ``path``; None when it is missing, or damaged on disk (not JSON, not
    UTF-8): one bad file must not break every listing of the store. A reader of JSON files (the
    store's records are built from what it reads), not a record itself."""
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return None


class Run:
    """One run's folder; every read goes to disk, so it always shows the latest state."""

    def __init__(self, run_id: str):
        if not run_id or not all(c in "0123456789abcdef" for c in run_id):
            raise RunError(
                f"'{run_id}' is not a run id (16 hex digits, see `python -m pipeline.runs list`)"
            )
        self.id = run_id
        self.path = runs_root() / run_id

    def exists(self) -> bool:
        return (self.path / "status.json").exists()

    def status(self) -> RunStatus:
        """The status record; status "missing" for a run that was never created, "damaged" for
        one whose status file the disk garbled (a new trigger trains it again)."""
        record = read_json(self.path / "status.json")
        if record is None and self.exists():
            return RunStatus(
                run_id=self.id,
                status="damaged",
                error=f"{self.path / 'status.json'} is damaged; start the training again to retrain the run",
            )
        return RunStatus.from_dict(record or {"run_id": self.id, "status": "missing"})

    @property
    def state(self) -> str:
        return self.status().status

    def config(self) -> RunConfig:
        """The config it trained with, as stored (empty for a missing or damaged file)."""
        return RunConfig.from_dict(read_json(self.path / "config.json"))

    def data(self) -> RunData:
        return RunData.from_dict(read_json(self.path / "data.json"))

    def progress(self) -> Progress:
        return Progress.from_dict(read_json(self.path / "progress.json"))

    def result(self) -> RunResult | None:
        """Final metrics, timings and device; only once the run has finished (and its
        result.json reads)."""
        if self.state != "finished":
            return None
        data = read_json(self.path / "result.json")
        return RunResult.from_dict(data) if data is not None else None

    def weights(self) -> Path | None:
        result = self.result()
        return self.path / WEIGHTS_DIR / result.weights if result and result.weights else None

    def set_status(self, state: str, **fields) -> RunStatus:
        """Write a new status record, keeping earlier fields (times, attempt) unless replaced.
        ``fields`` are RunStatus's (records or their JSON) or new keys, kept as they are."""
        assert state in STATES, state
        fields = {k: v.to_dict() if hasattr(v, "to_dict") else v for k, v in fields.items()}
        record = RunStatus.from_dict(
            {
                **self.status().to_dict(),
                **fields,
                "run_id": self.id,
                "status": state,
                "updated": time.time(),
            }
        )
        write_json(self.path / "status.json", record.to_dict())
        return record

    def end(self, end: RunEnd) -> RunStatus:
        """Record how its training ended, with the time: the run's last write."""
        error = {"error": end.error} if end.error is not None else {}
        return self.set_status(end.state, **error, ended=time.time())

    def summary(self) -> RunSummary:
        """One row for listings: status, framework, source, key settings and validation metrics."""
        status, config, result = self.status(), self.config(), self.result()
        return RunSummary(
            run_id=self.id,
            status=status.status,
            framework=config.framework,
            source=config.source,
            epochs=config.epochs,
            img_size=config.img_size,
            seed=config.seed,
            created=status.created,
            ended=status.ended,
            device=(result.device.name if result else None) or status.device,
            val=result.val if result else None,
            error=status.error,
            executor=status.executor_name,
            node=status.node,
            origin=self.origin(),
            dataset=self.dataset_name(),
            identity=self.identity(),
        )

    def identity(self) -> str | None:
        """The content identity of the images it trained on; None for a run trained before
        identities were recorded whose source could not be read since (``pipeline.training.migrate``)."""
        return self.data().identity

    def data_key(self) -> str:
        """What "the same data" means for this run: its identity, else (an old run) the source
        string and the stat fingerprint it was trained on."""
        return self.data().key

    def dataset_name(self) -> str:
        """The training data for people: the folder or file name, never a full path."""
        data = self.data()
        return data.dataset or str(data.source or "?")

    def origin(self) -> str:
        """Where the run came from: "trained" here, "imported" from a zip, or "shipped"."""
        return (read_json(self.path / "origin.json") or {}).get("origin", "trained")

    def delete(self) -> None:
        """Remove the run's folder; refused while it is queued or running."""
        with store_lock():
            if self.state in ACTIVE:
                raise RunError(f"run {self.id} is {self.state}; cancel it before deleting it")
            if not self.path.exists():
                raise RunError(f"no run {self.id}")
            shutil.rmtree(self.path)


def all_runs() -> list[Run]:
    """Every run in the store, newest first."""
    runs = [Run(p.name) for p in runs_root().iterdir() if p.is_dir() and not p.name.startswith(".")]
    runs = [r for r in runs if r.exists()]
    return sorted(runs, key=lambda r: r.status().created or 0, reverse=True)


def finished_runs(framework: str | None = None, source: str | None = None) -> list[Run]:
    """Finished runs, newest first; only ``framework``'s and only those trained on ``source``'s
    training images when given: matched by content (``pipeline.data.identity``), so a copy of
    the same images at another path has the same runs. A run with no recorded identity matches
    by its source string (canonical, as the pages pass it)."""
    runs = [run for run in all_runs() if run.state == "finished"]
    if framework is not None:
        runs = [run for run in runs if run.config().framework == framework]
    if source is not None:
        runs = [run for run in runs if trained_on(run, source)]
    return runs


def trained_on(run: Run, source: str) -> bool:
    """Whether ``run`` trained on ``source``'s training images (by content where known)."""
    recorded = run.identity()
    if recorded is not None:
        identity = source_identity(source)
        if identity is not None:
            return recorded == identity.fingerprint
    return run.config().source == source


def source_identity(source: str):
    """``pipeline.data.identity.dataset_identity``, or None for a source that cannot be read."""
    from pipeline.data import SourceError
    from pipeline.data.identity import dataset_identity

    try:
        return dataset_identity(source)
    except (SourceError, OSError):
        return None


def latest_per_framework(source: str | None = None) -> dict[str, Run]:
    """The newest finished run of each framework (on ``source`` when given), by framework name."""
    latest: dict[str, Run] = {}
    for run in finished_runs(source=source):  # newest first: the first one seen is kept
        latest.setdefault(run.config().framework, run)
    latest.pop(None, None)
    return latest


__all__ = [
    "ACTIVE",
    "STATES",
    "WEIGHTS_DIR",
    "NodeInfo",
    "Progress",
    "RayTarget",
    "Run",
    "RunConfig",
    "RunData",
    "RunEnd",
    "RunError",
    "RunStatus",
    "RunSummary",
    "StoreError",
    "all_runs",
    "finished_runs",
    "latest_per_framework",
    "make_run_id",
    "read_json",
    "runs_root",
    "source_identity",
    "store_error",
    "store_lock",
    "trained_on",
    "write_json",
]
