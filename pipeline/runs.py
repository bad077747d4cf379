"""The run store: one folder per training run, outside the tracked files.

    <cache>/runs/<run_id>/
        config.json     the TrainConfig, as TrainConfig.to_json() writes it
        data.json       source, data fingerprint, model code version
        status.json     queued | running | finished | failed | cancelled, pid, times, error
        progress.json   per-step and per-epoch history, rewritten while training
        result.json     final validation metrics, timings, device, weights file name and sha256
        weights/        model.keras or model.pt (moved in from a temporary folder)
        worker.log      what the training process printed

Every file is replaced atomically, and ``finished`` is the last thing a run writes: a
reader that sees ``finished`` finds the result and the weights complete, and a run killed
half-way never looks finished. The run id is a hash of the config, the data fingerprint and
the model code version, so the same question always lands in the same folder.

Faults: a JSON file damaged on disk reads as missing (a damaged status as ``damaged``, which a
new trigger retrains), and a store the disk will not write raises ``StoreError`` saying which
path and what to do; listing a read-only store still works.

    python -m pipeline.runs list [--json]
    python -m pipeline.runs show RUN_ID [--json]
    python -m pipeline.runs delete RUN_ID
    python -m pipeline.runs export RUN_ID --out run.zip   # take a run away (pipeline.export)
    python -m pipeline.runs import run.zip               # bring one back, verified
    python -m pipeline.runs onnx RUN_ID --out model.onnx # the model as ONNX, checked

Shipped runs: the zips in ``shipped_runs/`` (trained by ``python -m pipeline.shipped train``)
are imported into the store the first time it is listed, checksums verified, and marked
``origin: shipped``; a visitor's own runs are ``origin: trained``.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import shutil
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from pipeline.settings import atomic_write_bytes, cache_root, storage_advice

STATES = ("queued", "running", "finished", "failed", "cancelled")
ACTIVE = ("queued", "running")
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
        handle = open(path, "a")
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
    """The object in ``path``; None when it is missing, or damaged on disk (not JSON, not UTF-8):
    one bad file must not break every listing of the store."""
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

    def status(self) -> dict:
        """The status record; ``{"status": "missing"}`` for a run that was never created,
        ``damaged`` for one whose status file the disk garbled (a new trigger trains it again)."""
        record = read_json(self.path / "status.json")
        if record is None and self.exists():
            return {
                "run_id": self.id,
                "status": "damaged",
                "error": f"{self.path / 'status.json'} is damaged; start the training again to retrain the run",
            }
        return record or {"run_id": self.id, "status": "missing"}

    @property
    def state(self) -> str:
        return self.status()["status"]

    def config(self) -> dict:
        return read_json(self.path / "config.json") or {}

    def data(self) -> dict:
        return read_json(self.path / "data.json") or {}

    def progress(self) -> dict:
        return read_json(self.path / "progress.json") or {"steps": [], "epochs": []}

    def result(self) -> dict | None:
        """Final metrics, timings and device; only once the run has finished."""
        return read_json(self.path / "result.json") if self.state == "finished" else None

    def weights(self) -> Path | None:
        result = self.result()
        return (
            self.path / WEIGHTS_DIR / result["weights"]
            if result and result.get("weights")
            else None
        )

    def set_status(self, state: str, **fields) -> dict:
        """Write a new status record, keeping earlier fields (times, attempt) unless replaced."""
        assert state in STATES, state
        record = {
            **self.status(),
            **fields,
            "run_id": self.id,
            "status": state,
            "updated": time.time(),
        }
        write_json(self.path / "status.json", record)
        return record

    def summary(self) -> dict:
        """One row for listings: status, framework, source, key settings and validation metrics."""
        status, config, result = self.status(), self.config(), self.result() or {}
        return {
            "run_id": self.id,
            "status": status["status"],
            "framework": config.get("framework"),
            "source": config.get("source"),
            "epochs": config.get("epochs"),
            "img_size": config.get("img_size"),
            "seed": config.get("seed"),
            "created": status.get("created"),
            "ended": status.get("ended"),
            "device": (result.get("device") or {}).get("name") or status.get("device"),
            "val": result.get("val") or {},
            "error": status.get("error"),
            "origin": self.origin(),
        }

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
    """Every run in the store, newest first (the shipped runs added the first time)."""
    from pipeline.shipped import install_shipped

    install_shipped()
    runs = [Run(p.name) for p in runs_root().iterdir() if p.is_dir() and not p.name.startswith(".")]
    runs = [r for r in runs if r.exists()]
    return sorted(runs, key=lambda r: r.status().get("created", 0), reverse=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.runs",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="every run, newest first")
    listing.add_argument("--json", action="store_true", help="print one JSON list")
    show = commands.add_parser("show", help="one run's status, config, data, history and result")
    show.add_argument("run_id")
    show.add_argument("--json", action="store_true", help="print one JSON object")
    delete = commands.add_parser("delete", help="remove a run that is not queued or running")
    delete.add_argument("run_id")
    export = commands.add_parser("export", help="write a finished run to a zip")
    export.add_argument("run_id")
    export.add_argument("--out", required=True, help="the zip to write")
    take_in = commands.add_parser("import", help="add an exported run to the store, verified")
    take_in.add_argument("zip")
    onnx = commands.add_parser("onnx", help="write a finished run's model as ONNX")
    onnx.add_argument("run_id")
    onnx.add_argument("--out", required=True, help="the .onnx file to write")
    args = parser.parse_args(argv)
    if args.command in ("export", "import", "onnx"):
        return _transfer(args)

    from pipeline.training.queue import refresh

    try:
        refresh()  # a dead worker's run reads as failed, not as running forever
        if args.command == "list":
            rows = [run.summary() for run in all_runs()]
            print(json.dumps(rows, indent=2) if args.json else _table(rows))
        elif args.command == "show":
            run = _existing(args.run_id)
            details = {
                "status": run.status(),
                "config": run.config(),
                "data": run.data(),
                "progress": run.progress(),
                "result": run.result(),
            }
            print(json.dumps(details, indent=2) if args.json else _details(details))
        else:
            _existing(args.run_id).delete()
            print(f"deleted run {args.run_id}")
    except (RunError, StoreError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


def _transfer(args) -> int:
    from pipeline.export import ExportError, export_run, import_run, run_onnx
    from pipeline.settings import atomic_write_bytes

    try:
        if args.command == "export":
            _existing(args.run_id)
            print(f"wrote {export_run(args.run_id, Path(args.out))}")
        elif args.command == "import":
            run = import_run(Path(args.zip))
            print(f"imported run {run.id} ({run.state})")
        else:
            _existing(args.run_id)
            atomic_write_bytes(Path(args.out), run_onnx(args.run_id))
            print(f"wrote {args.out}")
    except (RunError, StoreError, ExportError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # ModelLoadError and the frameworks' own errors
        print(f"error: {type(error).__name__}: {error}", file=sys.stderr)
        return 2
    return 0


def _existing(run_id: str) -> Run:
    run = Run(run_id)
    if not run.exists():
        raise RunError(f"no run {run_id} in {runs_root()} (see `python -m pipeline.runs list`)")
    return run


def _table(rows: list[dict]) -> str:
    if not rows:
        return f"no runs in {runs_root()}"
    lines = [
        f"{'run id':16s}  {'status':9s}  {'framework':9s}  {'epochs':>6s}  {'size':>4s}  "
        f"{'val auc':>7s}  {'val acc':>7s}  source"
    ]
    for row in rows:
        val = row["val"]
        lines.append(
            f"{row['run_id']:16s}  {row['status']:9s}  {row['framework'] or '?':9s}  "
            f"{row['epochs'] or '?':>6}  {row['img_size'] or '?':>4}  "
            f"{_number(val.get('auc')):>7s}  {_number(val.get('accuracy')):>7s}  {row['source']}"
        )
    return "\n".join(lines)


def _details(details: dict) -> str:
    status, result = details["status"], details["result"] or {}
    lines = [f"run {status['run_id']}: {status['status']}"]
    if status.get("error"):
        lines.append(f"error: {status['error']}")
    lines.append("config: " + json.dumps(details["config"], sort_keys=True))
    lines.append("data: " + json.dumps(details["data"], sort_keys=True))
    for epoch in details["progress"].get("epochs", []):
        lines.append("  " + "  ".join(f"{k} {_number(v)}" for k, v in epoch.items() if k != "time"))
    for key in ("val", "timings", "device"):
        if result.get(key):
            lines.append(f"{key}: " + json.dumps(result[key], sort_keys=True))
    return "\n".join(lines)


def _number(value) -> str:
    return f"{value:.4f}" if isinstance(value, float) else ("-" if value is None else str(value))


if __name__ == "__main__":
    sys.exit(main())
