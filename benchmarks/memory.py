"""Peak memory of the Streamlit process while a browser walks every page, both frameworks loaded.

    python -m benchmarks.memory [--source synthetic] [--cache DIR] [--target-mb 2500]

Starts ``streamlit run dashboard/Home.py`` on the given source (the synthetic demo by default) with
a fresh cache directory (or ``--cache DIR``, kept, so a second run skips the training), makes sure
a finished quick Keras run and a finished quick PyTorch run exist there (``python -m
pipeline.train --preset quick``, before the server starts, so the worker's memory is not the
server's), then opens every page of the navigation in headless Chromium, in the talk's order:
Evaluation scores one run and compares it with the other framework's, Predictions shows both
frameworks' Grad-CAM, so both models and both frameworks end up loaded in the one process.

Samples the server's resident memory (VmRSS) every 0.2 s and reads its high-water mark (VmHWM)
after each page. Prints a line per page and ``peak_rss_mb N`` last. Exit status 1 when the peak
is over the target: Streamlit Community Cloud gives an app about 2.7 GB.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.browser import (
    exception_texts,
    launch_chromium,
    peak_rss_mb,
    rss_mb,
    running_app,
    wait_for_page,
)
from dashboard.app.pages import HOME, TALK

ROOT = Path(__file__).resolve().parents[1]

FRAMEWORKS = ("torch", "keras")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--source", default="synthetic", help="the data source the app opens on")
    parser.add_argument(
        "--cache", type=Path, help="cache directory to use and keep (default: a fresh one)"
    )
    parser.add_argument("--target-mb", type=float, default=2500)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="pneumolab-memory-") as scratch:
        cache = args.cache or Path(scratch)
        cache.mkdir(parents=True, exist_ok=True)
        for framework in FRAMEWORKS:
            ensure_quick_run(framework, args.source, cache)
        peak = walk_pages(args.source, cache)
    print(f"peak_rss_mb {peak:.0f}")
    return 0 if peak < args.target_mb else 1


def ensure_quick_run(framework: str, source: str, cache: Path) -> None:
    """A finished quick run of ``framework``: returned at once when the cache has it, else trained."""
    started = time.monotonic()
    command = [
        sys.executable,
        "-m",
        "pipeline.train",
        "--framework",
        framework,
        "--source",
        source,
        "--preset",
        "quick",
        "--json",
    ]
    done = subprocess.run(
        command,
        cwd=ROOT,
        env={**os.environ, "PNEUMOLAB_CACHE": str(cache)},
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        sys.exit(f"{' '.join(command[1:])} failed:\n{done.stderr[-2000:]}{done.stdout[-2000:]}")
    print(f"quick {framework} run ready in {time.monotonic() - started:.0f} s", flush=True)


def walk_pages(source: str, cache: Path) -> float:
    """Open each page in turn; return the server's peak RSS in MB."""
    from playwright.sync_api import sync_playwright

    with running_app({"PNEUMOLAB_DATA": source}, cache) as url, sync_playwright() as playwright:
        sampler = RssSampler(url.pid)
        print(f"server started: rss {rss_mb(url.pid):.0f} MB", flush=True)
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        try:
            for info in (HOME, *TALK):
                started = time.monotonic()
                page.goto(f"{url}/{'' if info is HOME else Path(info.path).stem}")
                wait_for_page(page)
                seconds = time.monotonic() - started
                problems = exception_texts(page)
                print(
                    f"page {info.title!r}: {seconds:5.1f} s, rss {rss_mb(url.pid):6.0f} MB, "
                    f"peak {peak_rss_mb(url.pid):6.0f} MB"
                    + (f", EXCEPTION {problems[0][:200]!r}" if problems else ""),
                    flush=True,
                )
                if info.path in BOTH_FRAMEWORKS_SHOWN:
                    BOTH_FRAMEWORKS_SHOWN[info.path](page)
        finally:
            browser.close()
            sampler.stop()
        peak = max(peak_rss_mb(url.pid), sampler.highest)
        print(
            f"largest sampled rss {sampler.highest:.0f} MB, high-water mark {peak_rss_mb(url.pid):.0f} MB"
        )
        return peak


def evaluation_compares(page) -> None:
    """Evaluation scored one run and the other framework's run it is compared with."""
    if page.get_by_role("combobox", name="Compare with").count() != 1:
        sys.exit(
            "the Evaluation page compared no second run: the figure would not cover both models"
        )


def predictions_show_both(page) -> None:
    maps = page.get_by_test_id("stImage").filter(has_text="Grad-CAM").count()
    if maps != 2:
        sys.exit(
            f"the Predictions page showed {maps} Grad-CAM maps, not one per framework: "
            "the figure would not cover both models"
        )


# pages whose default view loads both frameworks' models, and how to see that it did
BOTH_FRAMEWORKS_SHOWN = {
    "views/evaluation.py": evaluation_compares,
    "views/predictions.py": predictions_show_both,
}


class RssSampler:
    """The largest VmRSS seen, sampled in a background thread."""

    def __init__(self, pid: int, interval_s: float = 0.2):
        self.pid, self.interval_s, self.highest = pid, interval_s, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.highest = max(self.highest, rss_mb(self.pid))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


if __name__ == "__main__":
    sys.exit(main())
