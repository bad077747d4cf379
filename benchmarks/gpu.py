"""Both frameworks on an NVIDIA GPU, next to the same training on the CPU (prints JSON).

    python -m benchmarks.gpu                       # real data if present, else synthetic
    python -m benchmarks.gpu --epochs 3 --size 150 --source ../shared/data/chest_xray

On the GPU each framework trains ``--epochs`` whole epochs with the engine (mixed precision,
XLA for Keras); seconds per epoch leave out the first epoch, which pays for start-up and
compilation. On the CPU the same engine is timed over ``--cpu-steps`` steps (a whole epoch
at 150 px takes minutes there) and its seconds per epoch are worked out from that rate.
Each figure comes from a fresh process. Without an NVIDIA GPU the script says so and exits
with status 0: the test suite never needs one.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REAL_DATA = ROOT.parent / "shared" / "data" / "chest_xray"
CPU_WARMUP_STEPS = 3


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--frameworks", default="torch,keras")
    parser.add_argument(
        "--source", default=str(REAL_DATA) if (REAL_DATA / "train").is_dir() else "synthetic"
    )
    parser.add_argument("--size", type=int, default=150)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--cpu-steps", type=int, default=20)
    parser.add_argument("--child", help=argparse.SUPPRESS)  # "framework:gpu" or "framework:cpu"
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args)))
        return 0

    from pipeline.training.devices import nvidia_gpus

    gpus = nvidia_gpus()
    if not gpus:
        print(
            json.dumps(
                {
                    "gpu": None,
                    "message": "No NVIDIA GPU found (nvidia-smi lists none): nothing to "
                    "measure here. Run this on a machine with one.",
                }
            )
        )
        return 0
    figures = {
        "gpus": gpus,
        "source": args.source,
        "size": args.size,
        "batch_size": args.batch_size,
    }
    for framework in args.frameworks.split(","):
        figures[framework] = {
            "gpu": run_child(args, f"{framework}:gpu"),
            "cpu": run_child(args, f"{framework}:cpu"),
        }
        gpu, cpu = figures[framework]["gpu"], figures[framework]["cpu"]
        if "images_per_s" in gpu and "images_per_s" in cpu:
            figures[framework]["gpu_speedup"] = round(gpu["images_per_s"] / cpu["images_per_s"], 1)
    print(json.dumps(figures, indent=2))
    return 0


def run_child(args, what: str) -> dict:
    command = [
        sys.executable,
        __file__,
        "--child",
        what,
        "--source",
        args.source,
        "--size",
        str(args.size),
        "--batch-size",
        str(args.batch_size),
        "--epochs",
        str(args.epochs),
        "--cpu-steps",
        str(args.cpu_steps),
    ]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=dict(os.environ))
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        return {"error": lines[-1] if lines else f"exit status {done.returncode}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def child(args) -> dict:
    from pipeline.training import Cancelled, train
    from pipeline.training.config import TrainConfig

    framework, where = args.child.split(":")
    config = TrainConfig(
        framework=framework,
        source=args.source,
        img_size=args.size,
        batch_size=args.batch_size,
        epochs=args.epochs if where == "gpu" else 1,
        device=where,
        mixed_precision=True,
        early_stopping_patience=0,
    )
    with tempfile.TemporaryDirectory() as workdir:
        if where == "gpu":
            outcome = train(config, Path(workdir), lambda event: None, lambda: False)
            later = outcome.history[1:] or outcome.history
            return {
                "device": outcome.device.name,
                "mixed_precision": outcome.mixed_precision,
                "seconds_per_epoch": round(sum(e.seconds for e in later) / len(later), 2),
                "first_epoch_seconds": outcome.history[0].seconds,
                "images_per_s": round(sum(e.images_per_s for e in later) / len(later), 1),
                "val_auc": round(outcome.val.auc, 4),
                "epochs": len(outcome.history),
            }
        return _cpu_rate(config, Path(workdir), args, train, Cancelled)


def _cpu_rate(config, workdir: Path, args, train, Cancelled) -> dict:
    """images/s over ``--cpu-steps`` steps of the engine, stopped like a cancel."""
    from pipeline.data import load_split
    from pipeline.training.devices import cpu_name

    starts = []

    def should_stop() -> bool:
        starts.append(time.perf_counter())
        return len(starts) > CPU_WARMUP_STEPS + args.cpu_steps + 1

    try:
        train(config, workdir, lambda event: None, should_stop)
    except Cancelled:
        pass
    intervals = [b - a for a, b in itertools.pairwise(starts)][-args.cpu_steps :]
    rate = args.batch_size * len(intervals) / sum(intervals)
    images = (len(load_split(args.source, "train", args.size)) // args.batch_size) * args.batch_size
    return {
        "device": cpu_name(),
        "images_per_s": round(rate, 1),
        "seconds_per_epoch": round(images / rate, 1),
        "measured_steps": len(intervals),
    }


if __name__ == "__main__":
    sys.exit(main())
