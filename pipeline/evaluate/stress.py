"""Shift-stress evaluation: a run's AUC and accuracy when the X-rays look as if taken elsewhere.

    report = stress_cached(run_id, source="synthetic", split="test")
    report.rows        # StressRow(shift, severity, auc, accuracy), 12 shifts x 3 severities
    report.mean        # StressFigures(auc, accuracy) over all 36
    report.clean       # the same images, unshifted, through the same path

A proxy for data from elsewhere, which the project never looks at: each shift imitates one way
another hospital's acquisition differs (exposure and processing, detector resolution, noise and
compression, field of view and collimation, positioning, the image's aspect ratio), at three
severities from mild to strong. docs/generalisation.md lists them with what each imitates.

Where a shift happens matters. The data layer resizes every file straight to the model's size
(squashing its aspect ratio); an acquisition difference happens before that. So the split is
decoded at twice the run's size (the "acquisition" image), shifted there, and only then resized
to the run's size by the model's own resize (``pipeline.inference.resize_to``). The clean
figures go through the same two steps, so a shift's cost is its row minus ``clean``.

Deterministic: every random draw (noise, crop position, rotation sign) comes from a generator
seeded by the shift, the severity and ``seed``; the same call gives the same numbers.
The accuracy is at the run's own threshold (``pipeline.threshold``), as deployed.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from pipeline.data import SPLITS, open_source
from pipeline.settings import cache_root, read_cached_json, write_cache_entry

SEED = 0
VERSION = "stress-1"  # part of the cache key: a change to the shifts makes new entries
WORK_SCALE = 2  # the acquisition image is this many times the run's size (at most MAX_WORK)
MAX_WORK = 512


@dataclass(frozen=True)
class Shift:
    """One acquisition difference: ``apply(image, level, rng, size)`` on a uint8 (W, W) image,
    where ``size`` is the run's input size (resolution shifts are relative to it)."""

    name: str
    family: str  # the six families
    levels: tuple[float, float, float]  # severities 1, 2, 3
    unit: str  # what a level means, for people
    apply: Callable[[np.ndarray, float, np.random.Generator, int], np.ndarray]


# ---- the shifts (each a few lines; PIL does the resampling, as the data layer) ----

_SHIFTS: list[Shift] = []  # in the order defined below


def _shift(family: str, levels: tuple[float, float, float], unit: str):
    """Makes the function below a ``Shift`` named as it is (without the underscore), so that
    each shift's family, severities and unit stand with what it does."""

    def register(apply):
        _SHIFTS.append(Shift(apply.__name__.removeprefix("_"), family, levels, unit, apply))
        return apply

    return register


@_shift("intensity", (0.75, 0.55, 0.4), "contrast factor")
def _contrast(image, factor, rng, size):
    mean = image.mean()
    return _clip(mean + (image.astype(np.float64) - mean) * factor)


@_shift("intensity", (0.75, 0.55, 0.4), "gamma")
def _gamma(image, gamma, rng, size):
    return _clip(255.0 * (image / 255.0) ** gamma)


@_shift("intensity", (20.0, 40.0, 60.0), "grey levels added")
def _brightness(image, offset, rng, size):
    return _clip(image.astype(np.float64) + offset)


@_shift("resolution", (0.75, 1.5, 2.5), "Gaussian sigma, input pixels")
def _blur(image, sigma, rng, size):  # sigma in pixels of the model's input
    radius = sigma * image.shape[0] / size
    return np.asarray(Image.fromarray(image).filter(ImageFilter.GaussianBlur(radius)))


@_shift("resolution", (0.7, 0.5, 0.35), "detector pixels / input")
def _resolution(image, factor, rng, size):  # a coarser detector: fewer pixels than the model reads
    small = max(8, round(size * factor))
    pil = Image.fromarray(image).resize((small, small), Image.Resampling.BILINEAR)
    return np.asarray(pil.resize(image.shape[::-1], Image.Resampling.BILINEAR))


@_shift("noise", (6.0, 12.0, 24.0), "Gaussian sigma, grey levels")
def _noise(image, sigma, rng, size):
    return _clip(image + rng.normal(0.0, sigma, image.shape))


@_shift("noise", (40.0, 20.0, 8.0), "JPEG quality")
def _jpeg(image, quality, rng, size):
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=int(quality))
    return np.asarray(Image.open(buffer).convert("L"))


@_shift("field of view", (0.9, 0.8, 0.7), "share of the side kept")
def _zoom(image, keep, rng, size):  # a tighter field of view, centred
    side = image.shape[0]
    cut = round(side * keep)
    start = (side - cut) // 2
    return _square(image[start : start + cut, start : start + cut], side)


@_shift("field of view", (0.9, 0.8, 0.7), "share of the side kept")
def _crop(image, keep, rng, size):  # a tighter field of view, off-centre (a random corner)
    side = image.shape[0]
    cut = round(side * keep)
    top, left = (rng.integers(0, 2, 2) * (side - cut)).tolist()
    return _square(image[top : top + cut, left : left + cut], side)


@_shift("field of view", (0.05, 0.1, 0.15), "frame width / side")
def _border(image, share, rng, size):  # collimation: a black frame over the edges
    width = max(1, round(image.shape[0] * share))
    framed = image.copy()
    framed[:width], framed[-width:], framed[:, :width], framed[:, -width:] = 0, 0, 0, 0
    return framed


@_shift("rotation", (5.0, 10.0, 15.0), "degrees")
def _rotation(image, degrees, rng, size):  # the patient a little turned; corners get the background
    sign = 1 if rng.random() < 0.5 else -1
    pil = Image.fromarray(image).rotate(
        sign * degrees, Image.Resampling.BILINEAR, fillcolor=_background(image)
    )
    return np.asarray(pil)


@_shift("aspect ratio", (0.85, 0.7, 0.55), "width / height of the anatomy")
def _aspect(image, squeeze, rng, size):
    """A wider original: squashed to a square, its anatomy comes out narrower (sides background)."""
    side = image.shape[0]
    width = round(side * squeeze)
    narrow = np.asarray(Image.fromarray(image).resize((width, side), Image.Resampling.BILINEAR))
    out = np.full_like(image, _background(image))
    left = (side - width) // 2
    out[:, left : left + width] = narrow
    return out


SHIFTS = tuple(_SHIFTS)
SHIFT_NAMES = tuple(shift.name for shift in SHIFTS)


def shift_by_name(name: str) -> Shift:
    for shift in SHIFTS:
        if shift.name == name:
            return shift
    raise ValueError(f"unknown shift '{name}'; known: {', '.join(SHIFT_NAMES)}")


def apply_shift(
    images: np.ndarray, shift: Shift, severity: int, size: int, seed: int = SEED
) -> np.ndarray:
    """``images`` (N, W, W) uint8 under ``shift`` at ``severity`` (1-3), reproducibly."""
    level = shift.levels[severity - 1]
    rng = np.random.default_rng([seed, zlib.crc32(shift.name.encode()), severity])
    return np.stack([shift.apply(image, level, rng, size) for image in images])


# ---- scoring ----


@dataclass(frozen=True)
class StressRow:
    shift: str
    severity: int
    auc: float | None
    accuracy: float


@dataclass(frozen=True)
class StressFigures:
    """AUC (None without both classes) and accuracy at the run's threshold: of the clean images,
    or averaged over the shifted copies (``stress_mean``)."""

    auc: float | None
    accuracy: float

    def to_dict(self) -> dict:
        return asdict(self)


# the CLI's ``stress_settings``: its keys and the report's fields they hold, in their order
SETTINGS = (
    ("run_id", "run_id"),
    ("framework", "framework"),
    ("source", "source"),
    ("split", "split"),
    ("threshold", "threshold"),
    ("images", "n"),
    ("acquisition_size", "work_size"),
    ("seed", "seed"),
    ("seconds", "seconds"),
)


@dataclass
class StressReport:
    """A run's figures under every shift; ``to_json`` gives the CLI's ``stress`` fields."""

    run_id: str
    framework: str
    source: str
    split: str
    threshold: float
    n: int
    work_size: int
    seed: int
    seconds: float
    clean: StressFigures  # through the same two-step resize
    rows: list[StressRow] = field(default_factory=list)

    @property
    def mean(self) -> StressFigures:
        return stress_mean(self.rows)

    def to_json(self) -> dict:
        settings = {key: getattr(self, name) for key, name in SETTINGS}
        return {
            "stress": [asdict(row) for row in self.rows],
            "stress_mean": self.mean.to_dict(),
            "stress_clean": self.clean.to_dict(),
            "stress_settings": settings | {"seconds": round(self.seconds, 1)},
        }

    @classmethod
    def from_json(cls, data: dict) -> StressReport:
        settings = data["stress_settings"]
        return cls(
            **{name: settings[key] for key, name in SETTINGS},
            clean=StressFigures(**data["stress_clean"]),
            rows=[StressRow(**row) for row in data["stress"]],
        )


def stress_mean(rows: list[StressRow]) -> StressFigures:
    """The figures averaged over the shifted copies (AUC over those that have one)."""
    aucs = [row.auc for row in rows if row.auc is not None]
    return StressFigures(
        auc=float(np.mean(aucs)) if aucs else None,
        accuracy=float(np.mean([row.accuracy for row in rows])),
    )


def acquisition_images(source: str, split: str, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The split's images at the acquisition size (``WORK_SCALE`` x the run's) and labels."""
    if split not in SPLITS:
        raise ValueError(f"split '{split}' is not one of {', '.join(SPLITS)}")
    scan = open_source(source).scan()
    records = scan.split(split)
    decoded = open_source(source).decode(records, work_size(size))
    if not decoded.kept:
        raise ValueError(f"the {split} split of {source} has no images to stress")
    labels = np.array([records[i].label for i in decoded.kept], dtype=np.int64)
    return decoded.images, labels


def work_size(size: int) -> int:
    return min(MAX_WORK, WORK_SCALE * size)


def stress_scores(
    predict: Callable[[np.ndarray], np.ndarray],
    images: np.ndarray,
    labels: np.ndarray,
    threshold: float,
    size: int,
    seed: int = SEED,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[StressFigures, list[StressRow]]:
    """Clean and shifted figures of ``predict`` (acquisition images -> probabilities)."""
    clean = _figures(labels, predict(images), threshold)
    rows, total = [], len(SHIFTS) * 3
    for shift in SHIFTS:
        for severity in (1, 2, 3):
            probabilities = predict(apply_shift(images, shift, severity, size, seed))
            figures = _figures(labels, probabilities, threshold)
            rows.append(StressRow(shift.name, severity, figures.auc, figures.accuracy))
            if progress:
                progress(len(rows), total)
    return clean, rows


def stress_run(
    loaded, source: str, split: str = "test", seed: int = SEED, progress=None
) -> StressReport:
    """A loaded run's (``pipeline.inference.load_run_model``) figures on ``split`` of ``source``
    under every shift: a ``StressReport``."""
    from pipeline.inference import predict_proba

    def predict(batch):
        return predict_proba(loaded, batch)

    return _report(loaded.run_id, loaded.framework, predict, loaded, source, split, seed, progress)


def stress_ensemble(
    members, source: str, split: str = "test", seed: int = SEED, progress=None
) -> StressReport:
    """A seed group's mean probability under every shift (``pipeline.evaluate.ensemble``)."""
    from pipeline.evaluate.ensemble import ensemble_name, ensemble_predict, ensemble_threshold

    def predict(batch):
        return ensemble_predict(members, batch)

    name = ensemble_name([m.run_id for m in members])
    model = _Model(ensemble_threshold(members).value, members[0].img_size)
    return _report(name, members[0].framework, predict, model, source, split, seed, progress)


@dataclass(frozen=True)
class _Model:
    """What the stress needs of a model besides its predictions."""

    threshold: float
    img_size: int


def _report(name, framework, predict, model, source, split, seed, progress) -> StressReport:
    """``predict``'s figures under every shift; ``model``: its threshold and input size."""
    started = time.perf_counter()
    images, labels = acquisition_images(source, split, model.img_size)
    clean, rows = stress_scores(
        predict, images, labels, model.threshold, model.img_size, seed, progress
    )
    seconds = time.perf_counter() - started
    size = images.shape[-1]
    return StressReport(
        name,
        framework,
        source,
        split,
        model.threshold,
        len(labels),
        size,
        seed,
        seconds,
        clean,
        rows,
    )


# ---- the disk cache (the page reads it; the CLI and the page's background job write it) ----


def cache_file(run_id: str, source: str, split: str, seed: int = SEED) -> Path:
    """Where ``run_id``'s stress report on ``split`` of ``source`` is kept: keyed by the run's
    weights (a retrained run gets a new entry) and the source's fingerprint."""
    from pipeline.runs import Run

    result = Run(run_id).result()
    weights = (result.weights_sha256 if result else None) or "none"
    fingerprint = open_source(source).fingerprint()
    key = hashlib.sha256(json.dumps([run_id, weights, source, fingerprint]).encode()).hexdigest()
    return cache_root() / "stress" / f"{run_id}-{split}-{seed}-{key[:16]}-{VERSION}.json"


def cached_stress(run_id: str, source: str, split: str, seed: int = SEED) -> StressReport | None:
    """The stored report, or None when there is none (or it is damaged: computed again)."""
    return read_cached_json(cache_file(run_id, source, split, seed), StressReport.from_json)


def stress_cached(
    run_id: str,
    source: str | None = None,
    split: str = "test",
    loaded=None,
    seed: int = SEED,
    progress: Callable[[int, int], None] | None = None,
) -> StressReport:
    """``run_id``'s ``stress_run`` on ``split`` of ``source`` (default: its own), from the disk
    cache when it was computed before (and stored after); ``loaded``: the run's model when in
    hand (else it is loaded, only when the cache misses)."""
    from pipeline.inference import load_run_model
    from pipeline.runs import Run

    source = source or Run(run_id).config().source
    report = cached_stress(run_id, source, split, seed)
    if report is None:
        report = stress_run(loaded or load_run_model(run_id), source, split, seed, progress)
        write_cache_entry(
            cache_file(run_id, source, split, seed), json.dumps(report.to_json()).encode()
        )
    return report


def _figures(labels: np.ndarray, probabilities: np.ndarray, threshold: float) -> StressFigures:
    from sklearn.metrics import roc_auc_score

    both = len(np.unique(labels)) == 2
    return StressFigures(
        auc=float(roc_auc_score(labels, probabilities)) if both else None,
        accuracy=float(np.mean((probabilities >= threshold) == labels)),
    )


def _clip(values: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


def _square(image: np.ndarray, side: int) -> np.ndarray:
    return np.asarray(Image.fromarray(image).resize((side, side), Image.Resampling.BILINEAR))


def _background(image: np.ndarray) -> int:
    """The median of the outermost pixels: what surrounds the patient on this image."""
    edge = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])
    return int(np.median(edge))
