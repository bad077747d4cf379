"""Run the dashboard as users do, `streamlit run` on a loopback port, and drive it with Chromium.

Shared by the browser tests (tests/e2e/) and the benchmarks that measure a running app (here,
so that benchmarks never import the tests):

    from benchmarks.browser import exception_texts, launch_chromium, peak_rss_mb, running_app

    with running_app({"PNEUMOLAB_DATA": "synthetic"}, cache_dir) as url, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page()
        page.goto(url + "/training")
        wait_for_page(page)
        print(exception_texts(page), peak_rss_mb(url.pid))

``url`` is a plain string with two extras: ``url.pid`` (the Streamlit process) and ``url.log``
(its stdout and stderr, for a failure's message).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path(
    os.environ.get("PNEUMOLAB_CHROMIUM") or "/usr/bin/chromium"
)  # e.g. /usr/bin/chromium-browser
# Playwright's own browser download does not work on these machines: Debian's chromium does.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
INSTALL_HINT = "install it with `apt-get install -y chromium` (as root) and `pip install -r requirements-dev.txt`"
STARTUP_TIMEOUT_S = 180  # a server start on a busy 2-core machine takes over a minute
PAGE_TIMEOUT_S = (
    120  # a page's first load of torch and TensorFlow takes ~12 s on 2 idle cores, more when busy
)


class AppUrl(str):
    """The app's base URL, carrying the server's pid and log file."""

    pid: int
    log: Path


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def running_app(env_overrides: dict[str, str] | None, cache_dir: str | os.PathLike):
    """``streamlit run dashboard/Home.py`` with its own cache; yields the base URL once healthy.

    The server runs in a process group of its own, killed on the way out however the block ends;
    the training workers it started (each in a session of its own, so that they outlive a page)
    are stopped too, found through the run store in ``cache_dir``.
    """
    port = free_port()
    env = {**os.environ, **(env_overrides or {}), "PNEUMOLAB_CACHE": str(cache_dir)}
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "dashboard/Home.py",
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
    ]
    log = Path(tempfile.mkstemp(prefix=f"streamlit-{port}-", suffix=".log")[1])
    with open(log, "wb") as output:
        server = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        url = AppUrl(f"http://127.0.0.1:{port}")
        url.pid, url.log = server.pid, log
        _wait_until_healthy(url, server)
        yield url
    finally:
        _kill_group(server)
        _stop_workers(Path(cache_dir))
        log.unlink(missing_ok=True)


def _wait_until_healthy(url: AppUrl, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {server.returncode}:\n{log_tail(url)}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError(
        f"streamlit did not answer /_stcore/health within {STARTUP_TIMEOUT_S} s:\n{log_tail(url)}"
    )


def _kill_group(server: subprocess.Popen) -> None:
    """SIGTERM to the server's group, SIGKILL to whatever is left after 10 s."""
    for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(server.pid, sig)
        except ProcessLookupError:
            return
        try:
            server.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
        with contextlib.suppress(ProcessLookupError):  # the group's other members (workers)
            os.killpg(server.pid, signal.SIGKILL)
        return


def _stop_workers(cache_dir: Path) -> None:
    """SIGTERM to the worker of every run still queued or running in this cache's run store."""
    for status_file in cache_dir.glob("runs/*/status.json"):
        try:
            status = json.loads(status_file.read_text())
            pid = int(status["pid"])
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError, KeyError, TypeError):
            continue  # finished long ago, never started, or a file being rewritten
        if status.get("status") in ("queued", "running") and b"pipeline.training.worker" in command:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGTERM)  # a worker leads its own session


def log_tail(url: AppUrl, chars: int = 4000) -> str:
    """The end of the server's output: what to show when a page misbehaves."""
    try:
        return url.log.read_text(errors="replace")[-chars:]
    except (AttributeError, OSError):
        return "(no server log)"


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM) in MB; 0 once it is gone."""
    return _proc_status_mb(pid, "VmHWM")


def rss_mb(pid: int) -> float:
    """The process's resident memory now (VmRSS) in MB; 0 once it is gone."""
    return _proc_status_mb(pid, "VmRSS")


def _proc_status_mb(pid: int, field: str) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024  # the kernel reports kB
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0.0


def url_path(page_info) -> str:
    """The URL path st.Page derives from a page file: ``views/training.py`` -> ``training``."""
    return PurePosixPath(page_info.path).stem


def chromium_problem() -> str | None:
    """None where a browser test can run here, else what is missing and how to install it."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return f"the Python package playwright is not installed; {INSTALL_HINT}"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing; {INSTALL_HINT}"
    return None


def launch_chromium(playwright, **options):
    """Headless Chromium from /usr/bin/chromium with the flags that work in containers."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, **options)


# Streamlit marks its root element with the script's state: "initial", "running", "rerunRequested",
# "notRunning", ...; the main column holds the page's elements once a run has drawn them.
_IDLE = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app !== null
        && app.getAttribute('data-test-script-state') === 'notRunning'
        && app.getAttribute('data-test-connection-state') === 'CONNECTED'
        && document.querySelector('[data-testid="stMainBlockContainer"]') !== null
        && document.querySelector('[data-testid="stSkeleton"], [data-testid="stAppSkeleton"]') === null;
}"""


def wait_for_page(page, timeout_s: float = PAGE_TIMEOUT_S, settle_s: float = 0.6) -> None:
    """Wait until the page's script has finished running.

    Finished means idle for ``settle_s`` in a row: that covers the moment after a click, before
    the rerun it asks for has started. A fragment that reruns every second (the Training page's
    progress) keeps a busy machine from ever being idle that long; but a full run is never idle
    in between, so a third separate idle moment also means the page has finished.
    """
    deadline = time.monotonic() + timeout_s
    idle_since, idle_moments = None, 0
    while time.monotonic() < deadline:
        if page.evaluate(_IDLE):
            if idle_since is None:
                idle_since, idle_moments = time.monotonic(), idle_moments + 1
            if time.monotonic() - idle_since >= settle_s or idle_moments >= 3:
                return
        else:
            idle_since = None
        page.wait_for_timeout(100)
    state = page.evaluate("""() => { const app = document.querySelector('[data-testid="stApp"]');
        return app ? app.getAttribute('data-test-script-state') + '/' + app.getAttribute('data-test-connection-state')
                   : 'no app element'; }""")
    raise TimeoutError(
        f"{page.url} did not finish running within {timeout_s:.0f} s (state {state})"
    )


def exception_texts(page) -> list[str]:
    """The text of every exception box (a traceback shown in the page), empty when there is none."""
    return [box.inner_text() for box in page.locator('[data-testid="stException"]').all()]
