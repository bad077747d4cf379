"""The Training page's progress panel says where a run trains when its status records it (the
executor and node a Ray run writes), and nothing when it does not. The runs are real folders of
a run store of their own, written as training writes them; the page runs in AppTest."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipeline.runs import Run, write_json
from pipeline.training.config import TrainConfig

ROOT = Path(__file__).resolve().parents[2]
HOME = str(ROOT / "dashboard" / "Home.py")

pytestmark = pytest.mark.app  # AppTest: not in make test-fast


def finished(run_id: str, framework: str, **where) -> Run:
    run = Run(run_id)
    run.path.mkdir(parents=True, exist_ok=True)
    config = TrainConfig.from_preset("quick", framework=framework)
    write_json(run.path / "config.json", config.to_dict())
    write_json(run.path / "data.json", {"source": "synthetic", "fingerprint": "f"})
    write_json(
        run.path / "result.json",
        {
            "history": [],
            "val": {"auc": 0.9, "accuracy": 0.8},
            "timings": {"seconds_per_epoch": 2.0, "images_per_s": 50.0},
            "device": {"type": "cuda", "name": "test GPU"},
            "weights": None,
        },
    )
    run.set_status("finished", created=1.0, ended=2.0, **where)
    return run


def test_a_run_says_its_node_when_it_trained_on_ray_and_nothing_otherwise(tmp_path, monkeypatch):
    monkeypatch.setenv("PNEUMOLAB_CACHE", str(tmp_path))
    node = {"id": "f" * 56, "ip": "10.0.0.7", "hostname": "gpu-node-7"}  # as a Ray task records it
    on_ray = finished(f"{1:016x}", "torch", executor="ray", node=node)
    here = finished(f"{2:016x}", "keras")
    app = AppTest.from_file(HOME, default_timeout=120).run()
    app.switch_page("views/training.py")
    app.session_state["training_followed"] = {"torch": on_ray.id, "keras": here.id}
    app.run()
    assert not app.exception, [e.value for e in app.exception]

    lines = {
        run.id: next(s.value for s in app.success if run.id in s.value) for run in (on_ray, here)
    }
    assert lines[on_ray.id].startswith(
        f"**PyTorch** `{on_ray.id}` on gpu-node-7 (Ray): finished on test GPU"
    )
    assert lines[here.id].startswith(f"**Keras** `{here.id}`: finished on test GPU")
