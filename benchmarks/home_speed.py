"""How fast Home renders the first time, measured with Streamlit's AppTest.

    python -m benchmarks.home_speed [--source synthetic] [--processes 3]

The issue's budget: Home's first AppTest run takes under 2 s (the demo data's arrays already
cached on disk; that is what `make run` leaves behind after its first start). Each
measurement is a fresh Python process, so Streamlit's in-memory caches start empty and no
framework import from an earlier page can hide in the figure. The child also reports
whether torch or tensorflow got imported: Home must import neither.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.page_cache import build_disk_cache

ROOT = Path(__file__).resolve().parents[1]
BUDGET_S = 2.0


def measure() -> dict:
    """Run in a child process: import AppTest, then time Home's first run."""
    started = time.perf_counter()
    from streamlit.testing.v1 import AppTest

    imported = time.perf_counter() - started
    app = AppTest.from_file(str(ROOT / "dashboard" / "Home.py"), default_timeout=60)
    started = time.perf_counter()
    app.run()
    first = time.perf_counter() - started
    started = time.perf_counter()
    app.run()
    second = time.perf_counter() - started
    problems = [e.value for e in app.exception] + [e.value for e in app.error]
    if problems:
        raise SystemExit(f"Home did not render: {problems}")
    return {
        "import_s": imported,
        "first_s": first,
        "second_s": second,
        "metrics": {m.label: m.value for m in app.metric},
        "frameworks": sorted(m for m in ("torch", "tensorflow", "keras") if m in sys.modules),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--source", default="synthetic", help="data source string (default: the demo data)"
    )
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure()))
        return 0

    print(f"source: {args.source}")
    print(f"decoded-array cache on disk: {build_disk_cache(args.source)}")
    env = {**os.environ, "PNEUMOLAB_DATA": args.source}
    runs = []
    for _ in range(args.processes):
        child = subprocess.run(
            [sys.executable, __file__, "--child"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if child.returncode:
            print(child.stderr[-2000:], file=sys.stderr)
            return 1
        runs.append(json.loads(child.stdout.strip().splitlines()[-1]))
    print(f"metrics shown: {runs[0]['metrics']}")
    print(f"frameworks imported: {runs[0]['frameworks'] or 'none'}")
    for key, label in [
        ("import_s", "import streamlit.testing"),
        ("first_s", f"Home, first run (budget {BUDGET_S:g} s)"),
        ("second_s", "Home, second run"),
    ]:
        print(f"{label:35s} " + "  ".join(f"{run[key]:6.3f}" for run in runs) + " s")
    worst = max(run["first_s"] for run in runs)
    print(
        f"{'within' if worst < BUDGET_S else 'OVER'} budget: first run {worst:.2f} s (< {BUDGET_S:g})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
