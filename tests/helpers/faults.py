"""Faults made for real: a full disk, a read-only disk, a damaged file, a killed process.

No mocks: ``prlimit --fsize`` makes the kernel refuse writes past a size (EFBIG, what a full
disk looks like to a writer), a tmpfs mounted in a private mount namespace runs out of space
(ENOSPC), a bind mount remounted read-only refuses every write (EROFS) - root only; elsewhere
``chmod`` makes a read-only folder (EACCES) - and processes are killed with SIGKILL.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.helpers.configs import tiny_cli
from tests.helpers.runs import pid_gone, wait_until

ROOT = Path(__file__).resolve().parents[2]
TINY_CLI = tiny_cli(batch_size=None)  # the preset's batch size (32, the same)


def environment(**changes) -> dict:
    """This process's environment (PNEUMOLAB_CACHE included) for a child, one thread per framework."""
    return {**os.environ, "OMP_NUM_THREADS": "1", **changes}


def python(code: str, *, prefix: list[str] = (), env: dict | None = None, timeout: float = 300):
    """Run ``code`` in a fresh Python behind ``prefix`` (prlimit, unshare); returns the process."""
    return subprocess.run(
        [*prefix, sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env or environment(),
    )


def cli(
    module: str, *args: str, prefix: list[str] = (), env: dict | None = None, timeout: float = 600
):
    return subprocess.run(
        [*prefix, sys.executable, "-m", module, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env or environment(),
    )


def file_size_limit(size: int) -> list[str]:
    """Writes past ``size`` bytes fail with EFBIG (Python ignores SIGXFSZ, so they raise OSError)."""
    return ["prlimit", f"--fsize={size}"]


def _namespace(mount: str, path: Path) -> list[str] | None:
    """Run the command with ``mount`` done on ``path`` in a private mount namespace; None if not allowed."""
    command = ["unshare", "-m"] if os.geteuid() == 0 else ["unshare", "-rm"]
    script = f'{mount} && exec "$@"'
    probe = subprocess.run([*command, "sh", "-c", script, str(path), "true"], capture_output=True)
    return [*command, "sh", "-c", script, str(path)] if probe.returncode == 0 else None


def small_disk(path: Path, size: str) -> list[str]:
    """A prefix whose command sees a tmpfs of ``size`` at ``path`` (gone when the command ends)."""
    prefix = _namespace("mount -t tmpfs -o size=" + size + ' tmpfs "$0"', path)
    if prefix is None:
        pytest.skip("no mount namespace here to mount a small filesystem in")
    return prefix


@contextmanager
def read_only(path: Path):
    """A prefix under which ``path`` (and all below it) is read-only, however privileged the process."""
    prefix = _namespace('mount --bind "$0" "$0" && mount -o remount,bind,ro "$0"', path)
    if prefix is not None:
        yield prefix
        return
    if os.geteuid() == 0:
        pytest.skip("root ignores file modes and no mount namespace is allowed here")
    folders = [path, *(p for p in path.rglob("*") if p.is_dir())]
    for folder in folders:
        folder.chmod(0o500)
    try:
        yield []
    finally:
        for folder in folders:
            folder.chmod(0o755)


def kill(pid: int) -> None:
    """SIGKILL: no handler runs, nothing is flushed or cleaned up (a process already gone is left be)."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    wait_until(lambda: pid_gone(pid), timeout=30, what=f"process {pid} to go")


def assert_store_consistent() -> list[dict]:
    """Every JSON file in the run store parses, and ``python -m pipeline.runs list`` works and agrees."""
    from pipeline.runs import all_runs, runs_root

    for path in runs_root().rglob("*.json"):
        json.loads(path.read_text())  # atomic writes: never half a file
    listed = cli("pipeline.runs", "list", "--json", timeout=120)
    assert listed.returncode == 0, listed.stderr
    rows = {row["run_id"]: row["status"] for row in json.loads(listed.stdout)}
    assert rows == {run.id: run.state for run in all_runs()}
    return list(rows)


def flip_byte(path: Path, position: float = 0.5) -> None:
    data = bytearray(path.read_bytes())
    data[int(len(data) * position)] ^= 0xFF
    path.write_bytes(bytes(data))


def truncate(path: Path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
