"""The ray executor's driver: submit this store's queued Ray runs as tasks, follow them, record.

    python -m pipeline.training.ray_driver     # started by the queue (executors.RayExecutor)

One driver per run store (it holds the lease ``.ray-driver.lock``) and one Ray connection
(``RAY_ADDRESS``; none: a local Ray instance that ends with this process). It takes the runs
queued for its cluster, oldest first, and submits each as a task asking for the run's resources
(``task_options``) that Ray never retries: a lost node fails the run with the reason, and a
later trigger queues it again (attempt + 1). It exits when none of its runs is active.

On the node the task (``train_on_node``) starts ``python -m pipeline.training.worker --run ID``
as a child process, so the framework's memory goes back when the run ends. Where the node sees
this store (the marker file the driver wrote reads back the same there), the child trains into
it directly. Elsewhere, or when the run was queued with ``PNEUMOLAB_RAY_BUNDLE=1``, it trains
into a temporary store on the node; the task streams the run's progress here and returns its
export bundle (``pipeline.export``), which ``python -m pipeline.runs import`` checks file by
file before the driver lands it the way a worker does: weights by one rename, status last.
Cancelling: the worker's cancel marker on a shared store, ``ray.cancel(force=True)`` otherwise.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from contextlib import contextmanager
from pathlib import Path

from pipeline.runs import (
    ACTIVE,
    WEIGHTS_DIR,
    NodeInfo,
    Progress,
    Run,
    RunConfig,
    RunEnd,
    RunStatus,
    read_json,
    runs_root,
    store_lock,
    write_json,
)
from pipeline.settings import CACHE_VARIABLE, cache_root
from pipeline.training.executors import PROJECT_ROOT, RAY_LEASE, claim_lock
from pipeline.training.queue import CANCEL_MARKER, queued_runs, start_trainers

POLL_S = 0.5  # how often the driver looks for new runs and cancel requests
PROGRESS_POLL_S = 1.0  # how often a task away from the store sends the run's progress
MARKER = ".ray-store-marker"  # what a node must read back to train into this store directly
LOG_TAIL_BYTES = 64 * 1024  # the end of worker.log a task away from the store brings back
STALE_SCRATCH_S = 600  # a node's temporary store whose task is gone, removed after this long
LANDED_FILES = ("progress.json", "result.json", "status.json")  # in this order: status last


def main() -> int:
    lease = claim_lock(runs_root() / RAY_LEASE)
    if lease is None:
        return 0  # another driver serves this store
    address = os.environ.get("RAY_ADDRESS", "")
    try:
        ray = _connect(address)
    except Exception as error:  # Ray's connection failures share no class
        traceback.print_exc()
        _give_up_waiting(address, _unreachable(address, error), lease)
        return 1
    marker = runs_root() / MARKER
    token = secrets.token_hex(16)
    marker.write_text(token)
    try:
        _follow_until_idle(ray, address, token, lease)
    finally:
        ray.shutdown()
    return 0


def task_options(config: RunConfig, status: RunStatus, cluster_gpus: float) -> dict:
    """What a run's task asks Ray for: a GPU per replica where the cluster has GPUs (and the
    run may use one), else a CPU per replica; the resources it was queued with; no retries.
    Ray's ``.options(**...)`` keyword arguments, so a dict."""
    replicas = max(1, int(config.replicas or 1))
    gpu = cluster_gpus > 0 and config.device != "cpu"
    return {
        "num_cpus": 1 if gpu else replicas,
        "num_gpus": replicas if gpu else 0,
        "resources": (status.ray.resources if status.ray else None) or {},
        "max_retries": 0,  # a lost node fails the run; the user's next trigger retries it
    }


def lost_reason(error: Exception, node: NodeInfo | None) -> str:
    """A failed run's error: where it ran, what Ray said, and what to do."""
    said = (str(error).strip().splitlines() or [""])[0]
    where = node.describe() if node else "its Ray task (not yet started on a node)"
    return (
        f"{where} stopped without finishing it; Ray said: {type(error).__name__}: {said} "
        "Start the training again to retry."
    )


def _connect(address: str):
    import ray

    if address:
        ray.init(address=address, logging_level="WARNING")
    else:  # a Ray instance of its own on this machine (even where `ray start` runs one), gone
        # when this process ends; RAY_ADDRESS=auto finds the cluster `ray start` started here
        ray.init(address="local", include_dashboard=False, logging_level="WARNING")
    return ray


def _unreachable(address: str, error: Exception) -> str:
    return (
        f"could not connect to the Ray cluster at {address or 'a new local instance'} "
        f"({type(error).__name__}: {error}). Check RAY_ADDRESS and that the cluster runs "
        "(`ray status`); a cluster started with `ray start --head` needs RAY_AUTH_MODE=token "
        "here too (docs/cluster.md). Then start the training again."
    )


def _give_up_waiting(address: str, error: str, lease) -> None:
    """Fail the runs queued for a cluster this driver cannot reach, then hand the lease on."""
    with store_lock():
        for run in _mine(address):
            run.set_status("failed", ended=time.time(), error=error)
        lease.close()
        start_trainers()  # runs queued for another cluster get their own driver


def _mine(address: str, watched=()) -> list[Run]:
    """Runs queued for this driver's cluster that it does not follow yet, oldest first."""
    return [
        run
        for run in queued_runs("ray")
        if run.status().ray_address == address and run.id not in watched
    ]


def _follow_until_idle(ray, address: str, token: str, lease) -> None:
    task = ray.remote(train_on_node)
    watches: dict[str, Watch] = {}
    while True:
        with store_lock():
            waiting = _mine(address, watches)
            if not waiting and not watches:
                (runs_root() / MARKER).unlink(missing_ok=True)
                lease.close()
                start_trainers()  # runs queued for another cluster meanwhile get their driver
                return
        for run in waiting:
            try:
                watches[run.id] = Watch(ray, task, run, token)
            except Exception as error:  # Ray refused the task (a resource it cannot name...)
                traceback.print_exc()
                _refused(run, error)
        for run_id, watch in list(watches.items()):
            if watch.done:
                del watches[run_id]
            else:
                watch.cancel_if_asked()
        time.sleep(POLL_S)


class Watch:
    """One run's Ray task, followed by a thread: marks it running, mirrors its progress, and
    records how it ended. Every write checks that the run is still this attempt and active."""

    def __init__(self, ray, task, run: Run, token: str):
        status = run.status()
        self.ray, self.run, self.attempt = ray, run, status.attempt
        self.node: NodeInfo | None = None
        self.shared: bool | None = None
        self.cancelling = self.done = False
        options = task_options(run.config(), status, ray.cluster_resources().get("GPU", 0))
        files = {name: (run.path / name).read_bytes() for name in ("config.json", "data.json")}
        files["status.json"] = (run.path / "status.json").read_bytes()
        fields = {"executor": "ray", "driver_pid": os.getpid()}
        bundle = bool(status.ray and status.ray.bundle)
        args = (run.id, str(cache_root()), "" if bundle else token, files, fields)
        self.task = task.options(**options).remote(*args)
        threading.Thread(target=self._follow, daemon=True, name=run.id).start()

    def cancel_if_asked(self) -> None:
        """Cancel the task when the run was cancelled, or queued again as a newer attempt.
        A running run on a shared store stops at the worker's cancel marker instead."""
        status = self.run.status()
        stale = status.attempt != self.attempt
        asked = status.status == "cancelled" or status.cancel_requested
        if self.cancelling or not (stale or asked):
            return
        if not stale and self.shared and status.status == "running":
            return
        self.ray.cancel(self.task, force=True)
        self.cancelling = True

    def _follow(self) -> None:
        from ray.exceptions import RayError, TaskCancelledError

        try:
            for ref in self.task:
                self._on(self.ray.get(ref))
        except TaskCancelledError:
            self._end(RunEnd("cancelled"))
        except RayError as error:  # a lost node or worker, or the task's own exception
            self._end(RunEnd("failed", lost_reason(error, self.node)))
        except Exception as error:  # recording it failed here: the run must not stay active
            traceback.print_exc()
            self._end(RunEnd("failed", f"{type(error).__name__}: {error}"))
        finally:
            self._end(RunEnd("failed", "its Ray task ended without a result"))
            self.done = True

    def _on(self, event: dict) -> None:
        kind = event["event"]
        if kind == "started":
            self.node, self.shared = NodeInfo.from_dict(event["fields"]["node"]), event["shared"]
            if not self.shared:  # on a shared store the worker marks it running itself
                self._write(lambda: self._mark_running(event["fields"]), states=("queued",))
        elif kind == "progress":
            self._write(lambda: write_json(self.run.path / "progress.json", event["progress"]))
        elif self.shared:  # "done": the worker recorded the end unless it was killed
            self._end(_exited(event["code"], self.node, self.run))
        else:
            self._landed(event)

    def _mark_running(self, fields: dict) -> None:
        self.run.set_status("running", started=time.time(), **fields)

    def _landed(self, event: dict) -> None:
        """The end of a run trained away from the store: its log, then the bundle or the end."""
        self._write(lambda: (self.run.path / "worker.log").write_bytes(event["log"]))
        status = RunStatus.from_dict(event["status"])
        if event["bundle"] is not None:
            self._land(event["bundle"])
        elif status.status in ("failed", "cancelled"):
            self._end(RunEnd(status.status, status.error))
        else:
            exited = _exited(event["code"], self.node, self.run)
            self._end(RunEnd(exited.state, event["problem"] or exited.error))

    def _land(self, bundle: bytes) -> None:
        """Check the bundle with the store's own import, then move its files in: weights by
        one rename, then progress and result, the finished status last."""
        with tempfile.TemporaryDirectory(prefix=".ray-landing-", dir=runs_root()) as scratch:
            archive = Path(scratch) / f"{self.run.id}.zip"
            archive.write_bytes(bundle)
            checked = subprocess.run(
                [sys.executable, "-m", "pipeline.runs", "import", str(archive)],
                cwd=PROJECT_ROOT,
                env={**os.environ, CACHE_VARIABLE: scratch},
                capture_output=True,
                text=True,
            )
            if checked.returncode != 0:
                error = checked.stderr.strip().splitlines()[-1:] or ["no output"]
                self._end(RunEnd("failed", f"its bundle was refused: {error[0]}"))
                return
            self._write(lambda: _move_in(Path(scratch) / "runs" / self.run.id, self.run.path))

    def _end(self, final: RunEnd) -> None:
        def record():
            (self.run.path / CANCEL_MARKER).unlink(missing_ok=True)
            self.run.end(final)

        self._write(record)

    def _write(self, change, states=ACTIVE) -> None:
        with store_lock():
            status = self.run.status()
            if status.status in states and status.attempt == self.attempt:
                change()


def _refused(run: Run, error: Exception) -> None:
    with store_lock():
        if run.state == "queued":
            run.set_status(
                "failed",
                ended=time.time(),
                error=f"Ray refused its task ({type(error).__name__}: {error}); "
                "check PNEUMOLAB_RAY_RESOURCES, then start the training again",
            )


def _move_in(landed: Path, target: Path) -> None:
    shutil.rmtree(target / WEIGHTS_DIR, ignore_errors=True)
    os.replace(landed / WEIGHTS_DIR, target / WEIGHTS_DIR)
    for name in LANDED_FILES:
        os.replace(landed / name, target / name)


def _exited(code: int, node: NodeInfo | None, run: Run) -> RunEnd:
    where = node.describe() if node else "its Ray node"
    return RunEnd(
        "failed",
        f"the training process on {where} exited (code {code}) without finishing; "
        f"its output is in {run.path / 'worker.log'}. Start the training again to retry.",
    )


# ---- on the node ----


def train_on_node(run_id: str, cache: str, token: str, files: dict, fields: dict):
    """The Ray task: train one run in a child process; a generator of events for the driver
    (started, progress, done). ``token`` empty: never train into the driver's store."""
    import ray

    node = NodeInfo(
        ray.get_runtime_context().get_node_id(),
        ray.util.get_node_ip_address(),
        socket.gethostname(),
    )
    shared = bool(token) and _reads(Path(cache) / "runs" / MARKER) == token
    fields = {**fields, "node": node.to_dict(), "delivery": "shared store" if shared else "bundle"}
    yield {"event": "started", "fields": fields, "shared": shared}
    if shared:
        yield {"event": "done", "code": _worker(run_id, cache, fields).wait()}
        return
    with node_scratch() as scratch:
        yield from _train_apart(run_id, scratch, files, fields)


def _train_apart(run_id: str, scratch: Path, files: dict, fields: dict):
    folder = scratch / "runs" / run_id
    folder.mkdir(parents=True)
    for name, data in files.items():  # status.json last: then the folder is a queued run
        (folder / name).write_bytes(data)
    child = _worker(run_id, str(scratch), fields)
    sent = None
    while child.poll() is None:
        time.sleep(PROGRESS_POLL_S)
        progress = Progress.from_dict(read_json(folder / "progress.json"))
        if progress.updated is not None and progress.updated != sent:
            sent = progress.updated
            yield {"event": "progress", "progress": progress.to_dict()}
    status = RunStatus.from_dict(
        read_json(folder / "status.json") or {"run_id": run_id, "status": "missing"}
    )
    bundle, problem = None, None
    if status.status == "finished":
        bundle, problem = _export(run_id, scratch)
    log = folder / "worker.log"
    tail = log.read_bytes()[-LOG_TAIL_BYTES:] if log.is_file() else b""
    yield {
        "event": "done",
        "code": child.returncode,
        "status": status.to_dict(),
        "bundle": bundle,
        "problem": problem,
        "log": tail,
    }


def _worker(run_id: str, cache: str, fields: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "pipeline.training.worker", "--run", run_id),
            *("--fields", json.dumps(fields), "--parent", str(os.getpid())),
        ],
        cwd=PROJECT_ROOT,
        env={**os.environ, CACHE_VARIABLE: cache},
        stdin=subprocess.DEVNULL,
    )


def _export(run_id: str, scratch: Path) -> tuple[bytes | None, str | None]:
    """The finished run's export bundle (``python -m pipeline.runs export``), or why not."""
    out = scratch / "bundle.zip"
    made = subprocess.run(
        [sys.executable, "-m", "pipeline.runs", "export", run_id, "--out", str(out)],
        cwd=PROJECT_ROOT,
        env={**os.environ, CACHE_VARIABLE: str(scratch)},
        capture_output=True,
        text=True,
    )
    if made.returncode != 0:
        said = (made.stderr.strip().splitlines() or ["no output"])[-1]
        return None, f"its export bundle could not be made on the node: {said}"
    return out.read_bytes(), None


@contextmanager
def node_scratch():
    """A temporary cache on the node, removed afterwards; a forced cancel kills the task before
    that, so each task first removes old ones whose owner's lock is free."""
    base = Path(tempfile.gettempdir()) / "pneumolab-ray"
    base.mkdir(exist_ok=True)
    for old in base.iterdir():
        if time.time() - old.stat().st_mtime > STALE_SCRATCH_S:
            owner = claim_lock(old / ".owner.lock")
            if owner is not None:
                shutil.rmtree(old, ignore_errors=True)
                owner.close()
    folder = Path(tempfile.mkdtemp(dir=base))
    owner = claim_lock(folder / ".owner.lock")
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        owner.close()


def _reads(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


if __name__ == "__main__":
    sys.exit(main())
