"""Finished runs that ship with the repository, so a fresh deployment has results on its first visit.

    python -m pipeline.shipped train [--real ../shared/data/chest_xray]   # retrain them (one line)
    python -m pipeline.shipped list                                        # what ships, verified

``shipped_runs/`` holds exported runs (``pipeline.export`` zips, named ``<run_id>.zip``): both
frameworks on the synthetic demo data and, when ``--real`` names the Kermany folder, both on it,
all on the ``quick`` preset at half width (a few MB in all). ``install_shipped`` adds the missing
ones to the run store, each verified against its manifest and weights sha256 like any import,
and marks them ``origin: shipped``; the app calls it once per process (``dashboard/Home.py``),
``python -m pipeline.runs list`` before it lists. The store stays where it is
(``$PNEUMOLAB_CACHE/runs``); a visitor's own runs are ``origin: trained`` and never replace them.

After a change to ``models/`` the run ids of new trainings change (the model code version is
part of them), so a shipped run is never mistaken for a newer training; it still loads as long
as its layer shapes are those of the current model (the weights are checked by shape on load).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import warnings
from pathlib import Path

SHIPPED_DIR = Path(__file__).resolve().parent.parent / "shipped_runs"
SWITCH = "PNEUMOLAB_SHIPPED_RUNS"  # "0": leave them out (the test suite's stores start empty)
PRESET, WIDTH = "quick", 0.5
DEMO_SOURCE = "synthetic"


def shipped_zips() -> list[Path]:
    return sorted(SHIPPED_DIR.glob("*.zip")) if SHIPPED_DIR.is_dir() else []


def install_shipped() -> list[str]:
    """Import every shipped run missing from the store; returns the ids imported now.

    A zip that fails its checks is skipped with a warning: one damaged file must not break
    every listing of the store."""
    from pipeline.export import ExportError, import_run
    from pipeline.runs import StoreError, runs_root

    if os.environ.get(SWITCH, "1").strip().lower() in ("0", "false", "no", "off"):
        return []
    root, added = runs_root(), []
    for path in shipped_zips():
        if (root / path.stem / "status.json").exists():
            continue
        try:
            added.append(import_run(path, origin="shipped").id)
        except (ExportError, StoreError, OSError, ValueError) as error:
            warnings.warn(f"shipped run {path.name} not installed: {error}", stacklevel=2)
    return added


def train_shipped(real: str | None) -> list[Path]:
    """Train the shipped runs in a private store and export them to ``shipped_runs/``."""
    os.environ["PNEUMOLAB_CACHE"] = tempfile.mkdtemp(prefix="pneumolab-shipped-")
    from pipeline.export import export_run
    from pipeline.training.config import TrainConfig
    from pipeline.training.queue import trigger, wait

    sources = [DEMO_SOURCE] + ([str(Path(real).resolve())] if real else [])
    SHIPPED_DIR.mkdir(exist_ok=True)
    for old in shipped_zips():
        old.unlink()
    written = []
    for source in sources:
        for framework in ("torch", "keras"):
            config = TrainConfig.from_preset(
                PRESET, framework=framework, source=source, width=WIDTH
            )
            run = trigger(config).run
            final = wait(run)
            if final.get("status") != "finished":
                raise SystemExit(
                    f"{framework} on {source}: {final.get('status')} {final.get('error')}"
                )
            written.append(export_run(run.id, SHIPPED_DIR / f"{run.id}.zip"))
            print(f"shipped {framework} on {source}: run {run.id}", flush=True)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.shipped",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser("train", help="retrain the shipped runs into shipped_runs/")
    train.add_argument("--real", help="the Kermany folder (train/NORMAL, train/PNEUMONIA)")
    commands.add_parser("list", help="the shipped zips and their run ids")
    args = parser.parse_args(argv)
    if args.command == "train":
        train_shipped(args.real)
    else:
        for path in shipped_zips():
            print(f"{path.stem}  {path.stat().st_size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
