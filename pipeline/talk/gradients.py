"""Why deep sigmoid networks would not train (the second AI winter) and ReLU ones do.

    profile = gradient_profile("sigmoid", depth=20)   # the loss gradient's size at every layer

A plain fully connected network of ``depth`` layers, initialised as people did for each
activation (Glorot for the sigmoid, He for ReLU), one batch of random inputs, and backpropagation
written out in numpy: the page shows what reaches each layer. The sigmoid's slope is at most 1/4,
so each layer multiplies the gradient by a factor below one and the first layers barely learn
(Hochreiter 1991; Glorot and Bengio 2010); ReLU's slope is 1 wherever a unit is active.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ACTIVATIONS = ("sigmoid", "relu")
DEFAULT_DEPTH, DEFAULT_WIDTH, DEFAULT_BATCH, DEFAULT_SEED = 20, 64, 128, 0


@dataclass(frozen=True)
class Profile:
    activation: str
    gradient_norm: (
        np.ndarray
    )  # (depth,) Frobenius norm of dLoss/dW for layer 1 (input side) .. depth
    max_slope: float  # the activation's largest derivative


def activate(name: str, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(activation, its derivative) at ``z``."""
    if name == "sigmoid":
        a = 1.0 / (1.0 + np.exp(-z))
        return a, a * (1.0 - a)
    if name == "relu":
        return np.maximum(z, 0.0), (z > 0).astype(z.dtype)
    raise ValueError(f"unknown activation {name!r}: choose one of {', '.join(ACTIVATIONS)}")


def gradient_profile(
    activation: str,
    depth: int = DEFAULT_DEPTH,
    width: int = DEFAULT_WIDTH,
    batch: int = DEFAULT_BATCH,
    seed: int = DEFAULT_SEED,
) -> Profile:
    """One forward and backward pass; the loss is the mean squared output against random targets."""
    rng = np.random.default_rng(seed)
    fan = width
    scale = np.sqrt(1.0 / fan) if activation == "sigmoid" else np.sqrt(2.0 / fan)
    weights = [rng.normal(0.0, scale, (width, width)) for _ in range(depth)]
    x = rng.normal(0.0, 1.0, (batch, width))
    targets = rng.normal(0.0, 1.0, (batch, width))
    inputs, slopes = [], []
    a = x
    for w in weights:
        inputs.append(a)
        a, slope = activate(activation, a @ w)
        slopes.append(slope)
    delta = 2.0 * (a - targets) / a.size  # dLoss/da at the output
    norms = np.zeros(depth)
    for layer in reversed(range(depth)):
        delta = delta * slopes[layer]  # through the activation
        norms[layer] = np.linalg.norm(inputs[layer].T @ delta)
        delta = delta @ weights[layer].T  # into the layer below
    z = np.linspace(-6, 6, 1201)
    return Profile(activation, norms, float(activate(activation, z)[1].max()))


def slope_curve(activation: str, z: np.ndarray) -> np.ndarray:
    return activate(activation, z)[1]
