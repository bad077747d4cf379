"""Dataset mean and std for per-dataset normalisation, computed the Keras way and the PyTorch way.

The talk's slide: Keras *fits* the statistics (``ImageDataGenerator.fit(x)``), PyTorch makes
you *compute* them and pass constants to ``Normalize(mean, std)``. Both are done here over the
same pixels, streamed in chunks so neither needs the whole split as floats in memory:

- ``fit_stats``: ``ImageDataGenerator.fit`` on each chunk (it stores that chunk's mean and std
  after ``rescale``); the chunks are then pooled exactly (Chan et al.'s parallel variance).
- ``precomputed_stats``: running float64 sums of x and x^2 in torch, the usual recipe.

They agree to about 1e-6 (float32 inside ``fit`` against float64 sums); ``agreement`` says how
close they came. Both are the statistics *after* rescale, as ImageDataGenerator uses them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

CHUNK_IMAGES = 128  # 128 images at 224 px are 26 MB as float32: small next to a model


@dataclass(frozen=True)
class DatasetStats:
    """One mean and one std (grayscale), for pixels multiplied by ``rescale``."""

    mean: float
    std: float
    images: int
    rescale: float
    method: str = ""
    seconds: float = 0.0


def check_stats(spec, stats: DatasetStats | None) -> None:
    """Refuse per-dataset normalisation without statistics, or with ones for another rescale."""
    if spec.normalization != "per_dataset":
        return
    if stats is None:
        raise ValueError(
            "normalization 'per_dataset' needs the training split's mean and std: "
            "compute them with pipeline.augment.stats.split_stats(source, size, rescale)"
        )
    if not math.isclose(stats.rescale, spec.rescale, rel_tol=1e-9):
        raise ValueError(
            f"the statistics were computed for rescale {stats.rescale:g}, "
            f"the spec rescales by {spec.rescale:g}: compute them again"
        )


def iter_chunks(images: np.ndarray, chunk: int = CHUNK_IMAGES) -> Iterator[np.ndarray]:
    """(n, H, W) slices of ``images``; a memory-mapped array is read one slice at a time."""
    for start in range(0, len(images), chunk):
        yield images[start : start + chunk]


def fit_stats(chunks: Iterable[np.ndarray], rescale: float) -> DatasetStats:
    """Keras' way: ``ImageDataGenerator(featurewise_...).fit`` per chunk, pooled exactly."""
    from pipeline.frameworks import image_data_generator_class

    generator = image_data_generator_class()(
        featurewise_center=True,
        featurewise_std_normalization=True,
        rescale=None if rescale == 1.0 else rescale,
        data_format="channels_last",
        dtype="float32",
    )
    started = time.perf_counter()
    pooled = _Pooled()
    images = 0
    for chunk in chunks:
        generator.fit(chunk[..., None])
        pooled.add(chunk.size, float(generator.mean.squeeze()), float(generator.std.squeeze()) ** 2)
        images += len(chunk)
    return DatasetStats(
        pooled.mean,
        math.sqrt(pooled.variance),
        images,
        rescale,
        "ImageDataGenerator.fit, per chunk",
        time.perf_counter() - started,
    )


def precomputed_stats(chunks: Iterable[np.ndarray], rescale: float) -> DatasetStats:
    """PyTorch's way: sums of x and x^2 in float64, then constants for ``Normalize``."""
    from pipeline.frameworks import import_torch

    torch = import_torch()

    started = time.perf_counter()
    total = torch.zeros((), dtype=torch.float64)
    total_squares = torch.zeros((), dtype=torch.float64)
    pixels = images = 0
    for chunk in chunks:
        x = (
            torch.from_numpy(np.asarray(chunk, dtype=np.float64)) * rescale
        )  # a float64 copy of one chunk
        total += x.sum()
        total_squares += x.square().sum()
        pixels += x.numel()
        images += len(chunk)
    if pixels == 0:
        raise ValueError("no images to compute statistics from")
    mean = total.item() / pixels
    variance = max(total_squares.item() / pixels - mean * mean, 0.0)
    return DatasetStats(
        mean,
        math.sqrt(variance),
        images,
        rescale,
        "torch sums (precomputed)",
        time.perf_counter() - started,
    )


def split_stats(
    source: str, size: int, rescale: float, method: str = "precomputed"
) -> DatasetStats:
    """Statistics of ``source``'s training split at ``size`` px (``method``: precomputed or fit)."""
    from pipeline.data import load_split

    images = load_split(source, "train", size).images
    compute = {"precomputed": precomputed_stats, "fit": fit_stats}[method]
    return compute(iter_chunks(images), rescale)


def agreement(a: DatasetStats, b: DatasetStats) -> float:
    """The larger relative difference of the two means and the two stds."""
    return max(
        abs(a.mean - b.mean) / max(abs(b.mean), 1e-12), abs(a.std - b.std) / max(b.std, 1e-12)
    )


class _Pooled:
    """Mean and variance of a union of groups from each group's size, mean and variance."""

    def __init__(self):
        self.count = 0
        self.mean = 0.0
        self._m2 = 0.0  # sum of squared deviations from the running mean

    def add(self, count: int, mean: float, variance: float) -> None:
        if count == 0:
            return
        total = self.count + count
        delta = mean - self.mean
        self._m2 += count * variance + delta * delta * self.count * count / total
        self.mean += delta * count / total
        self.count = total

    @property
    def variance(self) -> float:
        if self.count == 0:
            raise ValueError("no images to compute statistics from")
        return self._m2 / self.count
