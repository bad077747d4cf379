"""Class balance two ways: class weights in Keras, ``WeightedRandomSampler`` in PyTorch.

The training split is about 1 NORMAL : 3 PNEUMONIA. Keras' ``model.fit(class_weight=...)``
keeps the batches as they come and weighs each class's loss up or down; torch's
``WeightedRandomSampler`` changes which images are drawn, so batches come out about 50 : 50.
``batch_mix`` gives the talk slide's numbers: the expected class mix per batch with and
without each.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.data import CLASS_NAMES


def class_counts(labels: np.ndarray, classes: int = len(CLASS_NAMES)) -> np.ndarray:
    return np.bincount(np.asarray(labels, dtype=np.int64), minlength=classes)


def keras_class_weights(labels: np.ndarray) -> dict[int, float]:
    """``class_weight`` for ``model.fit``: N / (classes x n_c), as sklearn's "balanced"."""
    counts = class_counts(labels)
    present = counts > 0
    weights = np.zeros(len(counts))
    weights[present] = counts.sum() / (present.sum() * counts[present])
    return {label: float(w) for label, w in enumerate(weights)}


def sampler_weights(labels: np.ndarray) -> np.ndarray:
    """Per-image weights for ``WeightedRandomSampler``: 1 / (size of the image's class)."""
    counts = class_counts(labels)
    return 1.0 / counts[np.asarray(labels, dtype=np.int64)]


@dataclass(frozen=True)
class ClassMix:
    """One class's share of the data and what a batch holds of it, plain and balanced."""

    name: str
    images: int
    share: float
    per_batch_plain: float
    per_batch_sampler: float  # with WeightedRandomSampler
    class_weight: float  # Keras' class_weight
    loss_share: float  # its share of the loss with class weights


# The studio's column for each field of ClassMix.
MIX_COLUMNS = {
    "name": "class",
    "per_batch_plain": "per batch, plain",
    "per_batch_sampler": "per batch, WeightedRandomSampler",
    "class_weight": "Keras class weight",
    "loss_share": "share of the loss, class weights",
}


def batch_mix(labels: np.ndarray, batch_size: int = 32) -> list[ClassMix]:
    """One row per class: its share of the data and what a batch of ``batch_size`` holds."""
    counts = class_counts(labels)
    total = counts.sum()
    if total == 0:
        raise ValueError("no labels: the split is empty")
    present = int((counts > 0).sum())
    weights = keras_class_weights(labels)
    rows = []
    for label, name in enumerate(CLASS_NAMES):
        share = counts[label] / total
        rows.append(
            ClassMix(
                name=name,
                images=int(counts[label]),
                share=float(share),
                per_batch_plain=float(batch_size * share),
                per_batch_sampler=float(batch_size / present) if counts[label] else 0.0,
                class_weight=weights[label],
                loss_share=float(share * weights[label]),
            )
        )
    return rows
