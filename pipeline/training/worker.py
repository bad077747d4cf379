"""The training process: take a slot, train the oldest queued run, record it, exit.

    python -m pipeline.training.worker

Started by ``pipeline.training.queue`` (never by hand, though that is harmless: with no
free slot or no queued run it exits at once). One run per process, so the memory of a
framework goes back to the system when its training ends; before exiting, the worker starts
the next one if more runs wait.

    python -m pipeline.training.worker --run RUN_ID --fields JSON --parent PID

is the same training for exactly one run, started by a Ray task on a node
(``pipeline.training.ray_driver``): no slot (Ray decides what runs where), the status fields
``JSON`` (executor, node) recorded with 'running', nothing started afterwards, and it dies
with its parent ``PID``, the Ray worker, when a forced cancel or a lost node ends that.

What a run leaves behind, in the order written: progress.json (all along), weights/ (renamed
from a temporary folder), result.json (with the weights' sha256), and last the ``finished`` status. A worker killed at
any point leaves a run that ``queue.refresh()`` marks failed, never one that looks finished.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import shutil
import signal
import sys
import time
import traceback
from dataclasses import replace

from pipeline.frameworks import quiet_tensorflow
from pipeline.machine import cpu_name, machine_id
from pipeline.records import RunResult
from pipeline.runs import WEIGHTS_DIR, Run, RunEnd, store_lock, write_json
from pipeline.settings import is_storage_error, sha256_of, storage_advice
from pipeline.training.executors import claim_slot
from pipeline.training.queue import CANCEL_MARKER, queued_runs, start_trainers

PROGRESS_WRITE_INTERVAL_S = 1.0  # step events come faster than anyone can read them
WORK_DIR = ".weights.partial"
PR_SET_PDEATHSIG = 1  # prctl(2): the signal this process gets when its parent dies


def main(argv: list[str] | None = None) -> int:
    quiet_tensorflow()  # unless the command that queued the run asked for --verbose
    args = _parser().parse_args(argv)
    if args.run is None:
        return train_next()
    _die_with_parent(args.parent)
    return train_exactly(Run(args.run), json.loads(args.fields))


def train_next() -> int:
    """Take a slot and train the oldest run queued for this machine, then start the next."""
    claimed = claim_slot()
    if claimed is None:
        return 0  # every slot is busy; whoever holds one starts the next worker when done
    slot_index, slot = claimed
    with store_lock():
        waiting = queued_runs()
        if not waiting:
            slot.close()
            return 0
        run = waiting[0]
        _mark_running(run, slot=slot_index)
    _send_output_to(run.path / "worker.log")
    final = train_run(run)
    with store_lock():
        _record_final(run, final)
        slot.close()
        start_trainers()
    return 0


def train_exactly(run: Run, fields: dict) -> int:
    """Train ``run`` if it is still queued (cancelled while Ray scheduled it: nothing to do)."""
    with store_lock():
        if run.state != "queued":
            print(f"run {run.id} is {run.state}, not queued: nothing to train", flush=True)
            return 0
        _mark_running(run, **fields)
    _send_output_to(run.path / "worker.log")
    final = train_run(run)
    with store_lock():
        if run.state == "running" and run.status().pid == os.getpid():
            _record_final(run, final)  # else the run was given up (its Ray driver died)
    return 0


def _mark_running(run: Run, **fields) -> None:
    run.set_status(
        "running",
        pid=os.getpid(),
        started=time.time(),
        machine=machine_id(),
        machine_name=cpu_name(),
        **fields,
    )


def _record_final(run: Run, final: RunEnd) -> None:
    (run.path / CANCEL_MARKER).unlink(missing_ok=True)
    run.end(final)  # "finished" is the run's last write


def train_run(run: Run) -> RunEnd:
    """Train ``run`` with its framework's engine; returns how it ended. Never raises."""
    from pipeline.training import Cancelled, engine
    from pipeline.training.config import ConfigError, TrainConfig

    progress = ProgressLog(run)
    work = run.path / WORK_DIR
    shutil.rmtree(work, ignore_errors=True)
    cancel_marker = run.path / CANCEL_MARKER
    # a polite kill (system shutdown, `kill PID`) cancels cleanly at the next step
    signal.signal(signal.SIGTERM, lambda *_: cancel_marker.touch())
    started = time.time()
    try:
        config = TrainConfig.from_json((run.path / "config.json").read_text())
        outcome = engine(config.framework).train(
            config, work, progress.report, cancel_marker.exists
        )
        progress.write()
        _put_weights_in_place(run, work, outcome, started)
        return RunEnd("finished")
    except Cancelled:
        final = RunEnd("cancelled")
    except ConfigError as error:
        final = RunEnd("failed", str(error))
    except Exception as error:  # any failure is reported on the run, with the trace in the log
        traceback.print_exc()
        final = RunEnd("failed", _failure(error))
    with contextlib.suppress(OSError):  # a full disk must not stop the run being marked failed
        progress.write()
    shutil.rmtree(work, ignore_errors=True)  # partial weights never land in place
    return final


def _put_weights_in_place(run: Run, work, outcome: RunResult, started: float) -> None:
    """One rename puts the complete weights in place, then result.json records their sha256:
    every later load checks the file against it, so a damaged file is refused, never used."""
    checksum = sha256_of(work / outcome.weights)
    onnx = _onnx_beside(run, work, outcome)
    shutil.rmtree(run.path / WEIGHTS_DIR, ignore_errors=True)
    os.replace(work, run.path / WEIGHTS_DIR)
    recorded = replace(
        outcome, **onnx, weights_sha256=checksum, wall_s=round(time.time() - started, 3)
    )
    write_json(run.path / "result.json", recorded.to_dict())


def _onnx_beside(run: Run, work, outcome: RunResult) -> dict:
    """The model as ONNX beside its weights, checked against the framework (``pipeline.export``),
    so that scoring the run later needs no framework. A failed conversion is logged and leaves
    the run complete without it: the app then converts the weights when it first needs to."""
    from pipeline.export import ONNX_FILE, onnx_from_weights

    config = run.config()
    try:
        data = onnx_from_weights(
            config.framework, work / outcome.weights, config.img_size, config.model_width
        )
        (work / ONNX_FILE).write_bytes(data)
    except Exception:  # onnx missing or a model the graph builder does not know: not fatal
        traceback.print_exc()
        return {}
    return {"onnx": ONNX_FILE, "onnx_sha256": sha256_of(work / ONNX_FILE)}


def _failure(error: Exception) -> str:
    """The run's error: for a disk that refused a write, which file and what to do."""
    if is_storage_error(error):
        return f"{storage_advice(error, error.filename or 'the run store')}; then start the training again"
    return f"{type(error).__name__}: {error}"


class ProgressLog:
    """Step and epoch events from an engine, kept in progress.json while the run trains."""

    def __init__(self, run: Run):
        self.path = run.path / "progress.json"
        self.history = {"started": time.time(), "steps": [], "epochs": []}
        self.last_write = 0.0

    def report(self, event: dict) -> None:
        kind = event.get("event")
        record = {k: v for k, v in event.items() if k != "event"} | {"time": time.time()}
        if kind == "step":
            self.history["steps"].append(record)
            self.history["position"] = record  # epoch, epochs, step, steps: where training is now
        elif kind == "epoch":
            self.history["epochs"].append(record)
        else:
            self.history.setdefault("notes", []).append(record)
        if kind != "step" or time.time() - self.last_write >= PROGRESS_WRITE_INTERVAL_S:
            self.write()

    def write(self) -> None:
        self.history["updated"] = time.time()
        write_json(self.path, self.history)
        self.last_write = time.time()


def _send_output_to(path) -> None:
    """Point this process's stdout and stderr (and its children's) at the run's log file."""
    sys.stdout.flush()
    sys.stderr.flush()
    log = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pipeline.training.worker")
    parser.add_argument("--run", help="train exactly this queued run (the ray executor)")
    parser.add_argument("--fields", default="{}", help="JSON status fields to record with it")
    parser.add_argument("--parent", type=int, help="die with this process (the Ray worker)")
    return parser


def _die_with_parent(parent: int | None) -> None:
    """Have the kernel kill this process when its parent dies (Linux): a forced ``ray.cancel``
    or a lost node kills the Ray worker, and no training may outlive its task."""
    if parent is None or not sys.platform.startswith("linux"):
        return
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)


if __name__ == "__main__":
    sys.exit(main())
