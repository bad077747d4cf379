"""The run store's records (pipeline/runs/records.py): they read what older code wrote and write
back exactly what they read, so a run folder survives a round trip through any version."""

import json

from pipeline.runs import Progress, Run, RunConfig, RunData, RunStatus, write_json
from pipeline.runs.records import NodeInfo, RayTarget, RunEnd

RAY_STATUS = {
    "attempt": 2,
    "created": 1.0,
    "delivery": "bundle",
    "driver_pid": 41,
    "executor": "ray",
    "node": {"hostname": "gpu-7", "id": "ab" * 28, "ip": "10.0.0.7"},
    "queued": 1.0,
    "ray": {"address": "head:6379", "bundle": True, "resources": {"gpu_node": 1.0}},
    "run_id": "0123456789abcdef",
    "started": 2.0,
    "status": "running",
    "updated": 2.5,
    "written_by_a_later_version": {"kept": [1, 2]},
}


def as_file(record) -> str:
    return json.dumps(record, indent=2, sort_keys=True)


def test_a_status_reads_typed_and_writes_back_what_it_read():
    status = RunStatus.from_dict(RAY_STATUS)
    assert status.active and status.executor_name == "ray" and status.attempt == 2
    assert status.node == NodeInfo(id="ab" * 28, ip="10.0.0.7", hostname="gpu-7")
    assert status.ray == RayTarget("head:6379", {"gpu_node": 1.0}, True)
    assert status.ray_address == "head:6379" and status.pid is None and status.error is None
    assert as_file(status.to_dict()) == as_file(RAY_STATUS)
    assert list(status.to_dict()) == sorted(RAY_STATUS)  # the order the file holds them in


def test_an_old_status_reads_with_the_defaults_of_what_it_lacks():
    old = RunStatus.from_dict({"run_id": "0123456789abcdef", "status": "finished", "created": 3.0})
    assert (old.executor_name, old.ray_address, old.node, old.machine) == ("local", "", None, None)
    assert old.to_dict() == {"created": 3.0, "run_id": "0123456789abcdef", "status": "finished"}


def test_a_run_without_a_readable_status_shows_as_it_always_has(tmp_path, monkeypatch):
    monkeypatch.setenv("PNEUMOLAB_CACHE", str(tmp_path))
    run = Run("0123456789abcdef")
    assert run.status().to_dict() == {"run_id": run.id, "status": "missing"}
    assert run.progress().to_dict() == {"steps": [], "epochs": []}
    assert run.config() == RunConfig() and run.data() == RunData()
    run.path.mkdir(parents=True)
    (run.path / "status.json").write_text("{not json")
    assert list(run.status().to_dict()) == ["run_id", "status", "error"]
    assert run.state == "damaged"


def test_set_status_keeps_every_field_and_writes_the_file_as_before(tmp_path, monkeypatch):
    monkeypatch.setenv("PNEUMOLAB_CACHE", str(tmp_path))
    run = Run(RAY_STATUS["run_id"])
    run.path.mkdir(parents=True)
    write_json(run.path / "status.json", RAY_STATUS)
    ended = run.end(RunEnd("failed", "the node was lost"))
    written = json.loads((run.path / "status.json").read_text())
    assert written == RAY_STATUS | {
        "status": "failed",
        "error": "the node was lost",
        "ended": ended.ended,
        "updated": ended.updated,
    }
    assert ended == run.status() and ended.node.hostname == "gpu-7"
    run.end(RunEnd("cancelled"))  # no error: none recorded beyond the earlier one
    assert run.status().error == "the node was lost" and run.state == "cancelled"


def test_an_old_config_and_data_read_and_write_back_unchanged():
    config = {"augment": {"rotation": 10.0}, "epochs": 3, "framework": "torch", "seed": 7}
    read = RunConfig.from_dict(config)
    assert (read.framework, read.epochs, read.seed, read.width, read.model_width) == (
        "torch",
        3,
        7,
        None,
        1.0,
    )
    assert as_file(read.to_dict()) == as_file(config)
    data = {"fingerprint": "f", "images": 10, "source": "synthetic"}
    old = RunData.from_dict(data)
    assert old.identity is None and old.key == "synthetic|f" and old.to_dict() == data


def test_a_data_record_takes_its_identity():
    class Identity:
        fingerprint, version, name, label_space, images = "i" * 16, "2", "chest_xray", "cxr", 9

    data = RunData(source="/data/chest_xray", fingerprint="f").identified(Identity, "0" * 16)
    assert data.key == "i" * 16 and data.dataset == "chest_xray" and data.training_images == 9
    assert data.migrated_from == "0" * 16
    assert set(data.to_dict()) == {
        "source",
        "fingerprint",
        "identity",
        "identity_version",
        "dataset",
        "label_space",
        "training_images",
        "migrated_from",
    }


def test_progress_reads_its_position_and_keeps_the_events_as_reported():
    recorded = {
        "epochs": [{"epoch": 1, "time": 3.0, "val_auc": 0.9}],
        "notes": [{"message": "loaded", "time": 1.5}],
        "position": {"epoch": 1, "epochs": 2, "step": 3, "steps": 4, "time": 2.0},
        "started": 1.0,
        "steps": [{"epoch": 1, "epochs": 2, "step": 3, "steps": 4, "time": 2.0}],
        "updated": 3.0,
    }
    progress = Progress.from_dict(recorded)
    assert (progress.position.epoch, progress.position.steps) == (1, 4)
    assert progress.epochs[0]["val_auc"] == 0.9
    assert as_file(progress.to_dict()) == as_file(recorded)
