"""The run store from the command line.

python -m pipeline.runs list [--json]
python -m pipeline.runs show RUN_ID [--json]
python -m pipeline.runs delete RUN_ID
"""

from __future__ import annotations

import argparse
import json
import sys

from pipeline import cli
from pipeline.runs import Run, RunError, StoreError, all_runs, runs_root
from pipeline.training.queue import refresh


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.runs",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="every run, newest first")
    listing.add_argument("--json", action="store_true", help="print one JSON list")
    show = commands.add_parser("show", help="one run's status, config, data, history and result")
    show.add_argument("run_id")
    show.add_argument("--json", action="store_true", help="print one JSON object")
    delete = commands.add_parser("delete", help="remove a run that is not queued or running")
    delete.add_argument("run_id")
    args = cli.parse(parser, argv)

    try:
        refresh()  # a dead worker's run reads as failed, not as running forever
        if args.command == "list":
            rows = [run.summary() for run in all_runs()]
            print(json.dumps(rows, indent=2) if args.json else _table(rows))
        elif args.command == "show":
            run = _existing(args.run_id)
            details = {
                "status": run.status(),
                "config": run.config(),
                "data": run.data(),
                "progress": run.progress(),
                "result": run.result().to_dict() if run.result() else None,
            }
            print(json.dumps(details, indent=2) if args.json else _details(details))
        else:
            _existing(args.run_id).delete()
            print(f"deleted run {args.run_id}")
    except (RunError, StoreError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


def _existing(run_id: str) -> Run:
    run = Run(run_id)
    if not run.exists():
        raise RunError(f"no run {run_id} in {runs_root()} (see `python -m pipeline.runs list`)")
    return run


def _table(rows: list[dict]) -> str:
    if not rows:
        return f"no runs in {runs_root()}"
    lines = [
        f"{'run id':16s}  {'status':9s}  {'framework':9s}  {'epochs':>6s}  {'size':>4s}  "
        f"{'val auc':>7s}  {'val acc':>7s}  source"
    ]
    for row in rows:
        val = row["val"]
        lines.append(
            f"{row['run_id']:16s}  {row['status']:9s}  {row['framework'] or '?':9s}  "
            f"{row['epochs'] or '?':>6}  {row['img_size'] or '?':>4}  "
            f"{_number(val.get('auc')):>7s}  {_number(val.get('accuracy')):>7s}  {row['source']}"
        )
    return "\n".join(lines)


def _details(details: dict) -> str:
    status, result = details["status"], details["result"] or {}  # result as a dict here
    lines = [f"run {status['run_id']}: {status['status']}"]
    if status.get("error"):
        lines.append(f"error: {status['error']}")
    lines.append("config: " + json.dumps(details["config"], sort_keys=True))
    lines.append("data: " + json.dumps(details["data"], sort_keys=True))
    for epoch in details["progress"].get("epochs", []):
        lines.append("  " + "  ".join(f"{k} {_number(v)}" for k, v in epoch.items() if k != "time"))
    for key in ("val", "timings", "device"):
        if result.get(key):
            lines.append(f"{key}: " + json.dumps(result[key], sort_keys=True))
    return "\n".join(lines)


def _number(value) -> str:
    return f"{value:.4f}" if isinstance(value, float) else ("-" if value is None else str(value))


if __name__ == "__main__":
    sys.exit(main())
