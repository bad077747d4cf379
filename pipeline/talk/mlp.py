"""A multi-layer perceptron learning XOR: the talk's answer to the first winter, in plain NumPy.

    points = perceptron.dataset("xor")        # the very points the perceptron fails on
    trace = learn(points)                     # snapshots of the network as it learns
    grid = probabilities(trace.snapshots[-1], LIMITS)   # P(class +1) over the plane

One hidden layer of tanh units and a sigmoid output, trained by full-batch gradient descent with
momentum on the cross-entropy, its gradients written out by backpropagation (Rumelhart, Hinton
and Williams 1986). A hidden layer bends the boundary: where one line can never separate XOR's
corners, two hidden units already can (Minsky and Papert's objection was to one layer only).
Milliseconds on a CPU; no framework.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.talk.perceptron import Points

DEFAULT_HIDDEN = 4
DEFAULT_EPOCHS = 150
DEFAULT_RATE = 0.05
DEFAULT_SEED = 3
MOMENTUM = 0.9
SNAPSHOTS = 30  # weight sets kept for the animation: evenly spread, first and last always


@dataclass(frozen=True)
class Weights:
    w1: np.ndarray  # (2, H)
    b1: np.ndarray  # (H,)
    w2: np.ndarray  # (H,)
    b2: float


@dataclass(frozen=True)
class MlpTrace:
    hidden: int
    epochs: int
    snapshot_epochs: tuple[int, ...]  # the epoch each snapshot was taken after (0: before any)
    snapshots: tuple[Weights, ...]
    loss_per_epoch: np.ndarray  # (epochs,) mean cross-entropy before each epoch's update
    wrong_per_epoch: np.ndarray  # (epochs,) points on the wrong side before each epoch's update
    wrong_at_the_end: int
    solved_at: int | None  # the first epoch after which no point is wrong, or None


def forward(weights: Weights, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(hidden activations (N, H), P(class +1) (N,))."""
    hidden = np.tanh(x @ weights.w1 + weights.b1)
    return hidden, 1.0 / (1.0 + np.exp(-(hidden @ weights.w2 + weights.b2)))


def wrong(weights: Weights, points: Points) -> int:
    predicted = np.where(forward(weights, points.x)[1] >= 0.5, 1, -1)
    return int(np.sum(predicted != points.y))


def _initial(hidden: int, seed: int) -> Weights:
    rng = np.random.default_rng(seed)
    limit = np.sqrt(6.0 / (2 + hidden))  # Glorot-uniform, as Keras would start it
    return Weights(
        rng.uniform(-limit, limit, (2, hidden)),
        np.zeros(hidden),
        rng.uniform(-limit, limit, hidden),
        0.0,
    )


def _gradients(weights: Weights, points: Points) -> tuple[float, Weights]:
    """Mean cross-entropy and its gradient, by backpropagation."""
    targets = (points.y + 1) / 2
    hidden, p = forward(weights, points.x)
    eps = 1e-12
    loss = float(-np.mean(targets * np.log(p + eps) + (1 - targets) * np.log(1 - p + eps)))
    delta_out = (p - targets) / len(targets)  # dLoss/dlogit for a sigmoid and cross-entropy
    delta_hidden = np.outer(delta_out, weights.w2) * (1 - hidden**2)  # through tanh
    return loss, Weights(
        points.x.T @ delta_hidden,
        delta_hidden.sum(axis=0),
        hidden.T @ delta_out,
        float(delta_out.sum()),
    )


def _step(
    weights: Weights, velocity: Weights, grad: Weights, rate: float
) -> tuple[Weights, Weights]:
    """One step of gradient descent with momentum: (new weights, new velocity)."""
    moved = tuple(MOMENTUM * v - rate * g for v, g in zip(_parts(velocity), _parts(grad)))
    return Weights(*(w + m for w, m in zip(_parts(weights), moved))), Weights(*moved)


def _parts(weights: Weights) -> tuple:
    return weights.w1, weights.b1, weights.w2, weights.b2


def learn(
    points: Points,
    hidden: int = DEFAULT_HIDDEN,
    epochs: int = DEFAULT_EPOCHS,
    rate: float = DEFAULT_RATE,
    seed: int = DEFAULT_SEED,
) -> MlpTrace:
    """Full-batch gradient descent with momentum; ``SNAPSHOTS`` weight sets kept on the way."""
    if hidden < 1 or epochs < 1:
        raise ValueError(f"hidden units and epochs must be at least 1, not {hidden} and {epochs}")
    keep = set(np.linspace(0, epochs, min(SNAPSHOTS, epochs + 1)).round().astype(int).tolist())
    weights = _initial(hidden, seed)
    velocity = Weights(np.zeros((2, hidden)), np.zeros(hidden), np.zeros(hidden), 0.0)
    snapshots, taken, losses, mistakes, solved = [], [], [], [], None
    for epoch in range(epochs + 1):
        if epoch in keep:
            snapshots.append(weights)
            taken.append(epoch)
        if epoch == epochs:
            break
        loss, grad = _gradients(weights, points)
        losses.append(loss)
        mistakes.append(wrong(weights, points))
        weights, velocity = _step(weights, velocity, grad, rate)
        if solved is None and wrong(weights, points) == 0:
            solved = epoch + 1
    return MlpTrace(
        hidden,
        epochs,
        tuple(taken),
        tuple(snapshots),
        np.array(losses),
        np.array(mistakes),
        wrong(weights, points),
        solved,
    )


def probabilities(weights: Weights, limits: tuple[float, float], steps: int = 61) -> np.ndarray:
    """P(class +1) on a ``steps`` x ``steps`` grid over ``limits`` (rows: x2, columns: x1)."""
    axis = np.linspace(limits[0], limits[1], steps)
    x1, x2 = np.meshgrid(axis, axis)
    return forward(weights, np.column_stack([x1.ravel(), x2.ravel()]))[1].reshape(steps, steps)
