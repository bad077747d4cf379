"""One Streamlit server and one Chromium for the whole browser-test session.

The server runs `streamlit run dashboard/Home.py` on a free loopback port, on the synthetic
demo data, with a cache of its own. Each test gets a fresh browser context (its own Streamlit
session, so its own data source) at 1280 x 800. The tests save screenshots of the pages they
check in artifacts/e2e/ (CI keeps them), and a failing test's last view as FAILED-<test>.png.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.browser import ROOT, chromium_problem, launch_chromium, log_tail, running_app

from .screenshots import save_artifact

VIEWPORT = {"width": 1280, "height": 800}
QUICK_TRAINING_TIMEOUT_S = 600


@pytest.fixture(scope="session")
def app_cache(tmp_path_factory):
    """A new cache, or PNEUMOLAB_E2E_CACHE: a cache whose finished runs the tests then reuse
    (``pipeline.train`` never trains the same settings twice), on a machine too busy to train."""
    reused = os.environ.get("PNEUMOLAB_E2E_CACHE")
    return Path(reused) if reused else tmp_path_factory.mktemp("e2e-cache")


@pytest.fixture(scope="session")
def app_url(app_cache):
    """The base URL of the running app (a str with ``.pid`` and ``.log``)."""
    with running_app({"PNEUMOLAB_DATA": "synthetic"}, app_cache) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium; CI without one is a failure, anywhere else a skip that says why."""
    problem = chromium_problem()
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests cannot run: {problem}")
        pytest.skip(f"browser tests need Chromium: {problem}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, app_url, request):
    """A new Streamlit session in its own browser context; a failing test's last view is saved."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(30_000)
    tab = context.new_page()
    yield tab
    try:
        if getattr(request.node, "e2e_failed", False):
            save_artifact(tab, "FAILED-" + re.sub(r"[^\w.-]+", "_", request.node.name))
    finally:
        context.close()


@pytest.fixture(scope="session")
def quick_runs(app_cache, app_url):
    """A finished quick Keras run and a finished quick PyTorch run on the synthetic data, in the
    server's run store (trained by the command line, one after the other: ~1 min on 2 cores)."""
    env = {**os.environ, "PNEUMOLAB_CACHE": str(app_cache)}
    runs = {}
    for framework in ("torch", "keras"):
        command = [
            sys.executable,
            "-m",
            "pipeline.train",
            "--framework",
            framework,
            "--source",
            "synthetic",
            "--preset",
            "quick",
            "--json",
        ]
        done = subprocess.run(
            command,
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=QUICK_TRAINING_TIMEOUT_S,
        )
        assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stderr[-3000:]}"
        runs[framework] = done.stdout
    return runs


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing browser test's report ends with the server's output, and its page is saved."""
    report = yield
    if report.failed and call.when == "call":
        item.e2e_failed = True  # read by the page fixture's teardown
        if "app_url" in item.funcargs:
            report.sections.append(("streamlit server output", log_tail(item.funcargs["app_url"])))
    return report
