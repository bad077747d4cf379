"""The talk's MODEL slide, read from the two built models instead of typed in.

    found = architecture()          # both models built once (torch first), then read from the cache
    found.models["keras"].counts    # LayerCounts(conv=5, batchnorm=4, maxpool=5, dropout=2, ...)

The slide lists 5 Conv2D, 4 BatchNormalization, 5 MaxPooling2D and 2 Dropout layers (``SLIDE``).
``build`` constructs ``models.torch_cnn.PneumoniaCNN`` and then ``models.keras_cnn.build_keras_cnn``
(torch before TensorFlow: the other order crashes, docs/architecture.md) and describes every
layer of each through the models' own ``layer_summary``: kind, output shape, weights. Building
both costs the frameworks' import (docs/architecture.md, "Torch first", gives its time and
memory), so the result is kept on disk per
model code version and input size: a page pays it once per machine, and ``cached`` reads it
without importing anything.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from models import MODEL_CODE_VERSION
from pipeline.settings import cache_entry_intact, cache_root, write_cache_entry

# 150 px grayscale is the app's choice for the MODEL slide (the talk's slides give no input size:
# pipeline.talk.origins), the size of the app's ``talk`` preset.
DEFAULT_SIZE = 150
KINDS = ("conv", "batchnorm", "maxpool", "dropout", "dense", "relu", "flatten")
KIND_NAMES = {
    "conv": "Conv2D",
    "batchnorm": "BatchNormalization",
    "maxpool": "MaxPooling2D",
    "dropout": "Dropout",
    "dense": "Dense",
    "relu": "ReLU",
    "flatten": "Flatten",
}
FRAMEWORK_ORDER = ("keras", "torch")


@dataclass(frozen=True)
class LayerCounts:
    conv: int = 0
    batchnorm: int = 0
    maxpool: int = 0
    dropout: int = 0
    dense: int = 0
    relu: int = 0
    flatten: int = 0

    def of(self, kind: str) -> int:
        return getattr(self, kind)


SLIDE = LayerCounts(conv=5, batchnorm=4, maxpool=5, dropout=2)  # what the MODEL slide lists
SLIDE_KINDS = ("conv", "batchnorm", "maxpool", "dropout")


@dataclass(frozen=True)
class Layer:
    name: str
    kind: str  # one of KINDS
    output_shape: tuple[int, ...]  # without the batch axis, channels last in both frameworks
    trainable: int
    non_trainable: int  # BatchNorm's running mean and variance

    @property
    def parameters(self) -> int:
        return self.trainable + self.non_trainable


@dataclass(frozen=True)
class BuiltModel:
    framework: str  # keras or torch
    layers: tuple[Layer, ...]

    @property
    def counts(self) -> LayerCounts:
        return LayerCounts(
            **{kind: sum(layer.kind == kind for layer in self.layers) for kind in KINDS}
        )

    @property
    def parameters(self) -> int:
        return sum(layer.parameters for layer in self.layers)

    @property
    def trainable(self) -> int:
        return sum(layer.trainable for layer in self.layers)


@dataclass(frozen=True)
class Architecture:
    img_size: int
    channels: int
    width: float
    code_version: str  # models.MODEL_CODE_VERSION when it was built
    models: dict[str, BuiltModel]  # keras, torch

    def differences(self) -> list[str]:
        """Where the two built models disagree, layer by layer (empty when they match)."""
        keras, torch = self.models["keras"].layers, self.models["torch"].layers
        found = [] if len(keras) == len(torch) else [f"{len(keras)} layers vs {len(torch)}"]
        for k, t in zip(keras, torch):
            if (k.name, k.kind, k.output_shape, k.parameters) != (
                t.name,
                t.kind,
                t.output_shape,
                t.parameters,
            ):
                found.append(
                    f"{k.name}: Keras {k.output_shape} {k.parameters:,}, PyTorch "
                    f"{t.output_shape} {t.parameters:,}"
                )
        return found

    def matches_slide(self, framework: str) -> bool:
        counts = self.models[framework].counts
        return all(counts.of(kind) == SLIDE.of(kind) for kind in SLIDE_KINDS)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Architecture:
        models = {
            name: BuiltModel(
                model["framework"],
                tuple(
                    Layer(
                        layer["name"],
                        layer["kind"],
                        tuple(layer["output_shape"]),
                        int(layer["trainable"]),
                        int(layer["non_trainable"]),
                    )
                    for layer in model["layers"]
                ),
            )
            for name, model in data["models"].items()
        }
        return cls(data["img_size"], data["channels"], data["width"], data["code_version"], models)


def build(img_size: int = DEFAULT_SIZE, channels: int = 1, width: float = 1.0) -> Architecture:
    """Both models built here and described layer by layer (imports torch, then Keras)."""
    from models import torch_cnn  # torch first: importing TensorFlow before it crashes

    torch_layers = torch_cnn.layer_summary(torch_cnn.PneumoniaCNN(img_size, channels, width))
    from models import keras_cnn

    keras_layers = keras_cnn.layer_summary(keras_cnn.build_keras_cnn(img_size, channels, width))
    return Architecture(
        img_size,
        channels,
        float(width),
        MODEL_CODE_VERSION,
        {"keras": _described("keras", keras_layers), "torch": _described("torch", torch_layers)},
    )


def _described(framework: str, summary) -> BuiltModel:
    return BuiltModel(
        framework,
        tuple(
            Layer(
                info.name,
                info.kind,
                tuple(int(d) for d in info.output_shape),
                info.trainable,
                info.non_trainable,
            )
            for info in summary
        ),
    )


def cache_path(img_size: int = DEFAULT_SIZE, channels: int = 1, width: float = 1.0) -> Path:
    key = json.dumps([MODEL_CODE_VERSION, img_size, channels, float(width)])
    return (
        cache_root() / "talk" / f"architecture-{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"
    )


def cached(
    img_size: int = DEFAULT_SIZE, channels: int = 1, width: float = 1.0
) -> Architecture | None:
    """The stored description of the current model code, or None (nothing is imported)."""
    path = cache_path(img_size, channels, width)
    if not path.is_file() or not cache_entry_intact(path):
        return None
    return Architecture.from_dict(json.loads(path.read_text()))


def build_and_store(img_size: int = DEFAULT_SIZE, channels: int = 1, width: float = 1.0) -> str:
    """``build`` and keep the result on disk; returns its JSON (plain text crosses processes)."""
    text = json.dumps(build(img_size, channels, width).to_dict())
    write_cache_entry(cache_path(img_size, channels, width), text.encode())
    return text


def architecture(
    img_size: int = DEFAULT_SIZE, channels: int = 1, width: float = 1.0
) -> Architecture:
    """The cached description, built (in this process) when there is none yet."""
    found = cached(img_size, channels, width)
    if found is not None:
        return found
    return Architecture.from_dict(json.loads(build_and_store(img_size, channels, width)))


@dataclass(frozen=True)
class SlideSummary:
    """A built model as the MODEL slide counts it: its layers of the slide's kinds, its weights."""

    counts: LayerCounts
    parameters: int

    def to_dict(self) -> dict:
        """What ``python -m pipeline.talk slides`` prints for one framework."""
        return {
            **{kind: self.counts.of(kind) for kind in SLIDE_KINDS},
            "parameters": self.parameters,
        }


def summary(found: Architecture) -> dict[str, SlideSummary]:
    """Framework -> its model's ``SlideSummary``."""
    return {
        name: SlideSummary(model.counts, model.parameters) for name, model in found.models.items()
    }
