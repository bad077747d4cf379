"""The conclusion's numbers from the command line: the framework table and the processing pair.

    python -m pipeline.talk table --source ../shared/data/chest_xray --json
    python -m pipeline.talk pair --source ../shared/data/chest_xray --framework torch --preset quick --json
    python -m pipeline.talk pair --source synthetic --framework keras --preset quick --epochs 2 --img-size 48

``table`` reads the newest finished run of each framework on the source (it trains nothing;
it says which run to start when one is missing). ``pair`` queues the two runs of the
processing pair - with the talk's augmentation and class weights, and with neither - waits for
them (a run that finished before is reused, never trained twice) and prints their comparison
on the test split.

Exit status: 0 done, 1 a run failed or was cancelled (or, for ``table``, a framework has no
finished run), 2 impossible settings or unreadable data.
"""

from __future__ import annotations

import argparse
import json
import sys

from pipeline import cli
from pipeline.data import DEFAULT_SOURCE, SourceError, canonical_source


def main(argv: list[str] | None = None) -> int:
    args = cli.parse(_parser(), argv)
    from pipeline.inference import ModelLoadError
    from pipeline.training.config import ConfigError

    try:
        return table(args) if args.command == "table" else pair(args)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (SourceError, OSError, ModelLoadError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def table(args) -> int:
    from pipeline.talk.conclusion import table_report
    from pipeline.training.queue import refresh

    refresh()  # a dead worker's run reads as failed, not as running
    report = table_report(canonical_source(args.source))
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(_table_text(report))
    return 1 if report["missing"] else 0


def pair(args) -> int:
    from pipeline.talk.processing_pair import Pair, compare_pair, start_pair
    from pipeline.training.config import TrainConfig
    from pipeline.training.queue import wait

    overrides = {
        name: getattr(args, name)
        for name in ("epochs", "img_size", "width", "seed")
        if getattr(args, name) is not None
    }
    base = TrainConfig.from_preset(
        args.preset, framework=args.framework, source=canonical_source(args.source), **overrides
    )
    outcomes = start_pair(base)
    for outcome in outcomes:
        if not args.json:
            print(f"run {outcome.run.id}: {outcome.how}", file=sys.stderr)
    found = Pair(*(outcome.run for outcome in outcomes))
    statuses = {side: wait(run) for side, run in zip(("with", "without"), found.runs)}
    runs = {
        side: {
            "run_id": run.id,
            "status": statuses[side]["status"],
            "error": statuses[side].get("error"),
            "val": run.result().val.to_dict() if run.result() else None,
            "timings": run.result().timings.to_dict() if run.result() else None,
        }
        for side, run in zip(("with", "without"), found.runs)
    }
    comparison = compare_pair(found) if found.finished else None
    if args.json:
        print(json.dumps({"runs": runs, "comparison": comparison}, indent=2))
    else:
        print(_pair_text(runs, comparison))
    return 0 if comparison else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.talk",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    table_command = commands.add_parser(
        "table", help="Keras vs PyTorch from the newest finished runs"
    )
    pair_command = commands.add_parser(
        "pair", help="train (or reuse) the processing pair and compare it"
    )
    for command in (table_command, pair_command):
        command.add_argument(
            "--source", default=DEFAULT_SOURCE, help="data source (default: %(default)s)"
        )
        command.add_argument("--json", action="store_true", help="print one JSON object")
    pair_command.add_argument("--framework", required=True, choices=("keras", "torch"))
    pair_command.add_argument("--preset", default="quick", choices=("quick", "full"))
    pair_command.add_argument("--epochs", type=int)
    pair_command.add_argument("--img-size", type=int)
    pair_command.add_argument("--width", type=float, help="multiplies every layer's width")
    pair_command.add_argument("--seed", type=int)
    return parser


def _table_text(report: dict) -> str:
    lines = [f"source: {report['source']}"]
    for missing in report["missing"]:
        under_way = missing["under_way"]
        lines.append(
            f"no finished {missing['framework']} run: "
            + (
                f"run {under_way['run_id']} is {under_way['status']}"
                if under_way
                else f"start one with `{missing['command']}`"
            )
        )
    if report["rows"]:
        lines.append(f"{'':38s} {'Keras':>12s} {'PyTorch':>12s}")
        for row in report["rows"]:
            lines.append(
                f"{row['quantity']:38s} {row['keras']:>12.{row['digits']}f} {row['torch']:>12.{row['digits']}f}"
            )
        lines += report["sentences"]
    return "\n".join(lines)


def _pair_text(runs: dict, comparison: dict | None) -> str:
    lines = [
        f"{side} processing: run {run['run_id']} {run['status']}"
        + (f" ({run['error']})" if run["error"] else "")
        for side, run in runs.items()
    ]
    if comparison:
        for threshold, label in (
            ("validation", "each run's validation threshold"),
            ("fixed", "threshold 0.5"),
        ):
            table = comparison[f"at_{threshold}_threshold"]
            lines.append(f"\nat {label} ({table['images']} test images), with - without:")
            for row in table["rows"]:
                if row["low"] is not None:
                    lines.append(
                        f"  {row['quantity']:12s} {row['a']:.4f} {row['b']:.4f} {row['difference']:+.4f}  "
                        f"95% [{row['low']:+.4f}, {row['high']:+.4f}]"
                    )
        lines += ["", *comparison["conclusion"]]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
