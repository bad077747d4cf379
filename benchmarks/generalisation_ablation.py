"""Ablation of the robust recipe and of the framework gap, at a reduced scale that fits 2 cores.

Each variant is the talk's settings with one change (or the recipe with one thing taken out);
each trains once per framework and seed as an ordinary cached run, so a rerun only scores.

    nice -n 10 python -m benchmarks.generalisation_ablation --source ../shared/data/chest_xray \
        --img-size 96 --epochs 6 --seeds 0,1 --train
    python -m benchmarks.generalisation_ablation --source ../shared/data/chest_xray \
        --img-size 96 --epochs 6 --seeds 0,1 --score --out docs/results/generalisation_ablation.json

``--train`` trains what is missing (one run after another, in the run store of
``$PNEUMOLAB_CACHE``); ``--score`` reads each finished run's validation metrics and speed and,
where ``pipeline.evaluate.stress`` exists, scores it under the shift stress on the validation
split. ``benchmarks/framework_gap.py`` summarises the fill/zoom/framework rows.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from pipeline.augment.spec import AugmentSpec
from pipeline.data import canonical_source
from pipeline.training.config import TrainConfig

TALK_AUGMENT = AugmentSpec.preset("talk")

# name -> (what it tests, the changes to the talk preset)
VARIANTS = {
    "talk": ("the talk's settings; both frameworks draw and fill alike (edge fill)", {}),
    "black_fill": (
        "fill moved-in pixels with black (what torchvision's RandomAffine did)",
        {"augment": TALK_AUGMENT.replace(fill_mode="constant", fill_constant=0)},
    ),
    "shared_zoom": (
        "one zoom factor for both axes (torchvision's draw)",
        {"augment": TALK_AUGMENT.replace(zoom_axes="shared")},
    ),
    "intensity": (
        "acquisition-like intensity: brightness 0.8-1.2, contrast 0.75-1.33, gamma 0.75-1.33",
        {"augment": AugmentSpec.preset("robust")},
    ),
    "label_smoothing": ("label smoothing 0.1", {"label_smoothing": 0.1}),
    "last_epoch": (
        "keep the last epoch of the cosine schedule, no early stopping on val AUC",
        {"checkpoint": "last", "early_stopping_patience": 0},
    ),
    "mixup": ("mixup, alpha 0.2", {"mixup_alpha": 0.2}),
    "ema": (
        "weight averaging (EMA, decay 0.99) of the last epochs: compare with last_epoch",
        {"checkpoint": "last", "early_stopping_patience": 0, "ema_decay": 0.99},
    ),
    "longer": (
        "a longer schedule: twice the epochs, last epoch kept: compare with last_epoch",
        {"checkpoint": "last", "early_stopping_patience": 0, "epochs_factor": 2},
    ),
}


def configs(args) -> list[tuple[str, str, int, TrainConfig]]:
    source = canonical_source(args.source)
    rows = []
    for seed in args.seeds:
        for name in args.variants:
            for framework in args.frameworks:
                changes = dict(VARIANTS[name][1])
                epochs = args.epochs * changes.pop("epochs_factor", 1)
                # TrainConfig(): the talk's settings as one config for both frameworks, as
                # before the `talk` preset resolved per framework (issue 20); same run ids
                config = TrainConfig().replace(
                    framework=framework,
                    source=source,
                    img_size=args.img_size,
                    epochs=epochs,
                    seed=seed,
                    **changes,
                )
                rows.append((name, framework, seed, config.validate()))
    return rows


def train(rows) -> None:
    from pipeline.training.queue import trigger, wait

    for name, framework, seed, config in rows:
        started = time.monotonic()
        outcome = trigger(config)
        status = wait(outcome.run)
        print(
            f"{name:16s} {framework:5s} seed {seed}: {status['status']} ({outcome.how}) "
            f"{time.monotonic() - started:.0f} s run {outcome.run.id}",
            flush=True,
        )


def score(rows, source: str, stress: bool) -> list[dict]:
    from pipeline.data import open_source
    from pipeline.runs import Run
    from pipeline.training.queue import run_id_for

    fingerprint = open_source(source).scan().fingerprint
    out = []
    for name, framework, seed, config in rows:
        run = Run(run_id_for(config, fingerprint))
        if run.state != "finished":
            continue
        result = run.result()
        if result is None:
            continue
        row = {
            "variant": name,
            "framework": framework,
            "seed": seed,
            "run_id": run.id,
            "val_auc": result.val.auc,
            "val_accuracy": result.val.accuracy,
            "images_per_s": result.timings.images_per_s,
            "total_seconds": result.timings.total_seconds,
            "best_epoch": result.best_epoch,
        }
        if stress:
            row.update(_stress(run.id, source))
        out.append(row)
    return out


def _stress(run_id: str, source: str) -> dict:
    import subprocess

    command = [
        sys.executable,
        "-m",
        "pipeline.evaluate",
        "--run",
        run_id,
        "--source",
        source,
        "--split",
        "val",
        "--stress",
        "--json",
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        return {"stress_error": done.stderr.strip()[-300:]}
    report = json.loads(done.stdout)
    return {
        "stress_auc": report["stress_mean"]["auc"],
        "stress_accuracy": report["stress_mean"]["accuracy"],
        "threshold": report.get("threshold"),
    }


def summary(rows: list[dict]) -> list[dict]:
    """Mean and spread (sample std) over seeds per variant and framework."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        groups.setdefault((row["variant"], row["framework"]), []).append(row)
    table = []
    for (variant, framework), members in groups.items():
        entry = {"variant": variant, "framework": framework, "seeds": len(members)}
        for key in ("val_auc", "val_accuracy", "stress_auc", "stress_accuracy", "images_per_s"):
            values = [m[key] for m in members if m.get(key) is not None]
            if values:
                entry[key] = statistics.mean(values)
                entry[f"{key}_std"] = statistics.stdev(values) if len(values) > 1 else None
        table.append(entry)
    return table


# the variant each one is paired with, seed by seed (the talk's settings unless listed)
BASELINE = {"ema": "last_epoch", "longer": "last_epoch"}


def _mean_sd(values: list[float], scale: float = 1.0, digits: int = 4, sign: str = "") -> str:
    values = [v * scale for v in values if v is not None]
    if not values:
        return "-"
    mean = f"{statistics.mean(values):{sign}.{digits}f}"
    return mean if len(values) == 1 else f"{mean} ± {statistics.stdev(values):.{digits}f}"


def paired_effect(rows: list[dict], variant: str, framework: str, key: str) -> list[float]:
    """``variant`` minus its baseline, seed by seed (the same seed, one change)."""
    from benchmarks.framework_gap import paired

    base = BASELINE.get(variant, "talk")
    return [] if variant == base else paired(rows, framework, variant, base, key)


def markdown(report: dict) -> str:
    """The scored ablation as docs/robust_recipe.md's table: mean ± sd over seeds, and each
    variant's paired effect on the stress mean against its baseline."""
    rows = report["runs"]
    lines = [
        "| variant | framework | seeds | val AUC | val accuracy | stress-mean AUC | "
        "stress-mean accuracy | paired Δ stress-mean AUC | paired Δ stress-mean accuracy "
        "(points) | images/s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for variant in report["variants"]:
        for framework in ("torch", "keras"):
            group = [r for r in rows if r["variant"] == variant and r["framework"] == framework]
            if not group:
                continue
            seeds = ",".join(str(r["seed"]) for r in sorted(group, key=lambda r: r["seed"]))
            values = {key: [r.get(key) for r in group] for key in group[0]}
            lines.append(
                f"| `{variant}` | {framework} | {seeds} | {_mean_sd(values['val_auc'])} | "
                f"{_mean_sd(values['val_accuracy'], digits=3)} | "
                f"{_mean_sd(values.get('stress_auc', []))} | "
                f"{_mean_sd(values.get('stress_accuracy', []), digits=3)} | "
                f"{_mean_sd(paired_effect(rows, variant, framework, 'stress_auc'), sign='+')} | "
                f"{_mean_sd(paired_effect(rows, variant, framework, 'stress_accuracy'), 100, 1, '+')} | "
                f"{_mean_sd(values['images_per_s'], digits=0)} |"
            )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source", required=True)
    parser.add_argument("--img-size", type=int, default=96)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--seeds", type=lambda v: [int(s) for s in v.split(",")], default=[0, 1])
    parser.add_argument("--frameworks", type=lambda v: v.split(","), default=["torch", "keras"])
    parser.add_argument("--variants", type=lambda v: v.split(","), default=list(VARIANTS))
    parser.add_argument("--train", action="store_true")
    parser.add_argument("--score", action="store_true")
    parser.add_argument("--no-stress", action="store_true")
    parser.add_argument("--out", type=Path)
    parser.add_argument(
        "--table", type=Path, help="print a scored ablation JSON as a markdown table, and stop"
    )
    args = parser.parse_args(argv)
    if args.table:
        print(markdown(json.loads(args.table.read_text())))
        return 0
    rows = configs(args)
    if args.train:
        train(rows)
    if args.score:
        scored = score(rows, canonical_source(args.source), not args.no_stress)
        report = {
            "scale": {"img_size": args.img_size, "epochs": args.epochs, "seeds": args.seeds},
            "variants": {name: VARIANTS[name][0] for name in args.variants},
            "runs": scored,
            "summary": summary(scored),
        }
        text = json.dumps(report, indent=2)
        if args.out:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(text + "\n")
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
