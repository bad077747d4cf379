"""The conclusion's numbers from the command line: the framework table and the processing pair.

    python -m pipeline.talk table --source ../shared/data/chest_xray --json
    python -m pipeline.talk pair --source ../shared/data/chest_xray --framework torch --preset quick --json
    python -m pipeline.talk pair --source synthetic --framework keras --preset quick --epochs 2 --img-size 48
    python -m pipeline.talk claims --source ../shared/data/chest_xray --json

``table`` reads the newest finished run of each framework on the source (it trains nothing;
it says which run to start when one is missing). ``pair`` queues the two runs of the
processing pair - with the talk's Transform + Sampler (its PyTorch pipeline's augmentation,
Normalize and WeightedRandomSampler), and with neither - waits for them (a run that finished
before is reused, never trained twice) and prints their comparison on the test split.
``claims`` compares, over seeds, the two pipelines as the talk gives them (``--preset talk``),
the same processing in both (``--preset full``) and the framework gap of the ablation
(``pipeline.talk.claims``); it trains nothing and names the commands for missing seeds.

Exit status: 0 done, 1 a run failed or was cancelled (or, for ``table``, a framework has no
finished run), 2 impossible settings or unreadable data.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from pipeline import cli
from pipeline.data import DEFAULT_SOURCE, SourceError, canonical_source

if TYPE_CHECKING:  # imported where they run: the CLI starts without the frameworks
    from pipeline.talk.conclusion import TableReport
    from pipeline.talk.processing_pair import PairResult


def main(argv: list[str] | None = None) -> int:
    args = cli.parse(_parser(), argv)
    from pipeline.inference import ModelLoadError
    from pipeline.training.config import ConfigError

    try:
        return {"table": table, "pair": pair, "slides": slides, "claims": claims}[args.command](
            args
        )
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
    print(json.dumps(report.to_dict(), indent=2) if args.json else _table_text(report))
    return 1 if report.missing else 0


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
            "status": statuses[side].status,
            "error": statuses[side].error,
            "val": run.result().val.to_dict() if run.result() else None,
            "timings": run.result().timings.to_dict() if run.result() else None,
        }
        for side, run in zip(("with", "without"), found.runs)
    }
    comparison = compare_pair(found) if found.finished else None
    if args.json:
        printed = comparison.to_dict() if comparison else None
        print(json.dumps({"runs": runs, "comparison": printed}, indent=2))
    else:
        print(_pair_text(runs, comparison))
    return 0 if comparison else 1


def claims(args) -> int:
    """The Conclusion's three comparisons over seeds (``pipeline.talk.claims``)."""
    from pipeline.talk.claims import claims as compute
    from pipeline.training.queue import refresh

    refresh()  # a dead worker's run reads as failed, not as running
    found = compute(canonical_source(args.source))
    if args.json:
        print(json.dumps(found.to_dict(), indent=2))
    else:
        lines = [f"source: {found.source}", found.rule]
        for claim in found.claims:
            lines += ["", f"{claim.title} ({claim.status})", *claim.sentences]
            lines += [f"  train: {s.command}" for s in claim.sides if s.command]
        print("\n".join(lines))
    return 0


def slides(args) -> int:
    """What the talk's live slides compute, on the source: the same functions as the pages."""
    from pipeline.data import load_all
    from pipeline.talk import (
        architecture,
        dlbench,
        gradients,
        mlp,
        perceptron,
        pipelines,
        popularity,
        software_table,
        talk_report,
    )

    traces = {}
    for name in perceptron.DATASETS:
        points = perceptron.dataset(name)
        trace = perceptron.learn(points)
        traces[name] = {
            "points": len(points.y),
            "updates": trace.updates,
            "converged_at_epoch": trace.converged_at,
            "wrong_at_the_end": trace.errors_of(points, -1),
        }
    profiles = {a: gradients.gradient_profile(a).gradient_norm for a in gradients.ACTIVATIONS}
    scan, arrays = load_all(canonical_source(args.source), 128)
    normalised = pipelines.normalise(arrays.subset("train").images)
    stages = pipelines.torch_stages(scan, arrays)
    report = {
        "perceptron": traces,
        "gradient_norm_layer_1": {a: float(norms[0]) for a, norms in profiles.items()},
        "gradient_norm_last_layer": {a: float(norms[-1]) for a, norms in profiles.items()},
        "normalisation": {
            "before": list(normalised.shape_before),
            "after": list(normalised.shape_after),
            "range_after": list(normalised.range_after),
        },
        "pytorch_stages": {
            "nested": stages.nested,
            "flat": stages.flat,
            "dataset_length": stages.dataset_length,
        },
        "software_table_cells_with_sources": len(software_table.source_rows()),
        "arxiv_2017_leader": popularity.leader(popularity.ARXIV_2017).name,
        "mlp_xor": _mlp_xor(perceptron, mlp),
        # both models built (torch first), or read from the cache of an earlier build
        "architecture": {
            name: built.to_dict()
            for name, built in architecture.summary(architecture.architecture()).items()
        },
        "talk_report": talk_report.TALK.to_dict(),
        "dlbench_mnist_cpu_minutes": {r.framework: round(r.minutes, 1) for r in dlbench.MNIST_CPU},
    }
    print(json.dumps(report, indent=2) if args.json else _slides_text(report))
    return 0


def _mlp_xor(perceptron, mlp) -> dict:
    """The MLP slide's numbers on the perceptron's own XOR points."""
    points = perceptron.dataset("xor")
    trace = mlp.learn(points)
    return {
        "points": len(points.y),
        "hidden": trace.hidden,
        "epochs": trace.epochs,
        "solved_at_epoch": trace.solved_at,
        "wrong_at_the_end": trace.wrong_at_the_end,
        "perceptron_wrong_at_the_end": perceptron.learn(points).errors_of(points, -1),
    }


def _slides_text(report: dict) -> str:
    lines = [
        f"perceptron {name}: {t['updates']} updates, "
        + (
            f"converged at epoch {t['converged_at_epoch']}"
            if t["converged_at_epoch"]
            else f"{t['wrong_at_the_end']} of {t['points']} still wrong"
        )
        for name, t in report["perceptron"].items()
    ]
    lines += [
        f"gradient at layer 1: {a} {v:.2e} (last layer {report['gradient_norm_last_layer'][a]:.2e})"
        for a, v in report["gradient_norm_layer_1"].items()
    ]
    n = report["normalisation"]
    lines.append(f"normalisation: {tuple(n['before'])} uint8 -> {tuple(n['after'])} float32")
    lines.append(f"PyTorch Dataset: {report['pytorch_stages']['dataset_length']} items")
    m = report["mlp_xor"]
    lines.append(
        f"MLP on XOR ({m['hidden']} hidden units, {m['epochs']} epochs): {m['wrong_at_the_end']} of "
        f"{m['points']} wrong (the perceptron: {m['perceptron_wrong_at_the_end']})"
    )
    for framework, counts in report["architecture"].items():
        lines.append(
            f"{framework}: {counts['conv']} conv, {counts['batchnorm']} batchnorm, {counts['maxpool']} "
            f"maxpool, {counts['dropout']} dropout, {counts['parameters']:,} weights"
        )
    lines.append(f"the talk's report: accuracy {report['talk_report']['accuracy']}")
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = cli.parser("pipeline.talk", __doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    table_command = commands.add_parser(
        "table", help="Keras vs PyTorch from the newest finished runs"
    )
    pair_command = commands.add_parser(
        "pair", help="train (or reuse) the processing pair and compare it"
    )
    slides_command = commands.add_parser(
        "slides",
        help="the live slides' numbers: perceptron, MLP, gradients, pipelines, models, sources",
    )
    claims_command = commands.add_parser(
        "claims", help="the two pipelines as given, the same processing, the framework gap"
    )
    for command in (table_command, pair_command, slides_command, claims_command):
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


def _table_text(report: TableReport) -> str:
    lines = [f"source: {report.source}"]
    for missing in report.missing:
        under_way = missing.under_way
        lines.append(
            f"no finished {missing.framework} run: "
            + (
                f"run {under_way.run_id} is {under_way.status}"
                if under_way
                else f"start one with `{missing.command}`"
            )
        )
    if report.rows:
        lines.append(f"{'':38s} {'Keras':>12s} {'PyTorch':>12s}")
        for row in report.rows:
            keras, torch = row.values["keras"], row.values["torch"]
            lines.append(f"{row.quantity:38s} {keras:>12.{row.digits}f} {torch:>12.{row.digits}f}")
        lines += report.sentences
    return "\n".join(lines)


def _pair_text(runs: dict, comparison: PairResult | None) -> str:
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
            table = comparison.at(threshold)
            lines.append(f"\nat {label} ({table.images} test images), with - without:")
            for row in table.rows:
                if row.low is not None:
                    lines.append(
                        f"  {row.quantity:12s} {row.a:.4f} {row.b:.4f} {row.difference:+.4f}  "
                        f"95% [{row.low:+.4f}, {row.high:+.4f}]"
                    )
        lines += ["", *comparison.conclusion]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
