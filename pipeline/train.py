"""Train the talk's CNN in one framework, or return the run that already did.

    python -m pipeline.train --framework torch --source synthetic --preset quick
    python -m pipeline.train --framework keras --source ../shared/data/chest_xray --preset full --json
    python -m pipeline.train --framework torch --preset quick --epochs 1 --img-size 64 --seed 3

Every setting of ``TrainConfig`` is an option (``--img-size`` for ``img_size``, ...), applied
on top of the preset. The same config on the same data is the same run: a finished one is
returned at once, one in progress is followed, a new one is queued and trained in its own
process (one training at a time on this machine). A progress bar shows on a terminal;
``--json`` prints one object (run_id, status, val metrics, timings, device) at the end.
Ctrl-C cancels a run this command started, and leaves one it only attached to.

Exit status: 0 finished, 1 failed or cancelled, 2 impossible settings or unreadable data.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import typing
from pathlib import Path

from pipeline import cli
from pipeline.augment import PRESETS as AUGMENT_PRESETS
from pipeline.augment import AugmentSpec, SpecError
from pipeline.data import DEFAULT_SOURCE, SourceError, canonical_source
from pipeline.runs import Run, StoreError
from pipeline.training.config import ConfigError, TrainConfig
from pipeline.training.queue import cancel, trigger, wait

OPTION_TYPES = (
    int,
    float,
    str,
    bool,
)  # settings a command line can carry; the rest come from the preset


def main(argv: list[str] | None = None) -> int:
    args = cli.parse(_parser(), argv)
    try:
        config = build_config(args)
        outcome = trigger(config)
    except (
        ConfigError,
        StoreError,
    ) as error:  # StoreError before OSError: the store's disk, not the data
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (SourceError, OSError) as error:
        print(f"error: data source {args.source!r}: {error}", file=sys.stderr)
        return 2
    run = outcome.run
    if not args.json:
        print(f"run {run.id}: {_how(outcome.how)} ({run.path})", file=sys.stderr)
    try:
        status = wait(run, on_poll=_ProgressBar(run) if _show_bar(args) else None)
    except KeyboardInterrupt:
        if outcome.how != "queued":
            print(f"\nleft run {run.id} to the process that started it", file=sys.stderr)
            return 130
        cancel(run.id)
        status = wait(run)
    _print_result(run, status, outcome.how, args.json)
    return 0 if status["status"] == "finished" else 1


def build_config(args: argparse.Namespace) -> TrainConfig:
    """The preset, then every option given on the command line; validated."""
    overrides = {
        name: getattr(args, name) for name in _option_fields() if getattr(args, name) is not None
    }
    if args.augment is not None:
        overrides["augment"] = _augmentation(args.augment)
    config = TrainConfig.from_preset(
        args.preset, framework=args.framework, source=canonical_source(args.source), **overrides
    )
    return config.validate()


def _augmentation(value: str):
    """A preset name as it is (the config resolves it), or the spec in a JSON file."""
    if value in AUGMENT_PRESETS:
        return value
    try:
        return AugmentSpec.from_json(Path(value).read_bytes())
    except OSError as error:
        raise ConfigError(
            "augment",
            f"neither a preset ({', '.join(AUGMENT_PRESETS)}) nor a readable "
            f"spec file: {error.strerror or error}",
        ) from None
    except SpecError as error:
        raise ConfigError(f"augment.{error.field}", error.message) from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.train",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--framework", required=True, choices=("keras", "torch"))
    parser.add_argument(
        "--source", default=DEFAULT_SOURCE, help="data source (default: %(default)s)"
    )
    parser.add_argument("--preset", default="quick", choices=("quick", "full"))
    parser.add_argument(
        "--augment",
        metavar="PRESET|FILE.json",
        help="augmentation: a preset name or a spec saved from the Augmentation page",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object at the end")
    for name, kind in _option_fields().items():
        flag = "--" + name.replace("_", "-")
        if kind is bool:
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=None)
        else:
            parser.add_argument(flag, type=kind, default=None, metavar=kind.__name__.upper())
    return parser


def _option_fields() -> dict[str, type]:
    """TrainConfig's scalar settings (one source of truth: the dataclass), by name."""
    hints = typing.get_type_hints(TrainConfig)
    fixed = {"framework", "source", "augment"}
    return {
        f.name: hints[f.name]
        for f in dataclasses.fields(TrainConfig)
        if f.name not in fixed and hints[f.name] in OPTION_TYPES
    }


def _how(how: str) -> str:
    return {
        "cached": "finished before, returned from the run store",
        "attached": "already queued or running, following it",
        "queued": "queued for training",
    }[how]


def _show_bar(args) -> bool:
    return not args.json and sys.stderr.isatty()


class _ProgressBar:
    """A tqdm bar over all steps of all epochs, fed from the run's progress file."""

    def __init__(self, run: Run):
        self.run = run
        self.bar = None

    def __call__(self, status: dict) -> None:
        from tqdm import tqdm

        progress = self.run.progress()
        position = progress.get("position")
        if position is None:
            return  # still loading the framework and the data
        if self.bar is None:
            self.bar = tqdm(
                total=position["epochs"] * position["steps"],
                unit="step",
                desc=self.run.config().get("framework"),
            )
        done = (position["epoch"] - 1) * position["steps"] + position["step"]
        self.bar.update(max(0, done - self.bar.n))
        if progress["epochs"]:
            last = progress["epochs"][-1]
            self.bar.set_postfix(
                {k: f"{last[k]:.3f}" for k in ("train_loss", "val_loss", "val_auc")}, refresh=False
            )
        if status["status"] == "finished":
            self.bar.update(
                self.bar.total - self.bar.n
            )  # step events are sampled; the last may be missing
        if status["status"] not in ("queued", "running"):
            self.bar.close()


def _print_result(run: Run, status: dict, how: str, as_json: bool) -> None:
    result = run.result()
    if as_json:
        print(
            json.dumps(
                {
                    "run_id": run.id,
                    "status": status["status"],
                    "cached": how == "cached",
                    "error": status.get("error"),
                    "run_dir": str(run.path),
                    "val": result.val.to_dict() if result else None,
                    "timings": result.timings.to_dict() if result else None,
                    "device": result.device.to_dict() if result else None,
                    "weights": str(run.weights() or "") or None,
                },
                indent=2,
            )
        )
        return
    if status["status"] != "finished":
        print(
            f"run {run.id}: {status['status']}"
            + (f": {status['error']}" if status.get("error") else "")
        )
        return
    val = result.val.to_dict() if result else {}
    print(
        f"run {run.id}: finished; validation "
        + ", ".join(f"{k} {v:.4f}" for k, v in val.items() if isinstance(v, float))
    )


if __name__ == "__main__":
    sys.exit(main())
