"""Per-class pixel statistics for the explorer: mean images, grey-level shares, original sizes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .arrays import SplitArrays
from .core import CLASS_NAMES


@dataclass(frozen=True)
class ClassStatistics:
    """One class's pixels: its mean image, its grey levels and its images' original sizes."""

    mean_image: np.ndarray | None  # (H, W) float32; None when the class has no image
    intensity_share: np.ndarray  # (256,): the share of the class's pixels at each grey level
    sizes: np.ndarray  # (N, 2): width and height of each image before resizing


def class_statistics(arrays: SplitArrays) -> dict[str, ClassStatistics]:
    """Each class's statistics, by class name."""
    stats = {}
    for label, name in enumerate(CLASS_NAMES):
        images = arrays.images[arrays.labels == label]
        # One bincount per image: a single bincount over all pixels casts them to int64 first
        # (about 0.5 GB for the real training set) and is ten times slower.
        counts = sum(
            (np.bincount(image.ravel(), minlength=256) for image in images), np.zeros(256, np.int64)
        )
        stats[name] = ClassStatistics(
            mean_image=images.mean(axis=0, dtype=np.float32) if len(images) else None,
            intensity_share=counts / max(counts.sum(), 1),
            sizes=arrays.original_sizes[arrays.labels == label],
        )
    return stats
