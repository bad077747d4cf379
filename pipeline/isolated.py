"""Run one function in a fresh Python process and get its result back: frameworks stay out of
the caller.

    result = isolated.call("pipeline.augment.preview", "rendered", spec, image, 8, 0, None, False)

A shared deployment (Streamlit Community Cloud, ~2.7 GB for everything) cannot keep TensorFlow
and torch in its Streamlit process: importing both costs ~1.6 GB before any work. Pages that
need a framework for a moment (the augmentation studio's ImageDataGenerator and torchvision
previews) call it through here instead: the child imports what it needs, returns a pickled
result through a file, and exits, giving its memory back. One such child runs at a time on the
machine (a lock under the cache), so five visitors never hold five copies of the frameworks.
The price is the import, about 15 s per call; pages cache results, so it is paid once per view.

    python -m pipeline.isolated REQUEST RESULT     # the child side; never run by hand
"""

from __future__ import annotations

import fcntl
import importlib
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

from pipeline.settings import cache_root

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_S = 600


class IsolatedError(RuntimeError):
    """The child process failed; the message has the end of what it printed."""


def call(module: str, function: str, *args, **kwargs):
    """``module.function(*args, **kwargs)`` in a child process, one child at a time."""
    scratch = cache_root() / "isolated"  # the app writes only under its cache
    scratch.mkdir(parents=True, exist_ok=True)
    lock_path = scratch / ".lock"
    with tempfile.TemporaryDirectory(prefix="call-", dir=scratch) as folder:
        request, result = Path(folder) / "request.pkl", Path(folder) / "result.pkl"
        request.write_bytes(pickle.dumps((module, function, args, kwargs)))
        with open(lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            done = subprocess.run(
                [sys.executable, "-m", "pipeline.isolated", str(request), str(result)],
                capture_output=True,
                text=True,
                cwd=ROOT,
                timeout=TIMEOUT_S,
            )
        if done.returncode != 0 or not result.is_file():
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise IsolatedError(
                f"{module}.{function} failed in its own process (exit {done.returncode}): "
                + " | ".join(tail)
            )
        return pickle.loads(result.read_bytes())  # written by our own child just now


def main(argv: list[str]) -> int:
    request, result = Path(argv[0]), Path(argv[1])
    module, function, args, kwargs = pickle.loads(request.read_bytes())
    value = getattr(importlib.import_module(module), function)(*args, **kwargs)
    result.write_bytes(pickle.dumps(value))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
