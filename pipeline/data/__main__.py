"""Command line for the data layer.

python -m pipeline.data summary --source SRC [--size 128] [--json]
python -m pipeline.data export-csv --source SRC --out FILE
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pipeline import cli

from . import DEFAULT_SOURCE, SourceError, export_csv, load_all
from .summary import SUMMARY_SIZE, DataSummary, summarize


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser("pipeline.data", __doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    summary = commands.add_parser(
        "summary", help="counts per split and class, patients, skipped files"
    )
    summary.add_argument("--source", default=DEFAULT_SOURCE)
    summary.add_argument("--size", type=int, default=SUMMARY_SIZE, help="decode size (pixels)")
    summary.add_argument("--json", action="store_true", help="print one JSON object")
    export = commands.add_parser(
        "export-csv", help="write the talk's flat CSV (filename,label,split,patient)"
    )
    export.add_argument("--source", default=DEFAULT_SOURCE)
    export.add_argument("--out", required=True, type=Path)
    args = cli.parse(parser, argv)
    try:
        if args.command == "summary":
            report = summarize(args.source, args.size)
            print(json.dumps(report.to_dict(), indent=2) if args.json else _human(report))
        else:
            scan, arrays = load_all(args.source, SUMMARY_SIZE)
            if len(arrays) == 0:
                raise SourceError(
                    f"nothing to export: none of the {len(scan.records)} images in "
                    f"{args.source} could be read (see `summary` for why)"
                )
            export_csv(scan, args.out, arrays.failed)
            print(
                f"wrote {len(arrays)} rows to {args.out} ({len(arrays.failed)} undecodable images left out)"
            )
    except (SourceError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"error: {error.strerror or error}: {error.filename or ''}", file=sys.stderr)
        return 2
    return 0


def _human(report: DataSummary) -> str:
    lines = [f"source: {report.source} ({report.kind}), {report.images} images"]
    for split, counts in report.splits.items():
        lines.append(
            f"  {split:5s}  "
            + "  ".join(f"{c} {n:5d}" for c, n in counts.items())
            + f"  patients {report.patients[split]}"
        )
    lines.append(f"patient overlap between splits: {report.patient_overlap}")
    lines += [f"note: {note}" for note in report.notes]
    lines.append(f"skipped: {len(report.skipped)}")
    lines += [f"  {s.path}: {s.reason}" for s in report.skipped[:20]]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
