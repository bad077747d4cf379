"""What scoring whole splits costs a long-lived process, by batch size and heap setting.

    python -m benchmarks.scoring_memory --source ../shared/data/chest_xray --run ID [--run ID ...]

For each setting (batches of 128 or ``pipeline.inference.BATCH_SIZE``; glibc's default heap or
``pipeline.heap.return_freed_memory``), a fresh process loads the runs through ONNX Runtime, as
a shared deployment does, scores each run's val and test splits (as ``score_run`` does), and prints its peak (VmHWM) and
what it still holds (VmRSS) after. docs/cloud.md has the figures.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys


def child(source: str, runs: list[str], batch: int, heap_fix: bool) -> dict:
    from pipeline.data import load_split
    from pipeline.heap import return_freed_memory
    from pipeline.inference import load_run_model, predict_proba

    if heap_fix:
        return_freed_memory()
    started = memory()
    for run_id in runs:
        loaded = load_run_model(run_id, backend="onnx")
        for split in ("val", "test"):  # what pipeline.evaluate.scoring.score_run does, batch aside
            images = load_split(source, split, loaded.img_size).images
            predict_proba(loaded, images, batch_size=batch)
    return {"before_mb": started["VmRSS"], **memory()}


def memory() -> dict:
    with open("/proc/self/status") as status:
        return {
            line.split(":")[0]: round(int(line.split()[1]) / 1024)
            for line in status
            if line.startswith(("VmRSS", "VmHWM"))
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", required=True)
    parser.add_argument("--run", action="append", required=True, help="a finished run (repeat)")
    parser.add_argument("--child", help=argparse.SUPPRESS)  # "BATCH,HEAP_FIX"
    args = parser.parse_args()
    if args.child:
        batch, heap_fix = args.child.split(",")
        print(json.dumps(child(args.source, args.run, int(batch), heap_fix == "1")))
        return
    from pipeline.inference import BATCH_SIZE

    print("batch  heap fix  RSS before  peak (VmHWM)  RSS after")
    for batch, heap_fix in ((128, 0), (BATCH_SIZE, 0), (BATCH_SIZE, 1)):
        command = [sys.executable, "-m", "benchmarks.scoring_memory", "--source", args.source]
        command += [part for run in args.run for part in ("--run", run)]
        done = subprocess.run(
            [*command, "--child", f"{batch},{heap_fix}"], capture_output=True, text=True
        )
        if done.returncode != 0:
            sys.exit(done.stderr.strip().splitlines()[-1])
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"{batch:5d}  {'yes' if heap_fix else 'no':8s}  {figures['before_mb']:7d} MB"
            f"  {figures['VmHWM']:9d} MB  {figures['VmRSS']:6d} MB"
        )


if __name__ == "__main__":
    main()
