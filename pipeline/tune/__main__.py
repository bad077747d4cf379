"""Search the augmentation spec with Optuna; print the trials, write the best spec.

    python -m pipeline.tune --source ../shared/data/chest_xray --framework both \
        --preset quick --seeds 0,1 --trials 12 --out best_augment.json

Each trial trains one cached run per framework and seed and is scored by the shift-stress
mean AUC on the patient-grouped validation split (docs/augment_search.md). The study is kept
under ``$PNEUMOLAB_CACHE/tune``: the same command after an interruption resumes it, and
``--trials`` is the total the study should reach. ``--out`` writes the best spec as a spec file
(``python -m pipeline.train --augment FILE``, the Augmentation page's Load). ``--json`` prints
``{"trials": [...], "best_augment": {...}}``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from pipeline import cli
from pipeline.frameworks import FRAMEWORKS
from pipeline.sweep.grid import parse_assignment
from pipeline.sweep.runs import EXECUTORS
from pipeline.tune.study import SearchError, SearchSettings


def main(argv: list[str] | None = None) -> int:
    args = cli.parse(_parser(), argv)
    try:
        settings = _settings(args)
        lock = _lock(args, settings.name)
    except SearchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    from pipeline.tune.search import run_search

    print(f"search {settings.name}", file=sys.stderr, flush=True)
    try:
        study = run_search(settings, args.trials, args.executor, log=_log)
    except KeyboardInterrupt:
        print("interrupted: run the same command again to resume", file=sys.stderr)
        return 130
    finally:
        lock.close()
    return _report(study, args)


def _settings(args) -> SearchSettings:
    from pipeline.tune.study import read_settings, save_settings, search_settings

    if args.name:
        return read_settings(args.name)
    if not args.source:
        raise SearchError("give --source (a folder, 'synthetic' or 'medmnist:128') or --name")
    frameworks = FRAMEWORKS if args.framework == "both" else (args.framework,)
    overrides = dict(args.set or [])
    return save_settings(
        search_settings(args.source, frameworks, args.preset, tuple(args.seeds), overrides)
    )


def _lock(args, name: str):
    """The search's lock: inherited from ``start_search`` (``--lock-fd``), or taken here."""
    from pipeline.tune.study import holder, take_lock, write_pid

    if args.lock_fd is not None:
        return os.fdopen(args.lock_fd, "a+")
    lock = take_lock(name)
    if lock is None:
        raise SearchError(
            f"search {name} is running already (pid {holder(name)}): wait for it to end, or "
            "stop it with pipeline.tune.cancel_search, then run this again to resume"
        )
    write_pid(lock, os.getpid())
    return lock


def _report(study, args) -> int:
    from pipeline.augment.spec import AugmentSpec
    from pipeline.tune.search import trial_record

    trials = [t for t in (trial_record(f, running=False) for f in study.get_trials()) if t]
    complete = [t for t in trials if t.state == "complete" and t.objective is not None]
    best = max(complete, key=lambda t: t.objective, default=None)
    rows = [_row(trial) for trial in trials]
    if args.json:
        print(json.dumps({"trials": rows, "best_augment": best.augment if best else None}))
    else:
        _print_table(rows, best)
    if args.out and best is None:
        print("error: no trial completed, so there is no best spec to write", file=sys.stderr)
        return 1
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(AugmentSpec.from_dict(best.augment).to_json() + "\n")
        print(f"best spec (trial {best.number}) written to {args.out}", file=sys.stderr)
    return 0


def _row(trial) -> dict:
    return {
        "number": trial.number,
        "run_id": trial.run_ids[0] if trial.run_ids else None,
        "run_ids": list(trial.run_ids),
        "augment": trial.augment,
        "objective": trial.objective,
        "spread": trial.spread,
        "cost_s": trial.cost_s,
        "state": trial.state,
    }


def _print_table(rows: list[dict], best) -> None:
    print(f"{'trial':>5}  {'state':9}  {'stress AUC':>10}  {'seed sd':>8}  {'cost s':>7}  runs")
    for row in rows:
        objective = "-" if row["objective"] is None else f"{row['objective']:.4f}"
        spread = "-" if row["spread"] is None else f"{row['spread']:.4f}"
        print(
            f"{row['number']:>5}  {row['state']:9}  {objective:>10}  {spread:>8}  "
            f"{row['cost_s'] or 0:>7.0f}  {','.join(row['run_ids'])}"
        )
    if best is not None:
        print(f"best: trial {best.number}, stress-mean AUC {best.objective:.4f}")
        print(json.dumps(best.augment, sort_keys=True))


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _parser() -> argparse.ArgumentParser:
    parser = cli.parser("pipeline.tune", __doc__)
    parser.add_argument("--source", help="data source: a folder, 'synthetic' or 'medmnist:128'")
    parser.add_argument("--framework", choices=(*FRAMEWORKS, "both"), default="torch")
    parser.add_argument("--preset", default="quick", help="training preset (default: quick)")
    parser.add_argument("--trials", type=int, default=12, help="trials the study should hold")
    parser.add_argument("--seeds", type=cli.seed_list, default=[0], metavar="S1,S2,...")
    parser.add_argument("--executor", choices=EXECUTORS, help="default: $PNEUMOLAB_EXECUTOR")
    parser.add_argument(
        "--set",
        type=cli.argument_type(parse_assignment),
        action="append",
        metavar="SETTING=VALUE",
        help="replace a training setting of the preset (e.g. --set epochs=1), repeatable",
    )
    parser.add_argument("--json", action="store_true", help="print the trials as one JSON object")
    parser.add_argument("--out", type=Path, metavar="FILE", help="write the best spec here")
    parser.add_argument("--name", help="resume the stored search of this name")
    parser.add_argument("--lock-fd", type=int, help=argparse.SUPPRESS)  # from start_search
    return parser


if __name__ == "__main__":
    sys.exit(main())
