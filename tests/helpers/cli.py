"""The project's command lines as a user runs them: ``python -m MODULE`` from the repository root."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def evaluate_cli(*args: str, expect: int = 0) -> subprocess.CompletedProcess:
    """``python -m pipeline.evaluate ARGS``; fails unless it exits with ``expect``."""
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.evaluate", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == expect, result.stderr[-3000:]
    return result
