"""The talk's CNN, written twice: in Keras 3 (``keras_cnn``) and in PyTorch (``torch_cnn``).

Both files build the same network from the constants below, layer by layer and with the
same names, so that a test can compare them (output shapes and parameter counts):

    5 x [Conv2D 3x3 "same" -> MaxPool2D 2x2 -> ReLU -> BatchNorm (blocks 1-4 only)]
    -> Dropout -> Flatten -> Dense(128) -> ReLU -> Dropout -> Dense(1)

Pooling comes straight after each convolution: max-pooling and ReLU commute, so the
activations are exactly those of Conv -> ReLU -> MaxPool, but ReLU and BatchNorm then work
on a quarter of the pixels. BatchNorm normalises the pooled maps (its statistics are over
those). That order trains faster than Conv -> ReLU -> BatchNorm -> MaxPool
(docs/architecture.md, "Measured figures").

Filters 32-64-64-128-256 and the 128 dense units are multiplied by ``width``; the input is
``img_size`` x ``img_size`` with ``channels`` channels (1: grayscale). At 150 px, width 1, one
channel, that is 950,465 weights (949,889 trainable + 576 BatchNorm running statistics).

The one deliberate difference is the output: the Keras model ends in a sigmoid and returns
the probability of PNEUMONIA (as in the talk, trained with ``binary_crossentropy``); the torch
model returns the logit (trained with ``BCEWithLogitsLoss``, numerically safer). Use
``torch.sigmoid(model(x))`` for a torch probability. Everything else is matched on purpose,
where the two libraries' defaults differ: Glorot-uniform weights and zero biases,
BatchNorm momentum 0.1 (torch convention; Keras ``momentum=0.9``) and epsilon 1e-3.

Neither framework is imported here: ``from models import MODEL_CODE_VERSION`` is cheap.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

BASE_FILTERS = (32, 64, 64, 128, 256)
BATCH_NORM_BLOCKS = (1, 2, 3, 4)  # the fifth block has none: 4 BatchNorm layers
BASE_DENSE_UNITS = 128
CONV_DROPOUT = 0.2  # after the last block
HEAD_DROPOUT = 0.2  # between the dense layers
BATCH_NORM_MOMENTUM = 0.1  # weight of the new batch in the running statistics
BATCH_NORM_EPSILON = 1e-3
MIN_IMG_SIZE = 32  # five 2x2 poolings must leave at least one pixel
LAST_CONV_LAYER = "conv5"  # the layer Grad-CAM looks at, in both models

_SOURCES = ("__init__.py", "keras_cnn.py", "torch_cnn.py")


def scaled(units: int, width: float) -> int:
    """``units`` times the width factor, at least one."""
    return max(1, round(units * width))


def filters(width: float) -> tuple[int, ...]:
    return tuple(scaled(f, width) for f in BASE_FILTERS)


def dense_units(width: float) -> int:
    return scaled(BASE_DENSE_UNITS, width)


def feature_size(img_size: int) -> int:
    """Side of the last feature map: five poolings, each rounding down (Keras "valid")."""
    side = img_size
    for _ in BASE_FILTERS:
        side //= 2
    return side


def check_input(img_size: int, channels: int, width: float) -> None:
    """Raise ValueError for sizes the network cannot take."""
    if img_size < MIN_IMG_SIZE:
        raise ValueError(
            f"img_size must be at least {MIN_IMG_SIZE} px (five 2x2 poolings), got {img_size}"
        )
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 (grayscale) or 3 (RGB), got {channels}")
    if not width > 0:
        raise ValueError(f"width must be positive, got {width}")


@dataclass(frozen=True)
class LayerInfo:
    """One layer as both frameworks can describe it: channels-last output shape, weights."""

    name: str
    kind: str  # conv, relu, batchnorm, maxpool, dropout, flatten, dense
    output_shape: tuple[int, ...]  # without the batch axis, channels last
    trainable: int
    non_trainable: int


def _code_version() -> str:
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for name in _SOURCES:
        digest.update(name.encode())
        digest.update((here / name).read_bytes())
    return digest.hexdigest()[:16]


MODEL_CODE_VERSION = _code_version()  # part of every run id: editing a model retrains
