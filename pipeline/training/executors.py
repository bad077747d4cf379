"""Where a queued run trains: a worker process on this machine, or a task on a Ray cluster.

    executor = executor_named(None)     # PNEUMOLAB_EXECUTOR, else "local"; ConfigError if unknown
    executor.ray_target()               # where a run queued for Ray trains (None: this machine)
    executor.submit(run)                # under the store lock: make sure its queued runs train
    executor.lost(status)               # why a "running" run lost its trainer; None while alive
                                        # (status: a pipeline.runs.RunStatus)

``local``: a worker process (``pipeline.training.worker``) takes one of this machine's training
slots, ``flock``-ed files (``PNEUMOLAB_TRAINING_SLOTS``, default 1). ``ray``: one driver process
per run store (``pipeline.training.ray_driver``) submits each queued run as a Ray task to the
cluster named by ``RAY_ADDRESS`` (none: a local Ray instance) and follows it; it holds a lease,
a ``flock``-ed file like the slots, so a driver that died is told from a slow one. Either way
the kernel releases the lock when the holder dies. Nothing here imports Ray: the app and the
Cloud profile run without it (docs/cluster.md).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from pipeline.runs import RayTarget, Run, RunStatus, runs_root
from pipeline.settings import claim_lock
from pipeline.training.config import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
EXECUTOR_VARIABLE = "PNEUMOLAB_EXECUTOR"  # local | ray; --executor on pipeline.train wins
SLOTS_VARIABLE = "PNEUMOLAB_TRAINING_SLOTS"  # trainings at once on this machine (default 1)
# extra Ray resources each run asks for, as JSON ({"gpu_node": 1}): pins runs to labelled nodes
RESOURCES_VARIABLE = "PNEUMOLAB_RAY_RESOURCES"
# "1": train on a temporary store on the node and bring the run back as its export bundle, even
# where the node sees the run store (how the tests cover the bundle path on one machine)
BUNDLE_VARIABLE = "PNEUMOLAB_RAY_BUNDLE"
RAY_BUILTIN_RESOURCES = ("CPU", "GPU", "memory", "object_store_memory")
RAY_LEASE = ".ray-driver.lock"
RAY_DRIVER_LOG = ".ray-driver.log"


class Executor:
    """How queued runs of one kind get trained."""

    name = ""

    def ray_target(self) -> RayTarget | None:
        """Where a run queued for this executor trains, as its status records it (None: here)."""
        return None

    def submit(self, run: Run) -> None:
        """Called under the store lock with ``run`` the oldest queued run of this executor:
        start what trains it (and the runs queued after it) unless that runs already."""
        raise NotImplementedError

    def lost(self, status: RunStatus) -> str | None:
        """Called under the store lock for a 'running' run of this executor: why whatever
        trained it is gone (the run's error), or None while it is alive."""
        raise NotImplementedError


class LocalExecutor(Executor):
    """A worker process on this machine per run, one per free training slot."""

    name = "local"

    def submit(self, run: Run) -> None:
        # the worker takes the oldest queued run: ``run``
        if any(_lock_is_free(_slot_path(i)) for i in range(slot_count())):
            start_detached(["pipeline.training.worker"], runs_root() / ".workers.log")

    def lost(self, status: RunStatus) -> str | None:
        # a worker holds its slot from before 'running' until after its final status
        if not _lock_is_free(_slot_path(status.slot or 0)):
            return None
        log = runs_root() / status.run_id / "worker.log"
        return (
            f"the training process (pid {status.pid}) stopped without finishing; "
            f"its output is in {log}. Start the training again to retry."
        )


class RayExecutor(Executor):
    """One Ray task per run, submitted and followed by this store's Ray driver process."""

    name = "ray"

    def ray_target(self) -> RayTarget:
        return RayTarget(
            # the cluster the run was queued for: a driver only submits its own cluster's runs
            address=os.environ.get("RAY_ADDRESS", ""),
            resources=ray_resources(),
            bundle=os.environ.get(BUNDLE_VARIABLE) == "1",
        )

    def submit(self, run: Run) -> None:
        if not _lock_is_free(runs_root() / RAY_LEASE):
            return  # the driver picks new runs up on its next poll, or starts the next driver
        address = run.status().ray_address
        environment = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
        if address:
            environment["RAY_ADDRESS"] = address
        start_detached(["pipeline.training.ray_driver"], runs_root() / RAY_DRIVER_LOG, environment)

    def lost(self, status: RunStatus) -> str | None:
        if not _lock_is_free(runs_root() / RAY_LEASE):
            return None
        node = status.node
        return (
            f"the process that followed its Ray task (pid {status.driver_pid}, "
            f"python -m pipeline.training.ray_driver) stopped"
            + (f" while it trained on {node.describe()}" if node else "")
            + f"; its output is in {runs_root() / RAY_DRIVER_LOG}. Start the training again to retry."
        )


EXECUTORS: dict[str, type[Executor]] = {"local": LocalExecutor, "ray": RayExecutor}


def executor_named(name: str | None = None) -> Executor:
    """The executor called ``name``; None: ``$PNEUMOLAB_EXECUTOR``, else local.
    ConfigError (field ``executor``) for an unknown name, or ray where Ray is not installed."""
    chosen = name or os.environ.get(EXECUTOR_VARIABLE) or "local"
    if chosen not in EXECUTORS:
        raise ConfigError(
            "executor", f"unknown executor {chosen!r}; choose one of {', '.join(EXECUTORS)}"
        )
    if chosen == "ray" and importlib.util.find_spec("ray") is None:
        raise ConfigError(
            "executor",
            "the ray executor needs Ray in this environment (pip install 'ray==2.60.0', "
            "pinned in requirements-dev.txt); or train with the local executor",
        )
    if chosen == "ray":
        ray_resources()  # a malformed PNEUMOLAB_RAY_RESOURCES is refused before anything queues
    return EXECUTORS[chosen]()


def executor_of(status: RunStatus) -> Executor:
    """The executor a run was queued for (runs queued before executors existed: local)."""
    return EXECUTORS.get(status.executor_name, LocalExecutor)()


def ray_resources() -> dict[str, float]:
    text = os.environ.get(RESOURCES_VARIABLE, "").strip()
    if not text:
        return {}
    try:
        resources = json.loads(text)
        if isinstance(resources, dict) and all(
            isinstance(v, int | float) and v > 0 and k not in RAY_BUILTIN_RESOURCES
            for k, v in resources.items()
        ):
            return {str(k): float(v) for k, v in resources.items()}
    except ValueError:
        pass
    raise ConfigError(
        "executor",
        f"{RESOURCES_VARIABLE} must be a JSON object of custom resource names (not "
        f"{', '.join(RAY_BUILTIN_RESOURCES)}: the config sets those) and positive amounts, "
        f'e.g. {{"gpu_node": 1}}; got {text!r}',
    )


# ---- slots and leases: flock-ed files the kernel releases when their holder dies ----


def slot_count() -> int:
    return max(1, int(os.environ.get(SLOTS_VARIABLE, "1")))


def claim_slot():
    """An open, ``flock``-ed slot file ``(index, handle)``, or None when every slot is taken.

    The lock lives as long as the handle (or the process) does.
    """
    for index in range(slot_count()):
        handle = claim_lock(_slot_path(index))
        if handle is not None:
            return index, handle
    return None


def _slot_path(index: int) -> Path:
    return runs_root() / f".slot-{index}.lock"


def _lock_is_free(path: Path) -> bool:
    handle = claim_lock(path)
    if handle is None:
        return False
    handle.close()
    return True


def start_detached(module: list[str], log: Path, environment: dict | None = None) -> None:
    """``python -m MODULE`` in its own session: it outlives the page or CLI that started it."""
    with open(log, "ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", *module],
            cwd=PROJECT_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=environment,
        )
    # reap it when it exits, so a long-lived Streamlit process collects no zombies
    threading.Thread(target=process.wait, daemon=True).start()
