"""An Optuna search of the augmentation spec, judged by robustness: the library the app uses.

    name = start_search("synthetic", ("torch",), trials=12)  # starts python -m pipeline.tune
    state = search_state(name)       # SearchState: every Trial, the best spec, importances
    list_searches()                  # names of the searches in the cache, newest first
    cancel_search(name)              # stops the search process and the run it waits for

The space is every augmenting field of ``AugmentSpec.FIELDS`` over its declared range (``space.py``); a
trial trains one cached run per framework and seed and scores each under the shift stress on
the patient-grouped validation split (``search.py``; why this objective and what it cannot
see: docs/augment_search.md). The study sits in SQLite under ``$PNEUMOLAB_CACHE/tune``,
named from the data's identity, the frameworks, the preset and the seeds (``study.py``), so an
interrupted search resumes where it stopped. The command line is ``__main__.py``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from functools import lru_cache
from pathlib import Path

from pipeline.sweep.runs import EXECUTORS
from pipeline.tune.records import SearchState, Trial
from pipeline.tune.study import (
    SearchError,
    holder,
    open_study,
    read_settings,
    save_settings,
    search_settings,
    take_lock,
    tune_dir,
    write_pid,
)

__all__ = [
    "SearchError",
    "SearchState",
    "Trial",
    "cancel_search",
    "list_searches",
    "search_state",
    "start_search",
]
PROJECT_ROOT = Path(__file__).resolve().parents[2]
CANCEL_WAIT_S = 30.0  # the search stops its run first, at the run's next step


def start_search(
    source: str,
    frameworks: tuple[str, ...],
    trials: int,
    preset: str = "quick",
    seeds: tuple[int, ...] = (0,),
    executor: str = "local",
    overrides: dict | None = None,
) -> str:
    """Start (or resume) the search of these settings in a process of its own; its name.

    Checks everything first (``SearchError`` saying what is wrong), creates the study so that
    ``search_state`` reads it at once, and hands the search's lock to the new process, so the
    search reads as running from the moment this returns. A search already running is left
    to run: its name comes back. ``overrides`` replaces training settings of the preset
    (tiny runs in tests); they are part of the search's name.
    """
    if not isinstance(trials, int) or trials < 1:
        raise SearchError(f"trials: expected a whole number >= 1, got {trials!r}")
    if executor not in EXECUTORS:
        raise SearchError(f"executor {executor!r}: choose one of {', '.join(EXECUTORS)}")
    settings = save_settings(search_settings(source, frameworks, preset, seeds, overrides))
    open_study(settings.name, create=True)
    lock = take_lock(settings.name)
    if lock is None:
        return settings.name
    with lock:
        process = _spawn(settings.name, trials, executor, lock)
        write_pid(lock, process.pid)
    return settings.name


def search_state(name: str) -> SearchState:
    """Search ``name`` as stored now (``SearchError`` if there is none)."""
    settings = read_settings(name)
    running = holder(name) is not None
    trials = tuple(_trials(open_study(name), running))
    complete = [t for t in trials if t.state == "complete" and t.objective is not None]
    best = max(complete, key=lambda t: t.objective, default=None)
    return SearchState(
        name=name,
        source=settings.source,
        frameworks=settings.frameworks,
        preset=settings.preset,
        trials=trials,
        best_augment=best.augment if best else None,
        best_objective=best.objective if best else None,
        running=running,
        importances=_importances(name, len(complete)) if len(complete) >= 2 else {},
    )


def list_searches() -> list[str]:
    """The names of the searches in the cache, newest first."""
    from pipeline.tune.study import all_settings

    return [settings.name for settings in all_settings()]


def cancel_search(name: str) -> None:
    """Stop search ``name``: its trial's run is cancelled and the trial is tried again when the
    search resumes. Returns once the process has ended (or after ``CANCEL_WAIT_S``)."""
    read_settings(name)  # SearchError for an unknown name
    pid = holder(name)
    if not pid:
        return
    try:
        os.killpg(pid, signal.SIGTERM)  # its own session: the search and nothing else
    except ProcessLookupError:
        return
    deadline = time.monotonic() + CANCEL_WAIT_S
    while holder(name) is not None and time.monotonic() < deadline:
        time.sleep(0.1)


def _spawn(name: str, trials: int, executor: str, lock) -> subprocess.Popen:
    """``python -m pipeline.tune --name NAME`` in its own session, holding ``lock`` (inherited)."""
    log = open(tune_dir() / f"{name}.log", "ab")  # noqa: SIM115 (the child writes it)
    command = [sys.executable, "-m", "pipeline.tune", "--name", name, "--trials", str(trials)]
    command += ["--executor", executor, "--lock-fd", str(lock.fileno())]
    process = subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        pass_fds=(lock.fileno(),),
    )
    log.close()
    # reap it when it exits, so a long-lived Streamlit process collects no zombies
    threading.Thread(target=process.wait, daemon=True).start()
    return process


def _trials(study, running: bool):
    from pipeline.tune.search import trial_record

    for frozen in study.get_trials(deepcopy=False):
        record = trial_record(frozen, running)
        if record is not None:
            yield record


@lru_cache(maxsize=32)
def _importances(name: str, complete: int) -> dict[str, float]:
    """Per-field importances (fANOVA over the complete trials), once per count of them."""
    from pipeline.tune.search import field_importances

    return field_importances(open_study(name))
