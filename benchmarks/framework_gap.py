"""The Keras vs PyTorch gap, explained by ablation: what each pipeline difference is worth.

Reads the scored ablation (``benchmarks/generalisation_ablation.py --score``) and writes, per
framework, the effect of each difference between the pipelines (paired by seed: the same seed
with and without the change), and the gap between the frameworks at identical settings, each
with its spread over seeds and a verdict: a difference counts only when it exceeds the
seed-to-seed spread (Conclusion page: "within noise" otherwise).

    python -m benchmarks.framework_gap --ablation docs/results/generalisation_ablation.json \
        --out docs/results/framework_gap.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pipeline.sweep.table import SweepRow, paired, seed_noise, spread, verdict

METRICS = ("val_auc", "val_accuracy", "stress_auc", "stress_accuracy")
# the differences the two pipelines had, as ablation variants of the talk's settings
DIFFERENCES = {
    "black_fill": "constant black fill instead of ImageDataGenerator's edge repeat ('nearest')",
    "shared_zoom": "one zoom factor for both axes instead of one per axis",
}


def framework_gap(rows: list[SweepRow], variant: str, metric: str) -> list[float]:
    """keras - torch per seed, at identical settings (``variant``)."""
    values = {
        (r.framework, r.seed): r.figure(metric)
        for r in rows
        if r.variant == variant and r.figure(metric) is not None
    }
    seeds = sorted(s for f, s in values if f == "keras" and ("torch", s) in values)
    return [values[("keras", s)] - values[("torch", s)] for s in seeds]


def report(ablation: dict) -> dict:
    rows = [SweepRow.from_dict(row) for row in ablation["runs"]]
    out = {"scale": ablation["scale"], "differences": {}, "frameworks_identical": {}}
    for variant, meaning in DIFFERENCES.items():
        entry = {"meaning": meaning, "effect_vs_talk": {}}
        for framework in ("torch", "keras"):
            for metric in METRICS:
                diffs = paired(rows, framework, variant, "talk", metric)
                if diffs:
                    effect = spread(diffs)
                    judged = verdict(effect, seed_noise(rows, framework, metric))
                    entry["effect_vs_talk"].setdefault(framework, {})[metric] = {
                        **effect.to_dict(),
                        "verdict": judged,
                    }
        out["differences"][variant] = entry
    for variant in ("talk", "black_fill"):
        for metric in METRICS:
            gaps = framework_gap(rows, variant, metric)
            if gaps:
                effect = spread(gaps)
                noise = (
                    max((seed_noise(rows, f, metric) or 0.0) for f in ("torch", "keras")) or None
                )
                out["frameworks_identical"].setdefault(variant, {})[
                    f"keras_minus_torch_{metric}"
                ] = {**effect.to_dict(), "verdict": verdict(effect, noise)}
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--ablation", type=Path, default=Path("docs/results/generalisation_ablation.json")
    )
    parser.add_argument("--out", type=Path, default=Path("docs/results/framework_gap.json"))
    parser.add_argument(
        "--final-summary",
        type=Path,
        help="benchmarks/final_runs_summary.py output: adds the full recipe's seed groups",
    )
    args = parser.parse_args(argv)
    out = report(json.loads(args.ablation.read_text()))
    if args.final_summary and args.final_summary.exists():
        out["full_recipe_seed_groups"] = json.loads(args.final_summary.read_text())["per_framework"]
    text = json.dumps(out, indent=2)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
