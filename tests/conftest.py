"""Shared test setup: a private cache per test session, the real data's location, and the
``browser`` mark on every test in tests/e2e/ (``make test-fast`` leaves out ``slow`` and ``browser``).

Tests are grouped by area (tests/data, augment, training, evaluate, explain, pages, talk,
security, e2e); what several of them share lives in the tests.helpers package."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REAL_DATA = Path(
    os.environ.get("PNEUMOLAB_REAL_DATA", ROOT.parent / "shared" / "data" / "chest_xray")
)


def pytest_collection_modifyitems(config, items):
    browser = pytest.mark.browser
    for item in items:
        if "e2e" in item.path.parts:
            item.add_marker(browser)


@pytest.fixture(autouse=True, scope="session")
def private_cache(tmp_path_factory):
    """Keep every test's cache out of the user's ~/.cache/pneumolab."""
    cache = tmp_path_factory.mktemp("pneumolab-cache")
    previous = os.environ.get("PNEUMOLAB_CACHE")
    os.environ["PNEUMOLAB_CACHE"] = str(cache)
    # stores start empty; the tests of the shipped runs turn them on (tests/training/test_export.py)
    os.environ["PNEUMOLAB_SHIPPED_RUNS"] = "0"
    yield cache
    if previous is None:
        os.environ.pop("PNEUMOLAB_CACHE", None)
    else:
        os.environ["PNEUMOLAB_CACHE"] = previous


@pytest.fixture(autouse=True)
def demo_source(monkeypatch):
    """Pages open on the synthetic demo, with local paths allowed, whatever the caller's environment."""
    monkeypatch.delenv("PNEUMOLAB_DATA", raising=False)
    monkeypatch.delenv("PNEUMOLAB_ALLOW_LOCAL_PATHS", raising=False)


@pytest.fixture
def real_data() -> Path:
    """The real training images; skipped only where the folder is absent (CI always has it)."""
    if not (REAL_DATA / "train").is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"real data missing at {REAL_DATA} (CI must have it)")
        pytest.skip(f"real data not found at {REAL_DATA}")
    return REAL_DATA


@pytest.fixture
def no_run_left_behind():
    """A failing test must not leave a worker training into the next test (training tests use it)."""
    yield
    from pipeline.runs import ACTIVE, all_runs
    from pipeline.training.queue import cancel, wait

    for run in all_runs():
        if run.state in ACTIVE:
            cancel(run.id)
    for run in all_runs():
        wait(run, poll_s=0.3)
