"""Wall time of the same tiny seed group through each executor: what Ray costs and gives here.

    python -m benchmarks.executor_wall                      # local, ray (shared store), ray (bundle)
    python -m benchmarks.executor_wall --seeds 0,1,2,3 --json
    RAY_ADDRESS=127.0.0.1:6379 RAY_AUTH_MODE=token python -m benchmarks.executor_wall --modes ray

Each mode runs ``python -m pipeline.train --seeds ... --executor E --json`` in a fresh cache of
its own (so every mode generates the synthetic images and trains every run itself) and reports
the command's wall time, the runs' own training seconds (result.json) and where each ran. With
no ``RAY_ADDRESS`` the ray modes start a local Ray instance (all this machine's CPUs, one per
run), so their runs train side by side where the local executor trains one at a time. The load
average is printed beside the figures: other work on the same cores changes every figure, so
compare figures taken together.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--source", "synthetic", "--preset", "quick", "--img-size", "32", "--epochs", "1"]
MODES = {  # name: executor and the extra environment
    "local": ("local", {}),
    "ray": ("ray", {"PNEUMOLAB_RAY_BUNDLE": "0"}),
    "ray-bundle": ("ray", {"PNEUMOLAB_RAY_BUNDLE": "1"}),
}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--framework", default="torch", choices=("torch", "keras"))
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--modes", default=",".join(MODES), help="of " + ", ".join(MODES))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = [measure(mode, args.framework, args.seeds) for mode in args.modes.split(",")]
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    for row in figures:
        where = sorted({run["node"] or "this machine" for run in row["runs"]})
        print(
            f"{row['mode']:10s}  wall {row['wall_s']:6.1f} s  training {row['training_s']:6.1f} s "
            f"(sum of runs)  load {row['load_before']:.1f} -> {row['load_after']:.1f}  "
            f"{row['statuses']}  on {', '.join(where)}"
        )
    return 0


def measure(mode: str, framework: str, seeds: str) -> dict:
    """One mode's wall time and its runs, from ``pipeline.train --json``, in a fresh cache."""
    executor, extra = MODES[mode]
    with tempfile.TemporaryDirectory(prefix="pneumolab-executor-wall-") as cache:
        environment = {**os.environ, **extra, "PNEUMOLAB_CACHE": cache}
        environment["PNEUMOLAB_SHIPPED_RUNS"] = "0"
        command = [sys.executable, "-m", "pipeline.train", "--framework", framework, *TINY]
        load_before, started = os.getloadavg()[0], time.perf_counter()
        done = subprocess.run(
            [*command, "--seeds", seeds, "--executor", executor, "--json"],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - started
    if not done.stdout.strip():
        raise SystemExit(f"{mode}: pipeline.train printed nothing; stderr:\n{done.stderr}")
    runs = json.loads(done.stdout)["runs"]
    return {
        "mode": mode,
        "wall_s": round(wall, 2),
        "training_s": round(sum((r["timings"] or {}).get("total_seconds", 0) for r in runs), 2),
        "statuses": ",".join(r["status"] for r in runs),
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
        "runs": [
            {
                "seed": r["seed"],
                "status": r["status"],
                "executor": r["executor"],
                "node": (r["node"] or {}).get("id", "")[:12] or None,
                "training_s": (r["timings"] or {}).get("total_seconds"),
            }
            for r in runs
        ],
    }


if __name__ == "__main__":
    sys.exit(main())
