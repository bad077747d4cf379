"""Wall time of one 12-run seed-and-setting grid: the local executor against simulated Ray clusters.

    python -m benchmarks.sweep_wall                        # local, then 2 and 4 simulated nodes
    python -m benchmarks.sweep_wall --modes local,ray-2 --json
    python -m benchmarks.sweep_wall --full-size            # the quick preset as it is (slow here)

The grid is ``python -m pipeline.sweep`` on the synthetic source, preset ``quick``, two settings
(``img_size`` 32 and 48) times six seeds, one epoch (``--full-size`` keeps quick's own size and
epochs). Each mode runs it in a fresh cache of its own. A simulated cluster is
``ray.cluster_utils.Cluster`` (Ray's own multi-node test helper): N raylets on this machine, one
CPU declared per node, so N runs train at once however many cores the machine has. Each node's
CPU share is the machine's cores over N: on 2 cores, 4 nodes get half a core each. So one
machine shows the executor's overhead and that runs spread over nodes; it cannot show the
speed-up of real machines, which is bounded by the slowest run once there are 12 workers.

The plain local run (one ``pipeline.train`` of the grid's first cell in a fresh cache) gives the
per-run overhead of the sweep: (sweep wall - sum of the runs' own training seconds) / 12 against
(plain wall - its training seconds). The load average is printed beside each figure.
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
SEEDS = "0,1,2,3,4,5"
GRID = ["--source", "synthetic", "--framework", "torch", "--preset", "quick"]
TINY = ["--set", "epochs=1"]
NODES = {"local": 0, "ray-2": 2, "ray-4": 4}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--modes", default=",".join(NODES), help="of " + ", ".join(NODES))
    parser.add_argument("--full-size", action="store_true", help="quick's own size and epochs")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    sizes = "64,96" if args.full_size else "32,48"
    grid = [*GRID, *([] if args.full_size else TINY), "--vary", f"img_size={sizes}"]
    figures = {"plain": plain_run(grid, sizes.split(",")[0])}
    for mode in args.modes.split(","):
        figures[mode] = sweep(grid, NODES[mode])
    report(figures, args.json)
    return 0


def plain_run(grid: list[str], size: str) -> dict:
    """One ``pipeline.train`` of the grid's first cell, in a fresh cache."""
    settings = ["--epochs", "1"] if "--set" in grid else []
    command = ["pipeline.train", *grid[:6], "--img-size", size, *settings, "--json"]
    with tempfile.TemporaryDirectory(prefix="pneumolab-sweep-wall-") as cache:
        done, wall, load = _timed(command, cache, {})
    training = (json.loads(done.stdout).get("timings") or {}).get("total_seconds", 0.0)
    return {"wall_s": wall, "training_s": training, "runs": 1, "load": load}


def sweep(grid: list[str], nodes: int) -> dict:
    """The 12-run sweep on the local executor (``nodes`` 0) or on a simulated cluster."""
    command = ["pipeline.sweep", *grid, "--seeds", SEEDS, "--no-stress", "--json"]
    with tempfile.TemporaryDirectory(prefix="pneumolab-sweep-wall-") as cache:
        if not nodes:
            done, wall, load = _timed(command, cache, {})
            return _figures(done, wall, load, "this machine, one run at a time", cache)
        from ray.cluster_utils import Cluster

        cluster = Cluster(
            initialize_head=True,
            head_node_args={"num_cpus": 1, "include_dashboard": False, "object_store_memory": 80e6},
        )
        try:
            for _ in range(nodes - 1):
                cluster.add_node(num_cpus=1, object_store_memory=80e6)
            extra = {"RAY_ADDRESS": cluster.address}
            done, wall, load = _timed([*command, "--executor", "ray"], cache, extra)
        finally:
            cluster.shutdown()
        share = f"{nodes} nodes, {os.cpu_count() / nodes:.2f} of a core each"
        return _figures(done, wall, load, share, cache)


def _timed(command: list[str], cache: str, extra: dict):
    environment = {**os.environ, **extra, "PNEUMOLAB_CACHE": cache}
    environment |= {"PNEUMOLAB_SHIPPED_RUNS": "0", "OMP_NUM_THREADS": "1"}
    before, started = os.getloadavg()[0], time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", *command], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    wall = round(time.perf_counter() - started, 1)
    if done.returncode != 0 or not done.stdout.strip():
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done, wall, f"{before:.1f} -> {os.getloadavg()[0]:.1f}"


def _figures(done, wall: float, load: str, nodes: str, cache: str) -> dict:
    """Wall time, the runs' own training seconds and the nodes they ran on (their status)."""
    rows = json.loads(done.stdout)["runs"]
    where = set()
    for row in rows:
        status = json.loads((Path(cache) / "runs" / row["run_id"] / "status.json").read_text())
        where.add((status.get("node") or {}).get("id", "this machine")[:8])
    training = sum(row.get("total_seconds") or 0.0 for row in rows)
    return {
        "wall_s": wall,
        "training_s": round(training, 1),
        "runs": len(rows),
        "nodes": nodes,
        "nodes_used": len(where),
        "load": load,
    }


def report(figures: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(figures, indent=2))
        return
    plain = figures["plain"]
    print(
        f"plain run  wall {plain['wall_s']:6.1f} s, training {plain['training_s']:.1f} s: "
        f"{plain['wall_s'] - plain['training_s']:.1f} s around the training"
    )
    for mode, row in figures.items():
        if mode == "plain":
            continue
        around = (row["wall_s"] - row["training_s"]) / max(row["runs"], 1)
        print(
            f"{mode:8s}  wall {row['wall_s']:6.1f} s for {row['runs']} runs on "
            f"{row['nodes_used']} node(s) ({row['nodes']}); training {row['training_s']:.1f} s "
            f"in all; {around:+.1f} s a run around the training; load {row['load']}"
        )


if __name__ == "__main__":
    sys.exit(main())
