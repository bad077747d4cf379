"""Finished runs that ship with the repository, so a fresh deployment has results on its first visit.

    python -m pipeline.shipped train --real ../shared/data/chest_xray   # retrain them (one line)
    python -m pipeline.shipped list                                      # what ships, and its size

``shipped_runs/`` holds exported runs (``pipeline.export`` zips, named ``<run_id>.zip``): both
frameworks on the synthetic demo data (``quick`` at half width), and on the Kermany training
images the ``full`` recipe's seeds 0, 1 and 2 in each framework plus the Nutshell's processing
pair, at most ``BUDGET_MB`` in git (docs/shipped_runs.md: what a zip holds, what was left out
and why). Keras weights ship without the optimiser's state (``slim_weights``). ``install_shipped`` adds the missing
ones to the run store, each verified against its manifest and weights sha256 like any import,
and marks them ``origin: shipped``; the app calls it once per process (``dashboard/Home.py``),
``python -m pipeline.runs list`` before it lists. The store stays where it is
(``$PNEUMOLAB_CACHE/runs``); a visitor's own runs are ``origin: trained`` and never replace them.

After a change to ``models/`` the run ids of new trainings change (the model code version is
part of them), so a shipped run is never mistaken for a newer training; it still loads as long
as its layer shapes are those of the current model (the weights are checked by shape on load).
"""

from __future__ import annotations

import os
import sys
import tempfile
import warnings
from pathlib import Path

from pipeline import cli

SHIPPED_DIR = Path(__file__).resolve().parent.parent / "shipped_runs"
SWITCH = "PNEUMOLAB_SHIPPED_RUNS"  # "0": leave them out (the test suite's stores start empty)
DEMO_SOURCE, DEMO_PRESET, DEMO_WIDTH = "synthetic", "quick", 0.5  # a few MB, trains in minutes
REAL_PRESET, REAL_SEEDS = "full", (0, 1, 2)  # the robust recipe as a seed group per framework
PAIR_PRESET = "quick"  # the Nutshell's pair (the Conclusion page's default pair settings)
BUDGET_MB = 60  # shipped_runs/ in git, at most (docs/shipped_runs.md)


def shipped_zips() -> list[Path]:
    return sorted(SHIPPED_DIR.glob("*.zip")) if SHIPPED_DIR.is_dir() else []


def install_shipped() -> list[str]:
    """Import every shipped run missing from the store; returns the ids imported now.

    A zip that fails its checks is skipped with a warning: one damaged file must not break
    every listing of the store."""
    from pipeline.export import ExportError, import_run
    from pipeline.runs import StoreError, runs_root
    from pipeline.training.migrate import migrate_store

    try:
        migrate_store()  # runs from before content identities get today's ids first
    except (StoreError, OSError) as error:
        warnings.warn(f"old runs not migrated: {error}", stacklevel=2)
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


def shipped_configs(real: str | None) -> list:
    """What ships: the demo runs, and on the real images the `full` seed groups and the pair."""
    from pipeline.talk.processing_pair import pair_configs
    from pipeline.training.config import TrainConfig

    configs = [
        TrainConfig.from_preset(DEMO_PRESET, framework=f, source=DEMO_SOURCE, width=DEMO_WIDTH)
        for f in ("torch", "keras")
    ]
    configs += pair_configs(
        TrainConfig.from_preset(
            PAIR_PRESET, framework="torch", source=DEMO_SOURCE, width=DEMO_WIDTH
        )
    )
    if real:
        source = str(Path(real).resolve())
        configs += [
            TrainConfig.from_preset(REAL_PRESET, framework=f, source=source, seed=seed)
            for f in ("torch", "keras")
            for seed in REAL_SEEDS
        ]
        configs += pair_configs(
            TrainConfig.from_preset(PAIR_PRESET, framework="torch", source=source)
        )
    return configs


def train_shipped(real: str | None, store: str | None = None) -> list[Path]:
    """Train (or find, in ``store``) the shipped runs and export them, slimmed, to ``shipped_runs/``.

    ``store`` is a run store to reuse (``$PNEUMOLAB_CACHE`` of an earlier call): a run that
    finished there is exported without training again. By default a fresh private store."""
    os.environ["PNEUMOLAB_CACHE"] = store or tempfile.mkdtemp(prefix="pneumolab-shipped-")
    from pipeline.export import export_run
    from pipeline.training.migrate import migrate_store
    from pipeline.training.queue import trigger, wait

    migrate_store()  # a reused store from before content identities: today's ids first
    runs = []
    for config in shipped_configs(real):
        run = trigger(config).run
        final = wait(run)
        if final.status != "finished":
            raise SystemExit(f"{config.framework} on {config.source}: {final.status} {final.error}")
        runs.append(run)
    SHIPPED_DIR.mkdir(exist_ok=True)
    for old in shipped_zips():
        old.unlink()
    written = []
    for run in runs:
        slim_weights(run)
        written.append(export_run(run.id, SHIPPED_DIR / f"{run.id}.zip"))
        print(f"shipped {run.config().framework} on {run.dataset_name()}: run {run.id}", flush=True)
    return written


def slim_weights(run) -> None:
    """Drop the optimiser's state from a Keras run's weights (``model.keras`` saves Adam's two
    moments beside the weights, three times the size); the model and its predictions are the
    same. The new file's sha256 replaces the old one in result.json, so imports verify it."""
    from pipeline.frameworks import import_keras
    from pipeline.runs import WEIGHTS_DIR, read_json, write_json
    from pipeline.settings import sha256_of

    if run.config().framework != "keras":
        return
    keras = import_keras()
    weights = run.weights()
    model = keras.models.load_model(weights, compile=False, safe_mode=True)
    slim = weights.with_name(f"slim-{weights.name}")
    model.save(slim)  # not compiled: no optimiser to save
    os.replace(slim, run.path / WEIGHTS_DIR / weights.name)
    result = read_json(run.path / "result.json")
    write_json(run.path / "result.json", {**result, "weights_sha256": sha256_of(weights)})


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser("pipeline.shipped", __doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser("train", help="retrain the shipped runs into shipped_runs/")
    train.add_argument("--real", help="the Kermany folder (train/NORMAL, train/PNEUMONIA)")
    train.add_argument(
        "--store", help="a run store to reuse: runs that finished there are not trained again"
    )
    commands.add_parser("list", help="the shipped zips and their run ids")
    args = parser.parse_args(argv)
    if args.command == "train":
        train_shipped(args.real, args.store)
    else:
        total = 0
        for path in shipped_zips():
            total += path.stat().st_size
            print(f"{path.stem}  {path.stat().st_size / 1e6:.2f} MB")
        print(f"total {total / 1e6:.1f} MB (budget {BUDGET_MB} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
