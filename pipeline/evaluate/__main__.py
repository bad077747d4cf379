"""Score a finished run on a split and print its evaluation.

    python -m pipeline.evaluate --run RUN_ID --source synthetic --split test --json
    python -m pipeline.evaluate --run RUN_ID --compare OTHER_RUN_ID --html report.html
    python -m pipeline.evaluate --run RUN_ID --split test --stress --json   # + shift stress

The source defaults to the run's own training source, the threshold to the one chosen on
the run's validation split. ``--json`` prints one object (accuracy, auc, confusion_matrix
as [[TN, FP], [FN, TP]], per_class, threshold, bootstrap intervals, ...); the ROC, PR and
calibration curves are left out unless ``--curves`` is given.

Exit status: 0 done, 2 a run that cannot be used (unknown id, unfinished, weights missing
or damaged) or data that cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pipeline import cli
from pipeline.data import SPLITS, SourceError
from pipeline.runs import RunError


def main(argv: list[str] | None = None) -> int:
    args = cli.parse(_parser(), argv)
    from pipeline.evaluate.compare import compare
    from pipeline.evaluate.formats import CURVES, comparison_csv, to_csv, to_html, to_json
    from pipeline.evaluate.report import evaluate
    from pipeline.evaluate.scoring import score_run
    from pipeline.inference import ModelLoadError, load_run_model

    try:
        if args.ensemble:
            scored, loaded = _ensemble(args)
        else:
            loaded = load_run_model(args.run)
            scored = score_run(args.run, args.source, args.split, loaded=loaded)
        other = score_run(args.compare, scored.source, args.split) if args.compare else None
    except (ModelLoadError, RunError, SourceError, ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for warning in scored.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    evaluation = evaluate(scored, args.threshold, with_bootstrap=not args.no_bootstrap).to_dict()
    comparison = compare(scored, other).to_dict() if other is not None else None  # as printed
    if args.stress:
        evaluation.update(_stress(args, scored, loaded))
    if args.json_out:
        _write(args.json_out, to_json({**evaluation, "comparison": comparison}))
    if args.csv:
        _write(
            args.csv, to_csv(evaluation) + ("\n" + comparison_csv(comparison) if comparison else "")
        )
    if args.html:
        _write(args.html, to_html(evaluation, comparison))
    if args.json:
        shown = (
            evaluation if args.curves else {k: v for k, v in evaluation.items() if k not in CURVES}
        )
        print(json.dumps({**shown, "comparison": comparison} if comparison else shown, indent=2))
    else:
        print(_text(evaluation, comparison))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = cli.parser("pipeline.evaluate", __doc__)
    parser.add_argument("--run", required=True, help="run id (see `python -m pipeline.runs list`)")
    parser.add_argument(
        "--source", help="data source to score (default: the run's training source)"
    )
    parser.add_argument("--split", default="test", choices=SPLITS)
    parser.add_argument(
        "--threshold",
        type=_probability,
        help="call PNEUMONIA from this probability (default: the run's validation threshold)",
    )
    parser.add_argument(
        "--compare", metavar="RUN_ID", help="a second run, scored on the same images"
    )
    parser.add_argument(
        "--ensemble",
        action="store_true",
        help="score the mean probability of --run's seed group (its runs that differ only in "
        "the seed) instead of --run alone",
    )
    parser.add_argument(
        "--stress",
        action="store_true",
        help="also score the split under 12 acquisition-like shifts x 3 severities "
        "(pipeline/evaluate/stress.py; cached on disk)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--curves", action="store_true", help="include ROC, PR and calibration curves in --json"
    )
    parser.add_argument("--no-bootstrap", action="store_true", help="skip the bootstrap intervals")
    parser.add_argument("--json-out", type=Path, metavar="FILE", help="write everything as JSON")
    parser.add_argument("--csv", type=Path, metavar="FILE", help="write the metrics as CSV")
    parser.add_argument("--html", type=Path, metavar="FILE", help="write a one-page HTML report")
    return parser


def _probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"threshold must lie between 0 and 1, got {value:g}")
    return value


def _ensemble(args):
    """The seed group of ``args.run`` as one model: (Scored, members)."""
    from pipeline.evaluate.ensemble import load_members, score_ensemble
    from pipeline.evaluate.seeds import finished_seed_groups, group_of
    from pipeline.runs import Run

    Run(args.run).config()  # an impossible id fails here, as for one run
    group = group_of(args.run, finished_seed_groups())
    if group is None:
        raise RunError(f"run {args.run} is not a finished run")
    members = load_members(group.run_ids)
    return score_ensemble(group.run_ids, args.source, args.split, members), members


def _stress(args, scored, loaded) -> dict:
    from pipeline.evaluate.stress import stress_cached, stress_ensemble

    if args.ensemble:
        return stress_ensemble(loaded, scored.source, args.split).to_json()

    def progress(done: int, total: int) -> None:
        print(f"stress: {done}/{total} shifted copies scored", file=sys.stderr, flush=True)

    report = stress_cached(args.run, scored.source, args.split, loaded=loaded, progress=progress)
    return report.to_json()


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}", file=sys.stderr)


def _text(evaluation: dict, comparison: dict | None) -> str:
    (tn, fp), (fn, tp) = evaluation["confusion_matrix"]
    lines = [
        f"run {evaluation['run_id']} ({evaluation['framework']}) on {evaluation['source']}, "
        f"{evaluation['split']} split, {evaluation['n']} images",
        f"threshold {evaluation['threshold']:.4f} ({evaluation['threshold_origin']})",
        *_interval_line(evaluation.get("threshold_rule")),
        "",
        evaluation["report_text"],
        f"confusion matrix [[TN, FP], [FN, TP]]: [[{tn}, {fp}], [{fn}, {tp}]]",
        f"AUC {_f(evaluation['auc'])}  AP {_f(evaluation['average_precision'])}  "
        f"sensitivity {_f(evaluation['sensitivity'])}  specificity {_f(evaluation['specificity'])}  "
        f"Brier {_f(evaluation['brier'])}",
    ]
    if evaluation.get("stress"):
        mean, clean = evaluation["stress_mean"], evaluation["stress_clean"]
        lines.append(
            f"under shift (mean of {len(evaluation['stress'])}): AUC {_f(mean['auc'])} "
            f"accuracy {_f(mean['accuracy'])}; clean through the same path: AUC "
            f"{_f(clean['auc'])} accuracy {_f(clean['accuracy'])}"
        )
    for name, interval in (evaluation.get("bootstrap") or {}).items():
        if name != "settings":
            lines.append(
                f"  {name:12s} {_f(interval['estimate'])}  95% [{_f(interval['low'])}, {_f(interval['high'])}]"
            )
    if comparison:
        lines += ["", f"{comparison['label_a']} - {comparison['label_b']}:"]
        for row in comparison["rows"]:
            if isinstance(row.get("a"), str) or isinstance(row.get("b"), str):  # the device names
                lines.append(f"  {row['quantity']:28s} {row.get('a')} | {row.get('b')}")
                continue
            mark = {True: "  outside the 95% interval", False: "", None: ""}[row.get("outside")]
            lines.append(
                f"  {row['quantity']:28s} {_f(row.get('a')):>10s} {_f(row.get('b')):>10s} "
                f"{_f(row.get('difference')):>10s}{mark}"
            )
        lines += [f"  {note}" for note in comparison.get("notes", [])]
    return "\n".join(lines)


def _interval_line(rule: dict | None) -> list[str]:
    if not rule:
        return []
    return [
        f"thresholds optimal on validation: {rule['low']:.4f} to {rule['high']:.4f} "
        f"(rule: {rule['rule']})"
    ]


def _f(value) -> str:
    if value is None:
        return "-"
    return f"{value:.4f}" if isinstance(value, float) else str(value)


if __name__ == "__main__":
    sys.exit(main())
