"""``python -m pipeline.train``: both frameworks train one epoch at 32 px on the synthetic data,
the second call is a cache hit, a terminal gets a progress bar, impossible settings exit 2."""

import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from pipeline.data import open_source
from pipeline.runs import Run, all_runs
from tests.helpers.configs import tiny_cli

ROOT = Path(__file__).resolve().parents[2]
TINY = tiny_cli(batch_size=None, early_stopping_patience=None)  # the preset's (32, 0: the same)

pytestmark = pytest.mark.slow


def environment() -> dict:
    """Read when called: conftest points PNEUMOLAB_CACHE at the session's cache after collection."""
    return dict(os.environ)


def train_cli(*args: str, expect: int = 0) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "pipeline.train", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env=environment(),
    )
    assert done.returncode == expect, done.stderr[-3000:]
    return done


def test_keras_trains_one_epoch_and_the_second_call_is_a_cache_hit():
    first = json.loads(train_cli("--framework", "keras", *TINY, "--seed", "201", "--json").stdout)

    assert first["status"] == "finished" and first["cached"] is False and first["error"] is None
    assert 0 <= first["val"]["auc"] <= 1 and 0 <= first["val"]["accuracy"] <= 1
    assert first["device"]["type"] == "cpu" and first["timings"]["images_per_s"] > 0
    assert Path(first["weights"]).name == "model.keras" and Path(first["weights"]).exists()
    assert Run(first["run_id"]).config().framework == "keras"
    # without --verbose, TensorFlow's C++ start-up lines stay out of the worker's log
    log = (Run(first["run_id"]).path / "worker.log").read_text()
    assert not any(line in log for line in ("absl::InitializeLog", "cudart_stub", "oneDNN")), log

    started = time.monotonic()
    second = json.loads(train_cli("--framework", "keras", *TINY, "--seed", "201", "--json").stdout)
    assert (
        second["cached"] is True
        and second["run_id"] == first["run_id"]
        and second["val"] == first["val"]
    ), (first, second)
    assert time.monotonic() - started < 20  # no framework loaded, nothing trained


def test_torch_trains_one_epoch_with_a_progress_bar_on_a_terminal():
    """On a pseudo-terminal the command draws a tqdm bar over the steps, then prints the result."""
    leader, follower = pty.openpty()
    fcntl.ioctl(
        follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0)
    )  # a terminal has a size
    child = subprocess.Popen(
        [sys.executable, "-m", "pipeline.train", "--framework", "torch", *TINY, "--seed", "202"],
        cwd=ROOT,
        env=environment(),
        stdin=follower,
        stdout=follower,
        stderr=follower,
    )
    os.close(follower)
    output = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
    assert child.wait(timeout=600) == 0, output.decode(errors="replace")[-3000:]
    text = output.decode(errors="replace")

    assert "queued for training" in text
    steps = len(open_source("synthetic").scan().split("train")) // 32
    assert f"{steps}/{steps}" in text and "step" in text  # the bar reached the last step
    assert "finished; validation" in text and "auc" in text

    again = json.loads(train_cli("--framework", "torch", *TINY, "--seed", "202", "--json").stdout)
    assert again["cached"] is True and again["status"] == "finished"
    assert Path(again["weights"]).name == "model.pt"


@pytest.mark.parametrize(
    "option, value, field",
    [
        ("--img-size", "8", "img_size"),
        ("--batch-size", "1", "batch_size"),
        ("--epochs", "0", "epochs"),
        ("--learning-rate", "5", "learning_rate"),
        ("--optimizer", "adagrad", "optimizer"),
        ("--device", "tpu", "device"),
        ("--augment", "sideways", "augment"),
    ],
)
def test_impossible_settings_exit_2_naming_the_field(option, value, field):
    before = {run.id for run in all_runs()}

    done = train_cli("--framework", "torch", *TINY, option, value, expect=2)

    assert done.stderr.startswith(f"error: {field}:"), done.stderr
    assert "Traceback" not in done.stderr
    assert {run.id for run in all_runs()} == before  # nothing queued


def test_an_unreadable_source_exits_2_with_the_reason(tmp_path):
    done = train_cli("--framework", "torch", *TINY, "--source", str(tmp_path / "missing"), expect=2)

    assert "data source" in done.stderr and "Traceback" not in done.stderr


def test_a_seed_group_trains_each_seed_as_its_own_cached_run():
    """``--seeds`` trains one run per seed and prints them all; asking again is all cache hits."""
    args = ("--framework", "torch", *TINY, "--seeds", "211,212", "--json")
    first = json.loads(train_cli(*args).stdout)
    assert [run["seed"] for run in first["runs"]] == [211, 212]
    assert all(run["status"] == "finished" and not run["cached"] for run in first["runs"])
    assert len({run["run_id"] for run in first["runs"]}) == 2
    for run in first["runs"]:
        assert 0.0 <= run["val"]["auc"] <= 1.0
        assert Run(run["run_id"]).config().seed == run["seed"]
    again = json.loads(train_cli(*args).stdout)
    assert [run["run_id"] for run in again["runs"]] == [run["run_id"] for run in first["runs"]]
    assert all(run["cached"] for run in again["runs"])


@pytest.mark.parametrize(
    "args, message",
    [
        (("--seeds", "0,x"), "whole numbers"),
        (("--seeds", "1,1"), "repeated"),
        (("--seeds", "0,1", "--seed", "3"), "either --seed or --seeds"),
    ],
)
def test_bad_seed_groups_are_refused_before_anything_trains(args, message):
    done = train_cli("--framework", "torch", *TINY, *args, expect=2)
    assert message in done.stderr
