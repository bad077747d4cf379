"""Tiny real trainings for tests (tests/helpers/configs.py's settings), through the queue."""

from __future__ import annotations

import os
import time

from pipeline.runs import Run
from tests.helpers.configs import tiny


def tiny_run(framework: str) -> str:
    """The id of a finished one-epoch run of ``framework`` at 32 px (trained now, or cached)."""
    from pipeline.training.queue import trigger, wait

    outcome = trigger(tiny(framework))
    status = wait(outcome.run, poll_s=0.3)
    assert status.status == "finished", status
    return outcome.run.id


def wait_until(condition, timeout: float = 180.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def training_started(run: Run) -> bool:
    """The worker is inside the training loop (it has reported a step)."""
    return run.state == "running" and run.progress().position is not None


def pid_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False
