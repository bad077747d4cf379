"""Which test images to look at: a filter by class, outcome and predicted probability, and the
most confident mistakes. The Predictions page's image picker and gallery, and the warm-up's
first image, are these functions.

    chosen = ImageFilter(wanted_class="PNEUMONIA", outcome="wrong", band=(0.0, 0.5))
    matching_images(labels, probabilities, threshold, chosen)    # indices, in split order
    confident_mistakes(labels, probabilities, threshold, 12)     # most confident first
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.data import CLASS_NAMES

OUTCOMES = ("all", "correct", "wrong")


@dataclass(frozen=True)
class ImageFilter:
    """``wanted_class``: "all" or a class name; ``outcome``: one of ``OUTCOMES``; ``band``: the
    closed range of P(PNEUMONIA) kept. The defaults keep every image."""

    wanted_class: str = "all"
    outcome: str = "all"
    band: tuple[float, float] = (0.0, 1.0)


def matching_images(
    labels: np.ndarray, probabilities: np.ndarray, threshold: float, chosen: ImageFilter
) -> np.ndarray:
    """Indices of the images that pass ``chosen``; the outcome compares the label at
    ``threshold`` (PNEUMONIA when the probability is at least it) with the truth."""
    low, high = chosen.band
    keep = (probabilities >= low) & (probabilities <= high)
    if chosen.wanted_class != "all":
        keep &= labels == CLASS_NAMES.index(chosen.wanted_class)
    if chosen.outcome != "all":
        predicted = (probabilities >= threshold).astype(int)
        keep &= (predicted == labels) == (chosen.outcome == "correct")
    return np.flatnonzero(keep)


def confident_mistakes(
    labels: np.ndarray, probabilities: np.ndarray, threshold: float, limit: int
) -> tuple[np.ndarray, int]:
    """The ``limit`` wrong images farthest from 0.5 (most confident first), and how many are wrong."""
    wrong = np.flatnonzero((probabilities >= threshold).astype(int) != labels)
    order = np.argsort(-np.abs(probabilities[wrong] - 0.5))
    return wrong[order][:limit], len(wrong)
