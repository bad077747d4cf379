"""The app as Streamlit Community Cloud runs it: inside a kernel memory limit, walked in Chromium.

    sudo .venv/bin/python -m benchmarks.cloud_memory [--source synthetic] [--cache DIR] [--limit-mb 2700]
    sudo .venv/bin/python -m benchmarks.cloud_memory --source ../shared/data/chest_xray --cache CACHE

Puts ``streamlit run dashboard/Home.py`` in a memory cgroup (cgroup v1, as root) limited to
``--limit-mb`` (the Cloud gives an app about 2.7 GB), with the shared-deployment settings of
``.streamlit/secrets.toml.example``: ``PNEUMOLAB_ALLOW_TRAINING=0`` and
``PNEUMOLAB_MODEL_BACKEND=onnx``. Then:

1. one Chromium session opens every page in the talk's order (Evaluation compares a Keras and a
   PyTorch run, Predictions shows both frameworks' Grad-CAM, the Augmentation studio renders
   through its framework child process);
2. five sessions at once do the same.

After each phase it prints the Streamlit process's peak resident memory (VmHWM, cumulative), the
cgroup's peak (``memory.max_usage_in_bytes``: the server and every child it started, reset
between phases), the kernel's OOM kills in the cgroup, and whether the server is still alive.
The last line is ``RESULT ...`` with all of them. Exit status 1 when anything was killed, the
server died, a page showed an exception, or the Streamlit peak exceeded ``--target-mb``.

``--cache DIR`` is copied into a scratch folder first (never written: a real cache stays as it
is); it must hold a finished Keras run and a finished PyTorch run on ``--source``. Without it,
a fresh cache gets the shipped runs (``shipped_runs/``), which cover the synthetic source.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from benchmarks.browser import (
    exception_texts,
    free_port,
    launch_chromium,
    peak_rss_mb,
    rss_mb,
    wait_for_page,
)
from benchmarks.memory import BOTH_FRAMEWORKS_SHOWN, RssSampler
from dashboard.app.pages import HOME, TALK

ROOT = Path(__file__).resolve().parents[1]
CGROUP_ROOT = Path("/sys/fs/cgroup/memory")
SHARED_SETTINGS = {"PNEUMOLAB_ALLOW_TRAINING": "0", "PNEUMOLAB_MODEL_BACKEND": "onnx"}
PAGE_TIMEOUT_S = 300  # five sessions on two busy cores; the studio's child imports both frameworks

SERVER_PID = "PNEUMOLAB_BENCHMARK_SERVER_PID"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--source", default="synthetic", help="the data source the app opens on")
    parser.add_argument("--cache", type=Path, help="a cache to copy and use (never written)")
    parser.add_argument("--limit-mb", type=float, default=2700, help="the cgroup's memory limit")
    parser.add_argument("--target-mb", type=float, default=1500, help="Streamlit peak allowed")
    parser.add_argument("--sessions", type=int, default=5, help="sessions in the second phase")
    parser.add_argument("--walk", help=argparse.SUPPRESS)  # a child walker: the app's URL
    args = parser.parse_args()
    if args.walk:
        return walk(args.walk)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped"))  # clean up the app and cgroup
    if os.geteuid() != 0 or not CGROUP_ROOT.is_dir():
        sys.exit(f"needs root and cgroup v1's memory controller at {CGROUP_ROOT}")

    with tempfile.TemporaryDirectory(prefix="pneumolab-cloud-") as scratch:
        cache = Path(scratch) / "cache"
        if args.cache:
            shutil.copytree(args.cache, cache, symlinks=True)
            print(f"copied {args.cache} to {cache}", flush=True)
        check_runs(args.source, cache)
        with memory_cgroup(args.limit_mb) as group, app(args.source, cache, group) as (url, pid):
            sampler = RssSampler(pid)
            print(f"server started: rss {rss_mb(pid):.0f} MB, cgroup {group.usage_mb():.0f} MB")
            os.environ[SERVER_PID] = str(pid)  # the walkers print the server's memory per page
            problems = run_walkers(url, 1)
            one = group.report(pid, "one session")
            group.reset_peak()
            problems += run_walkers(url, args.sessions)
            five = group.report(pid, f"{args.sessions} sessions")
            sampler.stop()
    summary = {
        "source": args.source,
        "limit_mb": args.limit_mb,
        "one_session": one,
        "concurrent": five,
        "largest_sampled_rss_mb": round(sampler.highest),
        "page_problems": problems,
    }
    print("RESULT " + json.dumps(summary))
    failed = (
        five["oom_kills"] > 0
        or not five["server_alive"]
        or problems
        or max(one["streamlit_peak_mb"], five["streamlit_peak_mb"]) > args.target_mb
    )
    return 1 if failed else 0


def check_runs(source: str, cache: Path) -> None:
    """A finished run of each framework on ``source`` (the shipped ones count)."""
    env = {**os.environ, "PNEUMOLAB_CACHE": str(cache)}
    listing = subprocess.run(
        [sys.executable, "-m", "pipeline.runs", "list", "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    from pipeline.data import canonical_source

    wanted = canonical_source(source)
    frameworks = {
        row["framework"]
        for row in json.loads(listing.stdout)
        if row["status"] == "finished" and row["source"] in (source, wanted)
    }
    if frameworks != {"keras", "torch"}:
        sys.exit(
            f"the cache needs a finished Keras and a finished PyTorch run on {source} "
            f"(found: {sorted(frameworks) or 'none'}); train them with "
            f"`python -m pipeline.train --framework torch --source {source} --preset quick` (and keras)"
        )


class Cgroup:
    def __init__(self, path: Path):
        self.path = path

    def read(self, name: str) -> str:
        return (self.path / name).read_text()

    def usage_mb(self) -> float:
        return int(self.read("memory.usage_in_bytes")) / 2**20

    def peak_mb(self) -> float:
        return int(self.read("memory.max_usage_in_bytes")) / 2**20

    def oom_kills(self) -> int:
        fields = dict(line.split() for line in self.read("memory.oom_control").splitlines())
        return int(fields.get("oom_kill", 0))

    def reset_peak(self) -> None:
        (self.path / "memory.max_usage_in_bytes").write_text("0")

    def report(self, pid: int, phase: str) -> dict:
        alive = Path(f"/proc/{pid}").exists()
        figures = {
            "streamlit_peak_mb": round(peak_rss_mb(pid)),
            "streamlit_rss_mb": round(rss_mb(pid)),
            "cgroup_peak_mb": round(self.peak_mb()),
            "oom_kills": self.oom_kills(),
            "server_alive": alive,
        }
        print(f"{phase}: " + ", ".join(f"{k} {v}" for k, v in figures.items()), flush=True)
        return figures


@contextmanager
def memory_cgroup(limit_mb: float):
    path = CGROUP_ROOT / f"pneumolab-cloud-{os.getpid()}"
    path.mkdir()
    try:
        (path / "memory.limit_in_bytes").write_text(str(int(limit_mb * 2**20)))
        yield Cgroup(path)
    finally:
        for _ in range(50):  # the app's processes must have left before the group can go
            try:
                path.rmdir()
                break
            except OSError:
                time.sleep(0.2)


@contextmanager
def app(source: str, cache: Path, group: Cgroup):
    """The server, moved into the cgroup before it execs (so every byte it uses is counted)."""
    port = free_port()
    env = {**os.environ, **SHARED_SETTINGS, "PNEUMOLAB_DATA": source, "PNEUMOLAB_CACHE": str(cache)}
    command = (
        f"echo $$ > {group.path / 'cgroup.procs'} && exec {sys.executable} -m streamlit run "
        f"dashboard/Home.py --server.port {port} --server.headless true "
        f"--server.address 127.0.0.1 --browser.gatherUsageStats false"
    )
    log_path = cache.parent / "streamlit.log"
    with open(log_path, "wb") as log:  # the child keeps its own copy of the descriptor
        server = subprocess.Popen(
            ["sh", "-c", command],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(log_path.read_text()[-3000:]) from None
                time.sleep(0.3)
        yield url, server.pid
    finally:
        for pid in map(int, group.read("cgroup.procs").split()):
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
        server.wait()


def run_walkers(url: str, sessions: int) -> list[str]:
    """``sessions`` browsers walking every page at once, each in a process of its own."""
    walkers = [
        subprocess.Popen(
            [sys.executable, "-m", "benchmarks.cloud_memory", "--walk", url],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(sessions)
    ]
    problems = []
    for index, walker in enumerate(walkers):
        output, _ = walker.communicate()
        for line in output.splitlines():
            print(f"  session {index + 1}: {line}", flush=True)
            if line.startswith("PROBLEM"):
                problems.append(f"session {index + 1}: {line}")
        if walker.returncode != 0:
            problems.append(f"session {index + 1}: walker exited {walker.returncode}")
    return problems


def _server_memory() -> str:
    """ ", server RSS / peak" after a page, when the parent named the server's process."""
    pid = os.environ.get(SERVER_PID)
    if not pid:
        return ""
    return f", server RSS {rss_mb(int(pid)):.0f} MB, peak {peak_rss_mb(int(pid)):.0f} MB"


def walk(url: str) -> int:
    """Every page in the talk's order, in one Chromium session."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        try:
            for info in (HOME, *TALK):
                started = time.monotonic()
                try:
                    page.goto(
                        f"{url}/{'' if info is HOME else Path(info.path).stem}",
                        timeout=PAGE_TIMEOUT_S * 1000,
                    )
                    wait_for_page(page, timeout_s=PAGE_TIMEOUT_S)
                except (TimeoutError, PlaywrightError) as error:
                    print(f"PROBLEM {info.title}: {str(error).splitlines()[0]}", flush=True)
                    continue
                shown = exception_texts(page)
                print(
                    f"{info.title}: {time.monotonic() - started:.1f} s{_server_memory()}",
                    flush=True,
                )
                if shown:
                    print(f"PROBLEM {info.title}: exception {shown[0][:300]!r}", flush=True)
                if info.path in BOTH_FRAMEWORKS_SHOWN:
                    try:
                        BOTH_FRAMEWORKS_SHOWN[info.path](page)
                    except SystemExit as reason:
                        print(f"PROBLEM {info.title}: {reason}", flush=True)
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
