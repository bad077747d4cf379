"""Ablation of the robust recipe and of the framework gap, at a reduced scale that fits 2 cores.

Each variant is the talk's settings with one change (or the recipe with one thing taken out);
each trains once per framework and seed as an ordinary cached run, so a rerun only scores.

    nice -n 10 python -m benchmarks.generalisation_ablation --source ../shared/data/chest_xray \
        --img-size 96 --epochs 6 --seeds 0,1 --train
    python -m benchmarks.generalisation_ablation --source ../shared/data/chest_xray \
        --img-size 96 --epochs 6 --seeds 0,1 --score --out docs/results/generalisation_ablation.json

The ablation is one grid of ``pipeline.sweep`` (this file only declares it): ``--train`` trains
what is missing (queued at once, trained by the run queue in the store of ``$PNEUMOLAB_CACHE``);
``--score`` reads each finished run's validation metrics and speed and scores it under the shift
stress on the validation split. ``--frameworks`` and ``--variants`` choose the part to run (by
default all of it: both frameworks, every variant, ``longer`` included), and the same grid
runs as ``python -m pipeline.sweep`` does. ``benchmarks/framework_gap.py`` summarises the
fill/zoom/framework rows.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pipeline.augment.spec import AugmentSpec
from pipeline.data import canonical_source
from pipeline.sweep import Grid, Variant, score_grid, train_grid
from pipeline.sweep.grid import checked
from pipeline.sweep.table import SweepRow
from pipeline.sweep.table import markdown as table_markdown

TALK_AUGMENT = AugmentSpec.preset("talk")

# name -> (what it tests, the changes to the talk preset)
VARIANTS = {
    "talk": ("the talk's settings; both frameworks draw and fill alike (edge fill)", {}),
    "black_fill": (
        "fill moved-in pixels with black (what torchvision's RandomAffine did)",
        {"augment": TALK_AUGMENT.replace(fill_mode="constant", fill_constant=0)},
    ),
    "shared_zoom": (
        "one zoom factor for both axes (torchvision's draw)",
        {"augment": TALK_AUGMENT.replace(zoom_axes="shared")},
    ),
    "intensity": (
        "acquisition-like intensity: brightness 0.8-1.2, contrast 0.75-1.33, gamma 0.75-1.33",
        {"augment": AugmentSpec.preset("robust")},
    ),
    "label_smoothing": ("label smoothing 0.1", {"label_smoothing": 0.1}),
    "last_epoch": (
        "keep the last epoch of the cosine schedule, no early stopping on val AUC",
        {"checkpoint": "last", "early_stopping_patience": 0},
    ),
    "mixup": ("mixup, alpha 0.2", {"mixup_alpha": 0.2}),
    "ema": (
        "weight averaging (EMA, decay 0.99) of the last epochs: compare with last_epoch",
        {"checkpoint": "last", "early_stopping_patience": 0, "ema_decay": 0.99},
    ),
    "longer": (
        "a longer schedule: twice the epochs, last epoch kept: compare with last_epoch",
        {"checkpoint": "last", "early_stopping_patience": 0, "epochs_factor": 2},
    ),
}


# the variant each one is paired with, seed by seed (the talk's settings unless listed)
BASELINE = {"ema": "last_epoch", "longer": "last_epoch"}


def grid(args) -> Grid:
    """The ablation as a sweep grid: TrainConfig()'s settings (the talk's as one config for
    both frameworks, as before the `talk` preset resolved per framework: the same run ids) at
    the reduced scale, one variant per change."""
    variants = []
    for name in args.variants:
        changes = dict(VARIANTS[name][1])
        if "epochs_factor" in changes:
            changes["epochs"] = args.epochs * changes.pop("epochs_factor")
        variants.append(Variant(name, None, changes, VARIANTS[name][0], baseline_of(name)))
    return checked(
        Grid(
            canonical_source(args.source),
            tuple(args.frameworks),
            tuple(args.seeds),
            tuple(variants),
            {"img_size": args.img_size, "epochs": args.epochs},
            "talk",
        )
    )


def baseline_of(variant: str) -> str:
    return BASELINE.get(variant, "talk")


def markdown(report: dict) -> str:
    """The scored ablation as docs/robust_recipe.md's table (pipeline.sweep's)."""
    rows = [SweepRow.from_dict(row) for row in report["runs"]]
    return table_markdown(rows, list(report["variants"]), baseline_of)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source", required=True)
    parser.add_argument("--img-size", type=int, default=96)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--seeds", type=lambda v: [int(s) for s in v.split(",")], default=[0, 1])
    parser.add_argument("--frameworks", type=lambda v: v.split(","), default=["torch", "keras"])
    parser.add_argument("--variants", type=lambda v: v.split(","), default=list(VARIANTS))
    parser.add_argument("--train", action="store_true")
    parser.add_argument("--score", action="store_true")
    parser.add_argument("--no-stress", action="store_true")
    parser.add_argument("--out", type=Path)
    parser.add_argument(
        "--table", type=Path, help="print a scored ablation JSON as a markdown table, and stop"
    )
    args = parser.parse_args(argv)
    if args.table:
        print(markdown(json.loads(args.table.read_text())))
        return 0
    ablation = grid(args)
    if args.train:
        train_grid(ablation)
    if args.score:
        scored = score_grid(ablation, stress=not args.no_stress)
        report = {
            "scale": {"img_size": args.img_size, "epochs": args.epochs, "seeds": args.seeds},
            "variants": {name: VARIANTS[name][0] for name in args.variants},
            "runs": [row.to_dict() for row in scored.rows],
            "summary": [entry.to_dict() for entry in scored.summary],
        }
        text = json.dumps(report, indent=2)
        if args.out:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(text + "\n")
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
