"""A small file in ``keras.datasets.mnist``'s format, made here: nothing is downloaded."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def write_mnist(keras_home: Path, train: int, test: int) -> Path:
    """``KERAS_HOME/datasets/mnist.npz`` with ``train`` and ``test`` random 28 x 28 digits."""
    rng = np.random.default_rng(0)
    path = Path(keras_home) / "datasets" / "mnist.npz"
    path.parent.mkdir()
    np.savez(
        path,
        x_train=rng.integers(0, 256, (train, 28, 28), dtype=np.uint8),
        y_train=rng.integers(0, 10, train),
        x_test=rng.integers(0, 256, (test, 28, 28), dtype=np.uint8),
        y_test=rng.integers(0, 10, test),
    )
    return path
