"""Train and score a grid of presets and settings over frameworks and seeds: the ablation table.

    python -m pipeline.sweep --source ../shared/data/chest_xray --framework torch,keras \
        --preset full --vary img_size=160,224 --vary epochs=16 --seeds 0,1,2 --out sweeps/size
    python -m pipeline.sweep --grid grid.json --executor ray --json

Each cell is an ordinary cached run (``pipeline.training.queue.trigger``): a cell trained
before, by a sweep, the app or ``pipeline.train``, is not trained again. Every ``--vary``
combination of every preset is a variant; the first is the baseline (``--baseline`` names
another). The table gives per variant and framework the validation and shift-stress figures
(mean ± seed sd) and each variant's paired delta against the baseline, judged by the noise
rule (pipeline/sweep/table.py). ``--out DIR`` writes sweep.json and sweep.md there.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pipeline import cli
from pipeline.sweep import (
    EXECUTORS,
    GridError,
    grid_from_flags,
    grid_from_json,
    score_grid,
    train_grid,
)
from pipeline.sweep.grid import parse_assignment, parse_setting


def main(argv: list[str] | None = None) -> int:
    args = cli.parse(_parser(), argv)
    try:
        grid = _grid(args)
        problems = [] if args.no_train else train_grid(grid, args.executor)
        report = score_grid(grid, stress=not args.no_stress)
    except (GridError, OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "sweep.json").write_text(json.dumps(report.to_dict(), indent=2) + "\n")
        (args.out / "sweep.md").write_text(report.markdown() + "\n")
    print(json.dumps(report.to_dict(), indent=2) if args.json else report.markdown())
    for cell in report.missing:
        print(f"not in the table (no finished run): {cell}", file=sys.stderr)
    return 1 if problems else 0


def _grid(args):
    if args.grid:
        return grid_from_json(args.grid.read_text(), args.source)
    if not args.source:
        raise GridError("give --source (a folder, 'synthetic' or 'medmnist:128'), or --grid FILE")
    presets = tuple(None if p == "defaults" else p for p in args.preset.split(","))
    return grid_from_flags(
        args.source,
        tuple(args.framework.split(",")),
        presets,
        args.vary or [],
        tuple(args.seeds),
        dict(args.set or []),
        args.baseline,
    )


def _parser() -> argparse.ArgumentParser:
    parser = cli.parser("pipeline.sweep", __doc__)
    parser.add_argument("--source", help="data source (with --grid: replaces the file's)")
    parser.add_argument("--grid", type=Path, metavar="FILE", help="a JSON grid file")
    parser.add_argument("--framework", default="torch", help="torch, keras or torch,keras")
    parser.add_argument(
        "--preset",
        default="quick",
        help="preset(s), comma-separated; 'defaults' is TrainConfig()'s settings",
    )
    parser.add_argument(
        "--vary",
        type=cli.argument_type(parse_setting),
        action="append",
        metavar="SETTING=V1,V2,...",
    )
    parser.add_argument(
        "--set", type=cli.argument_type(parse_assignment), action="append", metavar="SETTING=VALUE"
    )
    parser.add_argument("--seeds", type=cli.seed_list, default=[0], metavar="S1,S2,...")
    parser.add_argument("--baseline", help="the variant the others are paired with")
    parser.add_argument("--executor", choices=EXECUTORS, help="default: $PNEUMOLAB_EXECUTOR")
    parser.add_argument("--no-train", action="store_true", help="score what has finished only")
    parser.add_argument("--no-stress", action="store_true", help="validation figures only")
    parser.add_argument("--out", type=Path, metavar="DIR", help="write sweep.json and sweep.md")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    return parser


if __name__ == "__main__":
    sys.exit(main())
