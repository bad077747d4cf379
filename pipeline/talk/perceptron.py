"""The perceptron learning algorithm (Rosenblatt 1958) on 2-D points, and why it stalls on XOR.

    points = dataset("xor")                  # Points: x (N, 2), y in {-1, +1}
    trace = learn(points, epochs=30)         # every weight vector it went through, and its mistakes

The rule: visit the points in order; when one is on the wrong side of the line w . x + b = 0,
move the line towards it (w += y x, b += y). On linearly separable points it stops making
mistakes after finitely many updates (Novikoff 1962); on points that no line separates, such as
XOR (Minsky and Papert 1969), it never stops, and the page shows the line wandering.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DATASETS = {
    "separable": "two clouds that a straight line can separate",
    "not separable": "two clouds that overlap: no line separates them",
    "xor": "XOR: opposite corners share a class (Minsky and Papert's example)",
}
DEFAULT_EPOCHS = 25
DEFAULT_SEED = 7


@dataclass(frozen=True)
class Points:
    x: np.ndarray  # (N, 2)
    y: np.ndarray  # (N,) in {-1, +1}
    name: str


@dataclass(frozen=True)
class Trace:
    weights: np.ndarray  # (U + 1, 3): (w1, w2, b) before any update, then after each update
    epoch_of_update: np.ndarray  # (U + 1,) the epoch each weight vector was reached in (0: start)
    mistakes_per_epoch: np.ndarray  # (E,) points misclassified while sweeping each epoch
    converged_at: int | None  # the first epoch with no mistake, or None

    @property
    def updates(self) -> int:
        return len(self.weights) - 1

    def errors_of(self, points: Points, index: int) -> int:
        """Points on the wrong side of weight vector ``index``."""
        w = self.weights[index]
        return int(np.sum(np.sign(points.x @ w[:2] + w[2]) != points.y))


def dataset(name: str, n: int = 60, seed: int = DEFAULT_SEED) -> Points:
    if name not in DATASETS:
        raise ValueError(f"unknown data set {name!r}: choose one of {', '.join(DATASETS)}")
    rng = np.random.default_rng(seed)
    half = n // 2
    if name == "xor":
        corners = np.array([[-1, -1], [1, 1], [-1, 1], [1, -1]], dtype=float)
        labels = np.array([-1, -1, 1, 1])
        which = np.arange(n) % 4
        x = corners[which] + rng.normal(0, 0.25, (n, 2))
        return Points(x, labels[which], name)
    spread = 0.6 if name == "separable" else 1.0
    centres = np.array([[-0.8, 0.5], [0.8, -0.1]])
    x = np.vstack(
        [
            centres[0] + rng.normal(0, spread, (half, 2)),
            centres[1] + rng.normal(0, spread, (n - half, 2)),
        ]
    )
    y = np.concatenate([-np.ones(half, int), np.ones(n - half, int)])
    if name == "separable":  # drop points that wander across: separable by construction, checked
        keep = np.sign(x @ np.array([1.0, -0.4]) - 0.15) * y >= 0.15
        x, y = x[keep], y[keep]
    return Points(x, y, name)


def learn(points: Points, epochs: int = DEFAULT_EPOCHS, seed: int = DEFAULT_SEED) -> Trace:
    """Rosenblatt's rule, one sweep per epoch in a shuffled order fixed by ``seed``."""
    order = np.random.default_rng(seed).permutation(len(points.y))
    w = np.zeros(3)
    weights, epoch_of, mistakes, converged = [w.copy()], [0], [], None
    for epoch in range(1, epochs + 1):
        wrong = 0
        for i in order:
            xi, yi = points.x[i], points.y[i]
            if yi * (xi @ w[:2] + w[2]) <= 0:
                w[:2] += yi * xi
                w[2] += yi
                wrong += 1
                weights.append(w.copy())
                epoch_of.append(epoch)
        mistakes.append(wrong)
        if wrong == 0:
            converged = epoch
            break
    return Trace(np.array(weights), np.array(epoch_of), np.array(mistakes), converged)


def boundary(w: np.ndarray, limits: tuple[float, float]) -> tuple[list[float], list[float]]:
    """Two points of the line w1 x1 + w2 x2 + b = 0 across ``limits`` (empty for w = 0)."""
    w1, w2, b = w
    low, high = limits
    if abs(w2) > 1e-12:
        return [low, high], [-(w1 * low + b) / w2, -(w1 * high + b) / w2]
    if abs(w1) > 1e-12:
        return [-b / w1, -b / w1], [low, high]
    return [], []
