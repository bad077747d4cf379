"""Does averaging a seed group help? Each finished seed group (2+ runs) in the run store, its
members' mean ± sd against the ensemble (mean probability), on one split; optionally under shift.

    python -m benchmarks.ensemble [--source S] [--split val|test] [--stress] [--json]

Figures: AUC, accuracy and NORMAL recall at each model's own threshold (the one rule), and with
--stress the stress-mean AUC and accuracy (``pipeline.evaluate.stress``; members' reports come
from the disk cache when present). Also the stress test's wall time per run, since it is the
slowest thing the Evaluation page offers.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

import torch  # noqa: E402,F401  (torch and torchvision before TensorFlow)
import torchvision  # noqa: E402,F401

from pipeline.evaluate import evaluate, score_run  # noqa: E402
from pipeline.evaluate.ensemble import load_members, score_ensemble  # noqa: E402
from pipeline.evaluate.seeds import finished_seed_groups, spread  # noqa: E402
from pipeline.evaluate.stress import stress_cached, stress_ensemble  # noqa: E402


def figures(evaluation) -> dict:
    data = evaluation if isinstance(evaluation, dict) else evaluation.to_dict()
    return {"AUC": data["auc"], "accuracy": data["accuracy"], "NORMAL recall": data["specificity"]}


def measure(group, source: str, split: str, stress: bool) -> dict:
    members = load_members(group.run_ids)
    rows = []
    for member in members:
        row = figures(
            evaluate(score_run(member.run_id, source, split, loaded=member), with_bootstrap=False)
        )
        if stress:
            started = time.perf_counter()
            report = stress_cached(member.run_id, source, split, loaded=member)
            row |= {f"stress {k}": v for k, v in report.mean.to_dict().items()}
            row["stress seconds"] = report.seconds or time.perf_counter() - started
        rows.append(row)
    ensemble = figures(
        evaluate(score_ensemble(group.run_ids, source, split, members), with_bootstrap=False)
    )
    if stress:
        report = stress_ensemble(members, source, split)
        ensemble |= {f"stress {k}": v for k, v in report.mean.to_dict().items()}
    return {
        "group": group.describe(),
        "run_ids": list(group.run_ids),
        "members": {name: spread([r[name] for r in rows]).text() for name in rows[0]},
        "ensemble": ensemble,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default="synthetic")
    parser.add_argument("--split", default="val", choices=("val", "test"))
    parser.add_argument("--stress", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    groups = [g for g in finished_seed_groups() if g.size > 1 and g.source == args.source]
    if not groups:
        print(f"no seed group of 2+ finished runs trained on {args.source}", file=sys.stderr)
        return 1
    results = [measure(group, args.source, args.split, args.stress) for group in groups]
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    for result in results:
        print(f"{result['group']} on the {args.split} split of {args.source}")
        for name, text in result["members"].items():
            found = result["ensemble"].get(name)
            print(
                f"  {name:22s} members {text:28s} ensemble {'-' if found is None else f'{found:.3f}'}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
