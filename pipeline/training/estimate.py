"""How long a training will take, and how far one that runs has come.

    estimate_seconds(config, images)     before it starts: from this machine's finished runs
    fraction_and_eta(progress)           while it runs: from its progress.json
    position_text(progress), duration_text(seconds)

The Training page shows these; they read the run store and the configs, never a framework.
"""

from __future__ import annotations

import time

from pipeline.runs import Progress, all_runs
from pipeline.training.config import TrainConfig

# Training images per second of the talk-sized CNN at 150 px on a quiet 2-core CPU, as
# `python -m benchmarks.train_speed` measures them (docs/architecture.md, "Measured figures"),
# for estimates until this machine has finished runs of its own to go by.
DEFAULT_IMAGES_PER_S = {"keras": 125.0, "torch": 100.0}
STARTUP_S = 20.0  # loading a framework and the cached arrays
VALIDATION_SHARE = 0.15  # validation, about a third of an epoch's images, forward only


def estimate_seconds(config: TrainConfig, images: int, runs=None) -> float:
    """Seconds for ``config`` on ``images`` training images on the CPU, at the speed of the most
    similar finished CPU run of the framework (same width, nearest image size, scaled by pixels),
    else at the default speed. Early stopping can only make it shorter."""
    speed = DEFAULT_IMAGES_PER_S[config.framework] * (150 / config.img_size) ** 2 / config.width**2
    similar = []
    for run in all_runs() if runs is None else runs:
        result, past = run.result(), run.config()
        if (
            result
            and past.framework == config.framework
            and past.width == config.width
            and result.device.type == "cpu"
            and result.timings.images_per_s
        ):
            distance = abs(past.img_size - config.img_size)
            similar.append((distance, past.img_size, result.timings.images_per_s))
    if similar:
        _, size, measured = min(similar)
        speed = measured * (size / config.img_size) ** 2
    per_epoch = images / speed * (1 + VALIDATION_SHARE)
    return STARTUP_S + config.epochs * per_epoch


def position_text(progress: Progress) -> str:
    """Where a running training is, from its progress.json."""
    position = progress.position
    if position is None:
        return "loading the framework and the data"
    if progress.epochs and progress.epochs[-1]["epoch"] >= position.epoch:
        return f"epoch {position.epoch}/{position.epochs} done"
    return f"epoch {position.epoch}/{position.epochs}, step {position.step}/{position.steps}"


def fraction_and_eta(progress: Progress, now: float | None = None) -> tuple[float, float | None]:
    """Share of all steps done, and the seconds left at the pace of the steps so far."""
    if progress.position is None:
        return 0.0, None
    done = fraction_done(progress)
    elapsed = (time.time() if now is None else now) - progress.steps[0]["time"]
    eta = elapsed * (1 - done) / done if elapsed > 0 else None
    return done, eta


def duration_text(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def fraction_done(progress: Progress) -> float:
    """Share of all steps done (0 while the framework and data load), from its progress.json."""
    position = progress.position
    if position is None:
        return 0.0
    done = ((position.epoch - 1) * position.steps + position.step) / (
        position.epochs * position.steps
    )
    return min(done, 1.0)
