"""Both engines on two devices, on the CPU: torch DDP under torchrun (gloo), Keras MirroredStrategy
over two logical CPUs. Real processes, one epoch of the synthetic data at a tiny size."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.training.config import ConfigError, TrainConfig
from tests.helpers.configs import tiny_settings

ROOT = Path(__file__).resolve().parents[2]
TINY = tiny_settings(width=0.5, augment="light", replicas=2)  # for TrainConfig(), no preset


def _run(command: list[str], tmp_path: Path) -> dict:
    env = dict(os.environ)
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads((tmp_path / "result.json").read_text())


def _config_file(tmp_path: Path, framework: str) -> Path:
    path = tmp_path / "config.json"
    path.write_text(TrainConfig(framework=framework, **TINY).to_json())
    return path


def _engine_args(tmp_path: Path, framework: str) -> list[str]:
    return [
        "-m",
        "pipeline.training.distributed",
        "--config",
        str(_config_file(tmp_path, framework)),
        "--workdir",
        str(tmp_path / "work"),
        "--result",
        str(tmp_path / "result.json"),
    ]


@pytest.mark.slow
def test_torch_trains_with_ddp_on_two_cpu_processes(tmp_path):
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    outcome = _run(torchrun + _engine_args(tmp_path, "torch"), tmp_path)
    assert outcome["replicas"] == 2
    assert len(outcome["history"]) == 1 and 0 <= outcome["val"]["auc"] <= 1
    assert (tmp_path / "work" / "model.pt").is_file()

    from models.torch_cnn import load

    load(tmp_path / "work" / "model.pt", 32, width=0.5)  # plain weights, no DDP "module." prefix


@pytest.mark.slow
def test_keras_trains_with_mirrored_strategy_on_two_logical_cpus(tmp_path):
    outcome = _run([sys.executable, *_engine_args(tmp_path, "keras")], tmp_path)
    assert outcome["replicas"] == 2
    assert len(outcome["history"]) == 1 and 0 <= outcome["val"]["auc"] <= 1
    assert (tmp_path / "work" / "model.keras").is_file()


def test_torch_replicas_without_torchrun_say_how_to_start_them(tmp_path, monkeypatch):
    from pipeline.training import train

    monkeypatch.delenv("WORLD_SIZE", raising=False)
    with pytest.raises(ConfigError, match="^replicas: .* torchrun --standalone --nproc_per_node=2"):
        train(TrainConfig(framework="torch", **TINY), tmp_path, print, lambda: False)
