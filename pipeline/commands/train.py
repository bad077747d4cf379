"""Train the talk's CNN in one framework, or return the run that already did.

    python -m pipeline.train --framework torch --source synthetic --preset quick
    python -m pipeline.train --framework keras --source ../shared/data/chest_xray --preset full --json
    python -m pipeline.train --framework torch --preset quick --epochs 1 --img-size 64 --seed 3
    python -m pipeline.train --framework torch --source ../shared/data/chest_xray --preset full --seeds 0,1,2 --json
    python -m pipeline.train --framework keras --preset talk --show-config --json
    RAY_ADDRESS=HOST:6379 python -m pipeline.train --framework torch --seeds 0,1 --executor ray

Every setting of ``TrainConfig`` is an option (``--img-size`` for ``img_size``, ...), applied
on top of the preset. The same config on the same data is the same run: a finished one is
returned at once, one in progress is followed, a new one is queued and trained in its own
process (one training at a time on this machine). A progress bar shows on a terminal;
``--json`` prints one object (run_id, status, val metrics, timings, device) at the end;
with ``--seeds`` each seed is its own run (queued in order) and ``--json`` prints
``{"runs": [{"run_id", "seed", "status", "val", ...}, ...]}``.
Ctrl-C cancels a run this command started, and leaves one it only attached to.
``--executor ray`` (or ``PNEUMOLAB_EXECUTOR=ray``; the option wins) trains new runs as tasks on
the Ray cluster at ``RAY_ADDRESS`` (none: a local Ray instance), docs/cluster.md; the JSON
then records ``executor`` and ``node`` (the Ray node: id, ip, hostname) per run.
``--show-config`` prints the resolved config instead (each setting with its value and where it
comes from: the talk's slides, the app's choice, per run, or set on this command line) and
trains nothing, reads no data and leaves the run store alone; with ``--json``
``{"preset", "framework", "config", "config_hash", "settings": [...]}`` (with ``--seeds``,
``{"configs": [...]}``, one per seed). The ``talk`` preset resolves per framework: each
framework's pipeline as the talk shows it (``pipeline.training.config.TALK_SETTINGS``).

Exit status: 0 finished, 1 failed or cancelled, 2 impossible settings or unreadable data.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import typing
from dataclasses import dataclass
from pathlib import Path

from pipeline import cli
from pipeline.augment import PRESETS as AUGMENT_PRESETS
from pipeline.augment import AugmentSpec, SpecError
from pipeline.data import DEFAULT_SOURCE, SourceError, canonical_source
from pipeline.records import Record
from pipeline.runs import Run, RunStatus, StoreError
from pipeline.training.config import (
    PRESETS,
    ConfigError,
    SettingOrigin,
    TrainConfig,
    setting_origins,
)
from pipeline.training.executors import EXECUTOR_VARIABLE, EXECUTORS
from pipeline.training.queue import cancel, trigger, wait

OPTION_TYPES = (
    int,
    float,
    str,
    bool,
)  # settings a command line can carry; the rest come from the preset


def main(argv: list[str] | None = None) -> int:
    args = cli.parse(_parser(), argv)
    if args.seeds and args.seed is not None:
        print("error: seed: give either --seed or --seeds, not both", file=sys.stderr)
        return 2
    if args.show_config:
        return show_config(args)
    try:
        configs = [build_config(args, seed) for seed in args.seeds or [None]]
        outcomes = [trigger(config, args.executor) for config in configs]  # in seed order
    except (
        ConfigError,
        StoreError,
    ) as error:  # StoreError before OSError: the store's disk, not the data
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (SourceError, OSError) as error:
        print(f"error: data source {args.source!r}: {error}", file=sys.stderr)
        return 2
    if not args.json:
        for outcome in outcomes:
            print(
                f"run {outcome.run.id}: {_how(outcome.how)} ({outcome.run.path})", file=sys.stderr
            )
    statuses = follow(outcomes, _show_bar(args))
    if statuses is None:
        return 130
    if args.seeds:
        _print_group(configs, outcomes, statuses, args.json)
    else:
        _print_result(outcomes[0].run, statuses[0], outcomes[0].how, args.json)
    return 0 if all(status.status == "finished" for status in statuses) else 1


def follow(outcomes, with_bar: bool) -> list[RunStatus] | None:
    """Wait for every run, in order; their final statuses. Ctrl-C cancels the runs this command
    queued (and waits for them to stop) and leaves those it only attached to; None when it
    queued none of those left."""
    statuses = []
    try:
        for outcome in outcomes:
            bar = _ProgressBar(outcome.run) if with_bar else None
            statuses.append(wait(outcome.run, on_poll=bar))
    except KeyboardInterrupt:
        left = outcomes[len(statuses) :]
        for outcome in (o for o in left if o.how != "queued"):
            print(f"\nleft run {outcome.run.id} to the process that started it", file=sys.stderr)
        mine = [o for o in left if o.how == "queued"]
        for outcome in mine:
            cancel(outcome.run.id)
        if not mine:
            return None
        statuses += [wait(o.run) for o in left]
    return statuses


def build_config(args: argparse.Namespace, seed: int | None = None) -> TrainConfig:
    """The preset, then every option given on the command line (and ``seed``); validated."""
    overrides = {
        name: getattr(args, name) for name in _option_fields() if getattr(args, name) is not None
    }
    if seed is not None:
        overrides["seed"] = seed
    if args.augment is not None:
        overrides["augment"] = _augmentation(args.augment)
    config = TrainConfig.from_preset(
        args.preset, framework=args.framework, source=canonical_source(args.source), **overrides
    )
    return config.validate()


def show_config(args: argparse.Namespace) -> int:
    """Print the resolved config(s) with every setting's origin; nothing trains or is stored."""
    try:
        configs = [build_config(args, seed) for seed in args.seeds or [None]]
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    shown = [resolved_config(config, args.preset) for config in configs]
    if args.json:
        as_json = [item.to_dict() for item in shown]
        print(json.dumps({"configs": as_json} if args.seeds else as_json[0], indent=2))
        return 0
    for item in shown:
        print(
            f"{item.preset} preset, {item.framework}, seed {item.config.seed}: "
            f"config {item.config_hash}"
        )
        width = max(len(row.setting) for row in item.settings)
        for row in item.settings:
            print(
                f"  {row.setting:{width}s}  {json.dumps(row.value):>16s}  {row.origin}: {row.note}"
            )
    return 0


@dataclass(frozen=True)
class ResolvedConfig(Record):
    """One resolved config with every setting's value and origin (``setting_origins``);
    ``to_dict`` is what ``--show-config --json`` prints for it."""

    preset: str
    framework: str
    config: TrainConfig
    config_hash: str
    settings: list[SettingOrigin]


def resolved_config(config: TrainConfig, preset: str) -> ResolvedConfig:
    """``config``, built from ``preset``, with its hash and where each setting comes from."""
    return ResolvedConfig(
        preset=preset,
        framework=config.framework,
        config=config,
        config_hash=config.stable_hash(),
        settings=setting_origins(config, preset),
    )


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
    parser = cli.parser("pipeline.train", __doc__)
    parser.add_argument("--framework", required=True, choices=("keras", "torch"))
    parser.add_argument(
        "--source", default=DEFAULT_SOURCE, help="data source (default: %(default)s)"
    )
    parser.add_argument("--preset", default="quick", choices=tuple(PRESETS))
    parser.add_argument(
        "--augment",
        metavar="PRESET|FILE.json",
        help="augmentation: a preset name or a spec saved from the Augmentation page",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object at the end")
    parser.add_argument(
        "--executor",
        choices=tuple(EXECUTORS),
        help=f"where new runs train: local (default) or ray (${EXECUTOR_VARIABLE} otherwise)",
    )
    parser.add_argument(
        "--show-config",
        action="store_true",
        help="print the resolved config and where each value comes from; train nothing",
    )
    parser.add_argument(
        "--seeds",
        type=cli.seed_list,
        metavar="S1,S2,...",
        help="train one run per seed (each its own cached run), e.g. 0,1,2; not with --seed",
    )
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

    def __call__(self, status: RunStatus) -> None:
        from tqdm import tqdm

        progress = self.run.progress()
        position = progress.position
        if position is None:
            return  # still loading the framework and the data
        if self.bar is None:
            self.bar = tqdm(
                total=position.epochs * position.steps,
                unit="step",
                desc=self.run.config().framework,
            )
        done = (position.epoch - 1) * position.steps + position.step
        self.bar.update(max(0, done - self.bar.n))
        if progress.epochs:
            last = progress.epochs[-1]
            self.bar.set_postfix(
                {k: f"{last[k]:.3f}" for k in ("train_loss", "val_loss", "val_auc")}, refresh=False
            )
        if status.status == "finished":
            self.bar.update(
                self.bar.total - self.bar.n
            )  # step events are sampled; the last may be missing
        if not status.active:
            self.bar.close()


def _print_group(configs, outcomes, statuses, as_json: bool) -> None:
    """One line per seed, or ``{"runs": [{"run_id", "seed", "status", "val", ...}, ...]}``."""
    runs = []
    for config, outcome, status in zip(configs, outcomes, statuses):
        result = outcome.run.result()
        runs.append(
            {
                "run_id": outcome.run.id,
                "seed": config.seed,
                "status": status.status,
                "cached": outcome.how == "cached",
                "error": status.error,
                "run_dir": str(outcome.run.path),
                "val": result.val.to_dict() if result else None,
                "timings": result.timings.to_dict() if result else None,
                **_where(status),
            }
        )
    if as_json:
        print(json.dumps({"runs": runs}, indent=2))
        return
    for run in runs:
        val = run["val"] or {}
        figures = ", ".join(f"{k} {v:.4f}" for k, v in val.items() if isinstance(v, float))
        print(
            f"seed {run['seed']}: run {run['run_id']} {run['status']}"
            + (f"; {figures}" if figures else "")
        )


def _where(status: RunStatus) -> dict:
    """Which executor trained the run, and on which Ray node (None for a local run)."""
    return {
        "executor": status.executor_name,
        "node": status.node.to_dict() if status.node is not None else None,
    }


def _print_result(run: Run, status: RunStatus, how: str, as_json: bool) -> None:
    result = run.result()
    if as_json:
        print(
            json.dumps(
                {
                    "run_id": run.id,
                    "status": status.status,
                    "cached": how == "cached",
                    "error": status.error,
                    "run_dir": str(run.path),
                    "val": result.val.to_dict() if result else None,
                    "timings": result.timings.to_dict() if result else None,
                    "device": result.device.to_dict() if result else None,
                    "weights": str(run.weights() or "") or None,
                    **_where(status),
                },
                indent=2,
            )
        )
        return
    if status.status != "finished":
        print(f"run {run.id}: {status.status}" + (f": {status.error}" if status.error else ""))
        return
    val = result.val.to_dict() if result else {}
    print(
        f"run {run.id}: finished; validation "
        + ", ".join(f"{k} {v:.4f}" for k, v in val.items() if isinstance(v, float))
    )


if __name__ == "__main__":
    sys.exit(main())
