"""Per framework and seed: val AUC, stress-mean AUC and accuracy, threshold, speed, wall time.

Reads finished runs from the run store (``$PNEUMOLAB_CACHE``) and the stress reports written by
``python -m pipeline.evaluate --run ID --split val --stress --json`` (one file per run), and
prints one table plus mean and seed-to-seed spread per framework.

    PNEUMOLAB_CACHE=~/.cache/pneumolab python -m benchmarks.final_runs_summary \
        --runs final-torch.json final-keras.json \
        --stress-dir . --out final-summary.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path


def rows(run_ids: list[str], stress_dir: Path) -> list[dict]:
    from pipeline.runs import Run

    out = []
    for run_id in run_ids:
        run = Run(run_id)
        config, result = run.config(), run.result()
        if not result:
            out.append({"run_id": run_id, "status": run.state})
            continue
        val, timings = result.val, result.timings
        row = {
            "run_id": run_id,
            "status": run.state,
            "framework": config.framework,
            "seed": config.seed,
            "val_auc": val.auc,
            "val_accuracy_at_0.5": val.accuracy,
            "threshold": val.threshold,
            "threshold_rule": val.threshold_rule,
            "threshold_interval": val.threshold_interval,
            "val_accuracy_at_threshold": val.accuracy_at_threshold,
            "val_normal_recall_at_threshold": val.specificity,
            "val_pneumonia_recall_at_threshold": val.sensitivity,
            "images_per_s": timings.images_per_s,
            "wall_seconds": timings.total_seconds,
        }
        stress = stress_dir / f"final-stress-{run_id}.json"
        if stress.exists() and stress.stat().st_size:
            mean = json.loads(stress.read_text())["stress_mean"]
            row["stress_auc"], row["stress_accuracy"] = mean["auc"], mean["accuracy"]
        out.append(row)
    return out


def spread(rows: list[dict]) -> dict:
    table = {}
    for framework in ("torch", "keras"):
        members = [r for r in rows if r.get("framework") == framework]
        entry = {"seeds": [r["seed"] for r in members]}
        for key in (
            "val_auc",
            "val_accuracy_at_threshold",
            "val_normal_recall_at_threshold",
            "stress_auc",
            "stress_accuracy",
            "threshold",
            "images_per_s",
        ):
            values = [r[key] for r in members if r.get(key) is not None]
            if values:
                entry[key] = {
                    "mean": statistics.mean(values),
                    "std": statistics.stdev(values) if len(values) > 1 else None,
                }
        table[framework] = entry
    return table


def run_ids(paths: list[Path], extra: list[str]) -> list[str]:
    ids = list(extra)
    for path in paths:
        if path.exists() and path.stat().st_size:
            ids += [run["run_id"] for run in json.loads(path.read_text())["runs"]]
    return list(dict.fromkeys(ids))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=Path, nargs="*", default=[], help="--seeds --json outputs")
    parser.add_argument("--run-id", action="append", default=[], help="a run id (repeatable)")
    parser.add_argument("--stress-dir", type=Path, default=Path("."))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    found = rows(run_ids(args.runs, args.run_id), args.stress_dir)
    report = {"runs": found, "per_framework": spread(found)}
    text = json.dumps(report, indent=2)
    if args.out:
        args.out.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
