"""The ray executor on a real Ray cluster of two nodes on this machine (``ray.cluster_utils``).

Tiny trainings (synthetic images, 32 px) go through ``trigger(config, executor="ray")`` and the
driver process it starts: they finish and record where they ran, and the same config is then
cached; a node removed while its run trains leaves the run failed, naming the node, and a new
trigger trains it again on the node that is left; the bundle path (forced) lands a verified
run; a cancelled Ray run ends cancelled, on a shared store and on the bundle path; a driver
killed mid-run leaves the run failed once the queue looks. The file shares one cluster (the
node-loss test adds the node it removes), shut down at the end; each test waits until no run is
active and the driver has exited, and the teardown checks that no Ray process of it is left.
"""

import json
import os
import signal
import tempfile
import time
from pathlib import Path

import pytest

from pipeline.runs import Run, RunConfig, RunStatus, runs_root
from pipeline.settings import sha256_of
from pipeline.training.config import ConfigError
from pipeline.training.executors import (
    BUNDLE_VARIABLE,
    RAY_LEASE,
    RESOURCES_VARIABLE,
    claim_lock,
    executor_named,
)
from pipeline.training.queue import cancel, refresh, trigger, wait
from pipeline.training.ray_driver import task_options
from tests.helpers.configs import tiny
from tests.helpers.runs import pid_gone, training_started, wait_until

OBJECT_STORE = 80 * 1024 * 1024
slow = pytest.mark.slow


# ---- without a cluster ----


def test_an_unknown_executor_or_malformed_resources_are_refused_naming_the_setting(monkeypatch):
    with pytest.raises(ConfigError, match="unknown executor 'slurm'; choose one of local, ray"):
        executor_named("slurm")
    monkeypatch.setenv("PNEUMOLAB_EXECUTOR", "ray")
    monkeypatch.setenv(RESOURCES_VARIABLE, "gpu_node")
    with pytest.raises(ConfigError, match=f"{RESOURCES_VARIABLE} must be a JSON object of custom"):
        executor_named(None)
    monkeypatch.setenv(RESOURCES_VARIABLE, '{"CPU": 2}')  # the config's replicas set those
    with pytest.raises(ConfigError, match="not CPU, GPU"):
        executor_named("ray")
    monkeypatch.setenv(RESOURCES_VARIABLE, '{"gpu_node": 1}')
    assert executor_named(None).ray_target().resources == {"gpu_node": 1.0}
    assert executor_named("local").name == "local"  # the argument wins over the variable


def test_a_task_asks_for_a_gpu_per_replica_only_where_the_cluster_has_gpus():
    status = RunStatus.from_dict(
        {"run_id": "0" * 16, "status": "queued", "ray": {"resources": {"big": 1.0}}}
    )
    unplaced = RunStatus(run_id="0" * 16, status="queued")
    on_cpus = task_options(RunConfig(replicas=2, device="auto"), status, cluster_gpus=0)
    on_gpus = task_options(RunConfig(replicas=2, device="auto"), status, cluster_gpus=4)
    forced_cpu = task_options(RunConfig(replicas=1, device="cpu"), unplaced, cluster_gpus=4)
    assert (on_cpus["num_cpus"], on_cpus["num_gpus"], on_cpus["resources"]) == (2, 0, {"big": 1})
    assert (on_gpus["num_cpus"], on_gpus["num_gpus"]) == (1, 2)
    assert (forced_cpu["num_cpus"], forced_cpu["num_gpus"], forced_cpu["resources"]) == (1, 0, {})
    assert on_cpus["max_retries"] == 0  # a lost node fails the run; the user retries it


# ---- on a cluster ----


@pytest.fixture(scope="module")
def cluster():
    """A head and a worker node, one CPU each, for the whole file; afterwards no Ray process
    of it is left."""
    from ray.cluster_utils import Cluster

    cluster = Cluster(
        initialize_head=True,
        head_node_args={
            "num_cpus": 1,
            "include_dashboard": False,
            "object_store_memory": OBJECT_STORE,
        },
    )
    cluster.add_node(num_cpus=1, object_store_memory=OBJECT_STORE)
    address = cluster.address
    yield cluster
    cluster.shutdown()
    wait_until(lambda: not _ray_processes(address), timeout=30, what="Ray to stop")
    assert not _ray_processes(address)


@pytest.fixture
def on_cluster(cluster, monkeypatch, no_run_left_behind):
    """Runs queued for ``cluster``; afterwards none is active and the driver has gone."""
    monkeypatch.setenv("RAY_ADDRESS", cluster.address)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    yield cluster
    for run in _active_runs():
        cancel(run.id)
        wait(run, poll_s=0.3)
    wait_until(_driver_gone, timeout=60, what="the Ray driver to exit")


def _active_runs() -> list[Run]:
    from pipeline.runs import ACTIVE, all_runs

    return [run for run in all_runs() if run.state in ACTIVE]


def _driver_gone() -> bool:
    lease = claim_lock(runs_root() / RAY_LEASE)
    if lease is None:
        return False
    lease.close()
    return True


def _ray_processes(address: str) -> list[str]:
    """Command lines of live processes that belong to the cluster at ``address``."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            line = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if address in line and ("raylet" in line or "gcs_server" in line):
            found.append(line[:120])
    return found


def _node_ids(cluster) -> set[str]:
    return {node.node_id for node in cluster.list_all_nodes()}


@slow
def test_two_runs_train_as_ray_tasks_record_their_node_and_are_then_cached(on_cluster):
    outcomes = [trigger(tiny("torch", seed=seed), executor="ray") for seed in (901, 902)]
    assert [o.how for o in outcomes] == ["queued", "queued"]
    statuses = [wait(o.run, poll_s=0.3) for o in outcomes]

    for outcome, status in zip(outcomes, statuses):
        assert status.status == "finished", status.error
        assert status.executor == "ray" and status.delivery == "shared store"
        assert status.node.id in _node_ids(on_cluster)
        result = outcome.run.result()
        assert result.weights_sha256 == sha256_of(outcome.run.weights())
    again = trigger(tiny("torch", seed=901), executor="ray")
    assert (again.how, again.run.id) == ("cached", outcomes[0].run.id)
    assert trigger(tiny("torch", seed=902)).how == "cached"  # whichever executor asks


@slow
def test_a_lost_node_fails_its_run_naming_the_node_and_a_new_trigger_trains_it_again(
    on_cluster, monkeypatch
):
    doomed = on_cluster.add_node(
        num_cpus=1, resources={"doomed": 1}, object_store_memory=OBJECT_STORE
    )
    config = tiny("torch", seed=903, epochs=4)
    monkeypatch.setenv(RESOURCES_VARIABLE, json.dumps({"doomed": 1}))
    run = trigger(config, executor="ray").run
    wait_until(lambda: training_started(run), what="the run to train on the doomed node")
    assert run.status().node.id == doomed.node_id
    child = run.status().pid

    on_cluster.remove_node(doomed)
    status = wait(run, poll_s=0.3)

    assert status.status == "failed", status
    assert doomed.node_id[:12] in status.error and "Ray said" in status.error
    assert "again" in status.error
    assert run.result() is None and not (run.path / "weights").exists()
    wait_until(lambda: pid_gone(child), timeout=10, what="the node's training process to end")
    monkeypatch.delenv(RESOURCES_VARIABLE)
    retried = trigger(config, executor="ray")
    assert (retried.how, retried.run.status().attempt) == ("queued", 2)
    status = wait(retried.run, poll_s=0.3)
    assert status.status == "finished", status.error
    assert status.node.id in _node_ids(on_cluster) - {doomed.node_id}


@slow
def test_the_bundle_path_lands_a_verified_run(on_cluster, monkeypatch):
    monkeypatch.setenv(BUNDLE_VARIABLE, "1")
    run = trigger(tiny("torch", seed=904), executor="ray").run
    status = wait(run, poll_s=0.3)

    assert status.status == "finished", status.error
    assert status.delivery == "bundle" and status.node.id in _node_ids(on_cluster)
    result = run.result()
    assert result.weights_sha256 == sha256_of(run.weights())
    assert run.progress().epochs and run.origin() == "trained"
    assert (run.path / "worker.log").is_file()  # the node's log came back
    assert not list(runs_root().glob(".ray-landing-*"))  # the checked bundle left nothing
    scratch = Path(tempfile.gettempdir()) / "pneumolab-ray"
    assert not list(scratch.glob(f"*/runs/{run.id}"))  # nor the node's temporary store


@slow
@pytest.mark.parametrize("delivery", ["shared store", "bundle"])
def test_cancelling_a_running_ray_run_ends_it_cancelled(on_cluster, monkeypatch, delivery):
    monkeypatch.setenv(BUNDLE_VARIABLE, "1" if delivery == "bundle" else "0")
    seed = 905 if delivery == "bundle" else 906
    run = trigger(tiny("torch", seed=seed, epochs=30), executor="ray").run
    wait_until(lambda: training_started(run), what="the run to train")
    assert run.status().delivery == delivery

    assert cancel(run.id) == "running"
    status = wait(run, poll_s=0.3)

    assert status.status == "cancelled", status
    assert not (run.path / "weights").exists()
    assert not _trainings_of(run.id)  # the node's training process is gone too


@slow
def test_a_driver_killed_mid_run_leaves_the_run_failed_once_the_queue_looks(on_cluster):
    run = trigger(tiny("torch", seed=907, epochs=30), executor="ray").run
    wait_until(lambda: training_started(run), what="the run to train")
    driver = run.status().driver_pid

    os.kill(driver, signal.SIGKILL)
    wait_until(lambda: pid_gone(driver), timeout=10, what="the driver to die")
    refresh()

    status = run.status()
    assert status.status == "failed", status
    assert f"pid {driver}" in status.error and "again" in status.error
    wait_until(lambda: not _trainings_of(run.id), timeout=30, what="Ray to end its task")


def _trainings_of(run_id: str) -> list[int]:
    """Live worker processes training ``run_id`` for a Ray task."""
    time.sleep(0.5)  # a killed process may take a moment to leave /proc
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            line = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if f"pipeline.training.worker --run {run_id}" in line:
            pids.append(int(proc.name))
    return pids
