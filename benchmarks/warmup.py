"""What the warm-up buys: each page's first render, cold and after a warm-up, on synthetic data.

    python -m benchmarks.warmup [--source synthetic]

First makes sure a finished ``quick`` run of each framework exists for the source (trains the
missing ones through the queue, as the Training page does). Then two fresh processes walk Home
and the talk's pages in order with Streamlit's AppTest, one session each, timing each page's
first render:

- cold: nothing loaded, as a presenter would meet the app just after it starts;
- warm: one session clicks "Warm up for the talk" on Home, then *another* session walks the
  talk. Streamlit's caches belong to the process, so the second session finds what the first
  one loaded.

Both walks start from the same disk caches (decoded images, run store), so the difference is
what the warm-up keeps in memory: the frameworks, the models, the scored splits, the maps.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

HOME = str(ROOT / "dashboard" / "Home.py")
TIMEOUT_S = 600


def ensure_quick_runs(source: str) -> dict[str, str]:
    """A finished quick run per framework on ``source``: the cached one, or one trained now."""
    from pipeline.training.config import TrainConfig
    from pipeline.training.queue import trigger, wait

    runs = {}
    for framework in ("keras", "torch"):
        started = time.perf_counter()
        outcome = trigger(TrainConfig.from_preset("quick", framework=framework, source=source))
        status = wait(outcome.run)
        if status.status != "finished":
            raise SystemExit(f"the quick {framework} run did not finish: {status.error}")
        print(
            f"{framework} quick run {outcome.run.id}: ready in {time.perf_counter() - started:.1f} s"
        )
        runs[framework] = outcome.run.id
    return runs


def walk(source: str, warm_first: bool) -> dict:
    """In this (fresh) process: optionally warm up from one session, then time each page from another."""
    import os

    from streamlit.testing.v1 import AppTest

    from dashboard.app.pages import HOME as HOME_PAGE
    from dashboard.app.pages import TALK

    os.environ["PNEUMOLAB_DATA"] = source
    result = {"pages": {}, "warmup_s": None, "errors": []}
    if warm_first:
        presenter = AppTest.from_file(HOME, default_timeout=TIMEOUT_S).run()
        started = time.perf_counter()
        presenter.button(key="warmup_home").click().run()
        result["warmup_s"] = time.perf_counter() - started
        result["steps"] = [m.value for m in presenter.markdown if m.value.startswith(":material/")]

    audience = AppTest.from_file(HOME, default_timeout=TIMEOUT_S)
    for page in (HOME_PAGE, *TALK):
        started = time.perf_counter()
        if page is HOME_PAGE:
            audience.run()
        else:
            audience.switch_page(page.path).run()
        result["pages"][page.title] = time.perf_counter() - started
        result["errors"] += [f"{page.title}: {e.value}" for e in audience.exception]
    return result


def measure_in_child(source: str, warm_first: bool) -> dict:
    child = subprocess.run(
        [sys.executable, __file__, "--source", source, "--child", "warm" if warm_first else "cold"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=2 * TIMEOUT_S,
    )
    if child.returncode != 0:
        raise SystemExit(child.stderr[-3000:])
    return json.loads(child.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--source", default="synthetic")
    parser.add_argument("--child", choices=("cold", "warm"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(walk(args.source, warm_first=args.child == "warm")))
        return

    from benchmarks.page_cache import build_disk_cache

    print(f"source {args.source}: decoded images {build_disk_cache(args.source)}")
    ensure_quick_runs(args.source)
    cold = measure_in_child(args.source, warm_first=False)
    warm = measure_in_child(args.source, warm_first=True)

    print(f"\nwarm-up (one session, Home's button): {warm['warmup_s']:.1f} s")
    for line in warm.get("steps", []):
        print("  " + line.split(" ", 1)[1].replace("**", ""))
    print(f"\n{'page (first render)':36s} {'cold':>8s} {'after warm-up':>14s}")
    for title, seconds in cold["pages"].items():
        print(f"{title:36s} {seconds:7.2f}s {warm['pages'][title]:13.2f}s")
    print(
        f"{'whole talk':36s} {sum(cold['pages'].values()):7.2f}s {sum(warm['pages'].values()):13.2f}s"
    )
    for error in cold["errors"] + warm["errors"]:
        print(f"page error: {error}")


if __name__ == "__main__":
    main()
