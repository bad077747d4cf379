"""The run store from the command line.

    python -m pipeline.runs list [--source SRC] [--json]   # --source: runs trained on SRC's
                                                            # training images, matched by content
    python -m pipeline.runs show RUN_ID [--json]
    python -m pipeline.runs delete RUN_ID
    python -m pipeline.runs export RUN_ID --out run.zip   # take a run away (pipeline.export)
    python -m pipeline.runs import run.zip               # bring one back, verified
    python -m pipeline.runs onnx RUN_ID --out model.onnx # the model as ONNX, checked

``list`` first adds the runs that ship with the repository (``pipeline.shipped``) to an empty
or older store, verified like any import.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pipeline import cli
from pipeline.runs import Run, RunError, RunSummary, StoreError, all_runs, runs_root, trained_on
from pipeline.shipped import install_shipped
from pipeline.training.queue import refresh


def main(argv: list[str] | None = None) -> int:
    args = cli.parse(_parser(), argv)
    if args.command in ("export", "import", "onnx"):
        return _transfer(args)

    try:
        refresh()  # a dead worker's run reads as failed, not as running forever
        if args.command == "list":
            install_shipped()
            runs = all_runs() if args.source is None else _trained_on(args.source)
            rows = [run.summary() for run in runs]
            as_json = [row.to_dict() for row in rows]
            print(json.dumps(as_json, indent=2) if args.json else _table(rows))
        elif args.command == "show":
            run = _existing(args.run_id)
            details = {
                "status": run.status().to_dict(),
                "config": run.config().to_dict(),
                "data": run.data().to_dict(),
                "progress": run.progress().to_dict(),
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


def _parser() -> argparse.ArgumentParser:
    parser = cli.parser("pipeline.runs", __doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="every run, newest first")
    listing.add_argument("--json", action="store_true", help="print one JSON list")
    listing.add_argument(
        "--source",
        help="only runs trained on this source's training images (matched by their content, "
        "wherever the files sit)",
    )
    show = commands.add_parser("show", help="one run's status, config, data, history and result")
    show.add_argument("run_id")
    show.add_argument("--json", action="store_true", help="print one JSON object")
    delete = commands.add_parser("delete", help="remove a run that is not queued or running")
    delete.add_argument("run_id")
    export = commands.add_parser("export", help="write a finished run to a zip")
    export.add_argument("run_id")
    export.add_argument("--out", required=True, help="the zip to write")
    take_in = commands.add_parser("import", help="add an exported run to the store, verified")
    take_in.add_argument("zip")
    onnx = commands.add_parser("onnx", help="write a finished run's model as ONNX")
    onnx.add_argument("run_id")
    onnx.add_argument("--out", required=True, help="the .onnx file to write")
    return parser


def _transfer(args) -> int:
    from pipeline.export import ExportError, export_run, import_run, run_onnx
    from pipeline.inference import ModelLoadError
    from pipeline.settings import atomic_write_bytes

    try:
        if args.command == "export":
            _existing(args.run_id)
            print(f"wrote {export_run(args.run_id, Path(args.out))}")
        elif args.command == "import":
            run = import_run(Path(args.zip))
            print(f"imported run {run.id} ({run.state})")
        else:
            _existing(args.run_id)
            atomic_write_bytes(Path(args.out), run_onnx(args.run_id))
            print(f"wrote {args.out}")
    except (RunError, StoreError, ExportError, ModelLoadError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


def _trained_on(spec: str) -> list[Run]:
    """Every run (any state) trained on ``spec``'s training images; RunError for a bad source."""
    from pipeline.data import SourceError, canonical_source
    from pipeline.data.identity import dataset_identity

    try:
        dataset_identity(canonical_source(spec))
    except (SourceError, OSError) as error:
        raise RunError(f"source {spec!r} cannot be read: {error}") from None
    return [run for run in all_runs() if trained_on(run, canonical_source(spec))]


def _existing(run_id: str) -> Run:
    run = Run(run_id)
    if not run.exists():
        raise RunError(f"no run {run_id} in {runs_root()} (see `python -m pipeline.runs list`)")
    return run


def _table(rows: list[RunSummary]) -> str:
    if not rows:
        return f"no runs in {runs_root()}"
    lines = [
        f"{'run id':16s}  {'status':9s}  {'framework':9s}  {'epochs':>6s}  {'size':>4s}  "
        f"{'val auc':>7s}  {'val acc':>7s}  source"
    ]
    for row in rows:
        auc, accuracy = (row.val.auc, row.val.accuracy) if row.val else (None, None)
        lines.append(
            f"{row.run_id:16s}  {row.status:9s}  {row.framework or '?':9s}  "
            f"{row.epochs or '?':>6}  {row.img_size or '?':>4}  "
            f"{_number(auc):>7s}  {_number(accuracy):>7s}  {row.source}"
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
