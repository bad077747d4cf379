"""Peak memory of the Streamlit process while the Training page follows a training.

    python -m benchmarks.training_page_memory [--source synthetic] [--preset quick] [--epochs N]
                                              [--img-size S] [--mode browser|apptest]

``browser`` (the default where Chromium and Playwright are installed): starts ``streamlit run
dashboard/Home.py`` on a free port with a fresh cache, opens the Training page in headless
Chromium, clicks "Train Keras and PyTorch" and keeps the page open, its fragment polling every
second, until both runs end. ``apptest``: the same clicks through Streamlit's AppTest in a child
process, which then is the process running the page script.

Every half second it samples the resident memory of the Streamlit process (VmRSS, and the
kernel's high-water mark VmHWM) and of the worker processes that train. Prints one line per
figure and whether the Streamlit process stayed under the 2 GB target.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.runs import RunStatus

ROOT = Path(__file__).resolve().parents[1]

TARGET_BYTES = 2 * 1024**3
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--source", default="synthetic")
    parser.add_argument("--preset", default="quick", choices=("quick", "full"))
    parser.add_argument(
        "--epochs", type=int, help="custom settings: this many epochs (else the preset's)"
    )
    parser.add_argument(
        "--img-size", type=int, help="custom settings: this image size (else the preset's)"
    )
    parser.add_argument(
        "--mode",
        choices=("browser", "apptest"),
        default="browser" if Path(CHROMIUM).exists() else "apptest",
    )
    parser.add_argument(
        "--timeout", type=float, default=1800, help="give up after this many seconds"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="pneumolab-bench-") as cache:
        env = {
            **os.environ,
            "PNEUMOLAB_CACHE": cache,
            "PNEUMOLAB_DATA": args.source,
        }
        os.environ.update(env)  # this process reads the same run store
        if args.mode == "browser":
            figures = in_browser(args, env)
        else:
            figures = in_apptest(args, env)
    report(args, figures)
    return 0 if figures["streamlit_peak"] < TARGET_BYTES else 1


# ---- the two ways to drive the page ----


def in_browser(args, env: dict) -> dict:
    from playwright.sync_api import sync_playwright

    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "dashboard/Home.py",
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: healthy(port), 60, "the Streamlit server")
        sampler = Sampler(server.pid)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(f"http://localhost:{port}/training")
            page.get_by_role("button", name="Train Keras and PyTorch").wait_for(timeout=120_000)
            sampler.sample()
            sampler.before = sampler.streamlit_now
            if args.epochs or args.img_size:
                page.get_by_text("custom", exact=True).click()
                fill(page, "Epochs", args.epochs)
                fill(page, "Image size (px)", args.img_size)
            else:
                page.get_by_text(args.preset, exact=True).click()
            page.get_by_role("button", name="Train Keras and PyTorch").click()
            started = time.monotonic()
            sampler.follow_until_done(args.timeout)
            figures = sampler.figures(time.monotonic() - started)
            browser.close()
        return figures
    finally:
        server.terminate()
        server.wait(timeout=30)


def fill(page, label: str, value: int | None) -> None:
    if value is not None:
        box = page.get_by_label(label)
        box.fill(str(value))
        box.press("Enter")
        page.wait_for_timeout(1500)  # let the rerun land before the next widget


APPTEST_CHILD = """
import sys, time
from streamlit.testing.v1 import AppTest
app = AppTest.from_file("dashboard/Home.py", default_timeout=300).run()
app.switch_page("views/training.py").run()
epochs, img_size, preset = {epochs!r}, {img_size!r}, {preset!r}
if epochs or img_size:
    app.radio(key="train_preset").set_value("custom").run()
    if epochs:
        app.number_input(key="train_epochs").set_value(epochs)
    if img_size:
        app.number_input(key="train_img_size").set_value(img_size)
else:
    app.radio(key="train_preset").set_value(preset)
app.run()
print("ready", flush=True)
app.button(key="train_start").click().run()
while len(app.success) + len(app.error) + len(app.warning) < 2 or app.get("progress"):
    time.sleep(1.0)
    app.run()
print("done", flush=True)
"""


def in_apptest(args, env: dict) -> dict:
    code = APPTEST_CHILD.format(epochs=args.epochs, img_size=args.img_size, preset=args.preset)
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout.readline().strip() == "ready", "the page did not load"
    sampler = Sampler(child.pid)
    sampler.sample()
    sampler.before = sampler.streamlit_now
    started = time.monotonic()
    sampler.follow_until_done(args.timeout)
    figures = sampler.figures(time.monotonic() - started)
    child.wait(timeout=120)
    return figures


# ---- measuring ----


class Sampler:
    """Resident memory of the Streamlit process and of the training workers, every half second."""

    def __init__(self, streamlit_pid: int):
        self.pid = streamlit_pid
        self.before = self.streamlit_now = self.streamlit_peak = 0
        self.worker_peaks: dict[int, int] = {}
        self.runs: dict[str, RunStatus] = {}

    def sample(self) -> None:
        from pipeline.runs import all_runs

        memory = proc_memory(self.pid)
        self.streamlit_now = memory["VmRSS"]
        self.streamlit_peak = max(self.streamlit_peak, memory["VmHWM"])
        for run in all_runs():
            status = run.status()
            self.runs[run.id] = status
            pid = status.pid
            if status.status == "running" and pid:
                worker = proc_memory(pid)
                if worker:
                    self.worker_peaks[pid] = max(self.worker_peaks.get(pid, 0), worker["VmHWM"])

    def follow_until_done(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sample()
            states = [s.status for s in self.runs.values()]
            if len(states) == 2 and all(s in ("finished", "failed", "cancelled") for s in states):
                return
            time.sleep(0.5)
        raise TimeoutError(f"the trainings did not end within {timeout:.0f} s: {self.runs}")

    def figures(self, seconds: float) -> dict:
        return {
            "streamlit_before": self.before,
            "streamlit_peak": self.streamlit_peak,
            "streamlit_end": self.streamlit_now,
            "worker_peaks": list(self.worker_peaks.values()),
            "seconds": seconds,
            "runs": {i: s.status for i, s in self.runs.items()},
        }


def proc_memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of ``pid`` in bytes; empty once the process is gone."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except (FileNotFoundError, ProcessLookupError):
        return {}
    fields = dict(line.split(":", 1) for line in lines if line.startswith(("VmRSS", "VmHWM")))
    return {key: int(value.split()[0]) * 1024 for key, value in fields.items()}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://localhost:{port}/_stcore/health", timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not come up within {timeout:.0f} s")
        time.sleep(0.5)


def report(args, figures: dict) -> None:
    mb = 1024**2
    settings = (
        f"preset {args.preset}"
        + (f", epochs {args.epochs}" if args.epochs else "")
        + (f", img_size {args.img_size}" if args.img_size else "")
    )
    print(
        f"mode: {args.mode}; source: {args.source}; {settings}; both frameworks, one after the other"
    )
    print(f"runs: {json.dumps(figures['runs'])} in {figures['seconds']:.0f} s")
    print(f"Streamlit process RSS before starting: {figures['streamlit_before'] / mb:,.0f} MB")
    print(
        f"Streamlit process peak RSS (VmHWM) while training: {figures['streamlit_peak'] / mb:,.0f} MB "
        f"({'under' if figures['streamlit_peak'] < TARGET_BYTES else 'OVER'} the 2 GB target)"
    )
    print(f"Streamlit process RSS at the end: {figures['streamlit_end'] / mb:,.0f} MB")
    for peak in figures["worker_peaks"]:
        print(f"training worker peak RSS (VmHWM, sampled): {peak / mb:,.0f} MB")


if __name__ == "__main__":
    sys.exit(main())
