"""Long computations outside the Streamlit script: one worker thread per job, shared by sessions.

    job = start("stress:abc:test", lambda progress: stress_cached(..., progress=progress))
    job.done, job.fraction, job.error, job.result

A page starts a job with a button and shows its progress in a fragment that reruns every few
seconds; the script itself never waits. A job's key names its work (run, source, split), so a
second visitor asking for the same thing follows the first one's job instead of starting
another. The results land in ``pipeline``'s disk caches, where the pages read them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import streamlit as st


@dataclass
class Job:
    key: str
    started: float = field(default_factory=time.time)
    done: bool = False
    progress: tuple[int, int] = (0, 1)
    result: object = None
    error: str | None = None

    @property
    def fraction(self) -> float:
        done, total = self.progress
        return min(1.0, done / max(total, 1))


@st.cache_resource
def _jobs() -> dict[str, Job]:
    return {}


_lock = threading.Lock()


def job(key: str) -> Job | None:
    return _jobs().get(key)


def start(key: str, work: Callable[[Callable[[int, int], None]], object]) -> Job:
    """Run ``work(progress)`` on a thread unless a job of that key is running or succeeded."""
    with _lock:
        current = _jobs().get(key)
        if current is not None and (not current.done or current.error is None):
            return current
        started = _jobs()[key] = Job(key)
    thread = threading.Thread(
        target=_run, args=(started, work), name=f"pneumolab-{key}", daemon=True
    )
    thread.start()
    return started


def _run(current: Job, work) -> None:
    def progress(done: int, total: int) -> None:
        current.progress = (done, total)

    try:
        current.result = work(progress)
    except Exception as error:
        current.error = f"{type(error).__name__}: {error}"
    finally:
        current.done = True
