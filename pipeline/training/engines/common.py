"""What both engines share, so that the two frameworks are trained and measured the same way.

The engines differ only where the frameworks do (the model, the optimiser step, the
augmentation library). Everything that decides *what* is trained and *how it is judged* lives
here once: the data and its checks, which images each step sees, the learning rate at each
step, early stopping, the validation metrics, the progress events and the result.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from pipeline.augment.balance import sampler_weights
from pipeline.augment.spec import AugmentSpec
from pipeline.augment.stats import DatasetStats, iter_chunks, precomputed_stats
from pipeline.data import CLASS_NAMES, load_all
from pipeline.preprocessing import EPSILON, Preprocessing, normalise
from pipeline.records import DeviceInfo, EpochRecord, RunResult, Timings, ValMetrics
from pipeline.training.config import ConfigError, TrainConfig
from pipeline.training.errors import Cancelled

STEP_REPORT_INTERVAL_S = 0.5
PLATEAU_PATIENCE, PLATEAU_FACTOR = 2, 0.5  # halve the rate after 2 epochs without a lower val loss
EVAL_BATCH = 128


# ---- data ----


@dataclass
class Data:
    """The training and validation images of one config, and the statistics to normalise them."""

    train_images: np.ndarray  # (N, S, S) uint8
    train_labels: np.ndarray  # (N,) int64
    val_images: np.ndarray
    val_labels: np.ndarray
    stats: DatasetStats | None  # for normalization "per_dataset", from the training split only


def load_data(config: TrainConfig) -> Data:
    """Both splits from the data layer's cache; ConfigError when they cannot train a model."""
    _, arrays = load_all(config.source, config.img_size)  # one scan and one read for both splits
    train, val = arrays.subset("train"), arrays.subset("val")
    _check_split("train", train.labels, minimum=config.batch_size)
    _check_split("val", val.labels, minimum=2)
    stats = None
    if config.augment.normalization == "per_dataset":
        stats = precomputed_stats(iter_chunks(train.images), config.augment.rescale)
    return Data(train.images, train.labels, val.images, val.labels, stats)


def _check_split(split: str, labels: np.ndarray, minimum: int) -> None:
    counts = np.bincount(labels, minlength=len(CLASS_NAMES))
    if len(labels) < minimum:
        raise ConfigError(
            "source",
            f"the {split} split has {len(labels)} images; at least {minimum} are needed "
            f"(a smaller batch_size, or a larger data source)",
        )
    missing = [name for name, count in zip(CLASS_NAMES, counts) if count == 0]
    if missing:
        raise ConfigError(
            "source",
            f"the {split} split has no {' or '.join(missing)} images; "
            f"training and AUC need both classes",
        )


def eval_inputs(images: np.ndarray, spec: AugmentSpec, stats: DatasetStats | None) -> np.ndarray:
    """(N, S, S) float32 as both augmentation builders give them with no random change drawn:
    rescaled, then normalised per sample or with the training split's statistics."""
    mean, std = (stats.mean, stats.std) if stats is not None else (None, None)
    return normalise(images, spec.rescale, spec.normalization, mean, std, EPSILON)


# ---- which images each step sees ----


class EpochOrder:
    """The images of each step: a fresh shuffle per epoch, or (``sampler``) draws with
    replacement weighted so that both classes come equally often. The last incomplete batch
    is dropped (a batch of one breaks BatchNorm). With several replicas every rank draws the
    same global order from the seed and takes its own share of each batch.
    """

    def __init__(self, labels: np.ndarray, config: TrainConfig, rank: int = 0, world: int = 1):
        self.labels = labels
        self.balancing = config.class_balancing
        self.batch_size = config.batch_size
        self.seed = config.seed
        self.rank, self.world = rank, world
        self.steps = len(labels) // config.batch_size

    @property
    def local_batch(self) -> int:
        return self.batch_size // self.world

    def epoch(self, epoch: int) -> np.ndarray:
        """(steps, local_batch) indices into the training images for this rank."""
        rng = np.random.default_rng([self.seed, epoch])
        count = self.steps * self.batch_size
        if self.balancing == "sampler":
            weights = sampler_weights(self.labels)
            order = rng.choice(
                len(self.labels), size=count, replace=True, p=weights / weights.sum()
            )
        else:
            order = rng.permutation(len(self.labels))[:count]
        return order.reshape(self.steps, self.world, self.local_batch)[:, self.rank]


def class_weights(config: TrainConfig, labels: np.ndarray) -> dict[int, float] | None:
    """Loss weight per class for ``class_weight`` balancing (sklearn's "balanced"), else None."""
    if config.class_balancing != "class_weight":
        return None
    from pipeline.augment.balance import keras_class_weights

    return keras_class_weights(labels)


# ---- what each step's loss is computed against ----

MIXUP_STREAM = 1  # keeps mixup's draws apart from the epoch order's, which use (seed, epoch)


@dataclass(frozen=True)
class StepTargets:
    """One step's targets in [0, 1] and loss weights per image; with mixup, also how its
    images are blended: ``mix`` x image + (1 - ``mix``) x image[``pairing``]."""

    y: np.ndarray  # (B,) float32
    weight: np.ndarray  # (B,) float32: the class weight, blended like the targets
    pairing: np.ndarray | None = None  # None: the images stay as they are
    mix: float = 1.0

    def blend(self, x):
        """The step's images blended as the targets are (NumPy or torch, batch first)."""
        if self.pairing is None:
            return x
        return self.mix * x + (1.0 - self.mix) * x[self.pairing]

    @property
    def labels(self) -> np.ndarray:
        """The class each blended image is closest to, for the epoch's training metrics."""
        return (self.y >= 0.5).astype(np.int64)


class Targets:
    """Targets and weights of every step, one definition for both engines. mixup's draw
    (one lambda ~ Beta(alpha, alpha) and one pairing per step) depends only on the seed,
    the epoch and the step, so both frameworks blend the same images by the same amount."""

    def __init__(self, labels: np.ndarray, config: TrainConfig):
        self.labels, self.alpha, self.seed = labels, config.mixup_alpha, config.seed
        weights = class_weights(config, labels)
        per_class = [weights[0], weights[1]] if weights else [1.0, 1.0]
        self.per_class = np.asarray(per_class, dtype=np.float32)

    def step(self, epoch: int, step: int, indices: np.ndarray) -> StepTargets:
        labels = self.labels[indices]
        y, weight = labels.astype(np.float32), self.per_class[labels]
        if not self.alpha:
            return StepTargets(y, weight)
        rng = np.random.default_rng([self.seed, epoch, step, MIXUP_STREAM])
        mix = float(rng.beta(self.alpha, self.alpha))
        pairing = rng.permutation(len(indices))
        return StepTargets(
            (mix * y + (1 - mix) * y[pairing]).astype(np.float32),
            (mix * weight + (1 - mix) * weight[pairing]).astype(np.float32),
            pairing,
            mix,
        )


# ---- learning rate and early stopping ----


class Schedule:
    """The learning rate of every step, the same in both frameworks.

    ``cosine`` decays from the configured rate to 0 over all steps; ``plateau`` halves it after
    two epochs without a lower validation loss (Keras's ReduceLROnPlateau, as the app offers it);
    ``constant`` keeps it.
    """

    def __init__(self, config: TrainConfig, steps_per_epoch: int):
        self.kind = config.lr_schedule
        self.base = config.learning_rate
        self.total_steps = max(1, config.epochs * steps_per_epoch)
        self.steps_per_epoch = steps_per_epoch
        self.factor = 1.0
        self.best_loss = math.inf
        self.flat_epochs = 0

    def rate(self, epoch: int, step: int) -> float:
        if self.kind == "cosine":
            progress = (epoch * self.steps_per_epoch + step) / self.total_steps
            return self.base * 0.5 * (1.0 + math.cos(math.pi * progress))
        return self.base * self.factor

    def end_epoch(self, val_loss: float) -> None:
        if val_loss < self.best_loss:
            self.best_loss, self.flat_epochs = val_loss, 0
            return
        self.flat_epochs += 1
        if self.kind == "plateau" and self.flat_epochs >= PLATEAU_PATIENCE:
            self.factor *= PLATEAU_FACTOR
            self.flat_epochs = 0


class EarlyStopping:
    """Keeps the epoch with the best validation AUC; says stop after ``patience`` epochs
    without a better one (0: never). Test data never reaches it."""

    def __init__(self, patience: int):
        self.patience = patience
        self.best_auc = -math.inf
        self.best_epoch = 0  # 1-based
        self.epochs_without_gain = 0

    def update(self, epoch: int, val_auc: float) -> bool:
        """Record ``epoch``'s AUC (epoch is 1-based); True if it is the best so far."""
        if val_auc > self.best_auc:
            self.best_auc, self.best_epoch, self.epochs_without_gain = val_auc, epoch, 0
            return True
        self.epochs_without_gain += 1
        return False

    @property
    def should_stop(self) -> bool:
        return self.patience > 0 and self.epochs_without_gain >= self.patience


# ---- metrics ----


@dataclass(frozen=True)
class BinaryMetrics:
    """What each epoch reports of a split: loss, accuracy at 0.5 and ROC AUC (no threshold:
    the one rule chooses it once, at the end, in ``final_metrics``)."""

    loss: float
    accuracy: float
    auc: float
    images: int | None = None  # None for Keras's running figures of the training pass


def binary_metrics(labels: np.ndarray, probabilities: np.ndarray) -> BinaryMetrics:
    """Loss (mean binary cross-entropy), accuracy at 0.5 and ROC AUC of ``probabilities``."""
    from sklearn.metrics import roc_auc_score

    labels = np.asarray(labels, dtype=np.int64)
    p = np.clip(np.asarray(probabilities, dtype=np.float64), 1e-7, 1 - 1e-7)
    loss = -np.mean(labels * np.log(p) + (1 - labels) * np.log(1 - p))
    return BinaryMetrics(
        loss=float(loss),
        accuracy=float(np.mean((p >= 0.5) == labels)),
        auc=float(roc_auc_score(labels, p)),
        images=len(labels),
    )


def final_metrics(
    labels: np.ndarray, probabilities: np.ndarray, config: TrainConfig, train_labels: np.ndarray
) -> ValMetrics:
    """The run's validation metrics with its threshold, chosen by the one rule
    (``pipeline.threshold``): its value, the rule's name, the interval of thresholds
    that are optimal on validation, and sensitivity, specificity and accuracy at it."""
    from pipeline.threshold import choose_threshold

    metrics = binary_metrics(labels, probabilities)
    choice = choose_threshold(
        labels, probabilities, config.class_balancing, float(np.mean(train_labels))
    )
    labels = np.asarray(labels, dtype=np.int64)
    called = np.asarray(probabilities, dtype=np.float64) >= choice.value
    positives, negatives = labels == 1, labels == 0
    return ValMetrics(
        **asdict(metrics),
        threshold=choice.value,
        threshold_rule=choice.rule,
        threshold_interval=[choice.low, choice.high],
        threshold_choice=choice.to_dict(),
        accuracy_at_threshold=float(np.mean(called == positives)),
        sensitivity=float(called[positives].mean()) if positives.any() else None,
        specificity=float((~called[negatives]).mean()) if negatives.any() else None,
    )


# ---- weights ----


def save_weights(path: Path, data: bytes) -> None:
    """Write a model's serialised weights and flush them to the disk.

    The file lands in the worker's temporary folder, which is moved in place only after this
    returns; the worker then records the file's sha256 for every later load to check.
    (The fault tests replace it in the worker, from tests/helpers/pause_in_save/, to kill a
    worker half-way through this write.)
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as error:  # a failed write names no file: name the one being written
        raise OSError(error.errno, error.strerror, str(path)) from error


# ---- progress ----


class Progress:
    """Step events (at most every half second) and the cancellation check of every step."""

    def __init__(
        self,
        report: Callable[[dict], None],
        should_stop: Callable[[], bool],
        epochs: int,
        steps: int,
    ):
        self.report, self.should_stop = report, should_stop
        self.epochs, self.steps = epochs, steps
        self.last_report = 0.0

    def step(self, epoch: int, step: int, stop_requested: bool | None = None) -> None:
        """Before step ``step`` (0-based) of ``epoch`` (0-based); raises Cancelled when asked to."""
        if self.should_stop() if stop_requested is None else stop_requested:
            raise Cancelled(f"cancelled in epoch {epoch + 1}, step {step + 1}")
        now = time.monotonic()
        if now - self.last_report >= STEP_REPORT_INTERVAL_S:
            self.last_report = now
            self.report(
                {
                    "event": "step",
                    "epoch": epoch + 1,
                    "epochs": self.epochs,
                    "step": step + 1,
                    "steps": self.steps,
                }
            )

    def epoch(self, record: EpochRecord) -> None:
        self.report({"event": "epoch", **record.to_dict()})


def epoch_record(
    epoch: int,
    epochs: int,
    train: BinaryMetrics,
    val: BinaryMetrics,
    seconds: float,
    train_seconds: float,
    images: int,
    learning_rate: float,
) -> EpochRecord:
    """One row of the history, as the ``epoch`` event carries it (epoch is 1-based)."""
    figures = {
        f"{split}_{name}": getattr(metrics, name)
        for split, metrics in (("train", train), ("val", val))
        for name in ("loss", "accuracy", "auc")
    }
    return EpochRecord(
        epoch=epoch,
        epochs=epochs,
        **figures,
        seconds=round(seconds, 3),
        train_seconds=round(train_seconds, 3),
        images_per_s=round(images / train_seconds, 2) if train_seconds > 0 else None,
        learning_rate=learning_rate,
    )


def result(
    history: list[EpochRecord],
    val: ValMetrics,
    device: dict,
    parameters: int,
    weights: str,
    best_epoch: int,
    started: float,
    first_step: float | None,
    replicas: int = 1,
    mixed_precision: str | None = None,
    inference: Preprocessing | None = None,
) -> RunResult:
    """What ``train`` returns: history, final validation metrics, timings, device, model size."""
    train_seconds = sum(row.train_seconds for row in history)
    images = sum(row.images_per_s * row.train_seconds for row in history if row.images_per_s)
    return RunResult(
        history=history,
        val=val,
        timings=Timings(
            seconds_per_epoch=round(sum(row.seconds for row in history) / len(history), 3),
            images_per_s=round(images / train_seconds, 2) if train_seconds else None,
            total_seconds=round(time.monotonic() - started, 3),
            startup_seconds=round(first_step - started, 3) if first_step else None,
        ),
        device=DeviceInfo.from_dict(device),
        parameters=parameters,
        weights=weights,
        best_epoch=best_epoch,
        epochs_run=len(history),
        replicas=replicas,
        mixed_precision=mixed_precision,
        inference=inference.to_record() if inference else None,
    )
