"""The talk's CNN in Keras 3 (see ``models/__init__.py`` for the architecture).

Keras (and so TensorFlow) loads with this module, through ``models.frameworks``, torch first.
"""

from __future__ import annotations

from models import (
    BATCH_NORM_BLOCKS,
    BATCH_NORM_EPSILON,
    BATCH_NORM_MOMENTUM,
    CONV_DROPOUT,
    HEAD_DROPOUT,
    LayerInfo,
    check_input,
    dense_units,
    filters,
)
from models.frameworks import import_keras

keras = import_keras()
layers = keras.layers


def build_keras_cnn(img_size: int = 150, channels: int = 1, width: float = 1.0) -> keras.Model:
    """Input (N, img_size, img_size, channels) floats; output (N, 1) probability of PNEUMONIA.

    The last layer computes in float32 even under a mixed-precision policy, so the sigmoid
    and the loss stay exact.
    """
    check_input(img_size, channels, width)
    model = keras.Sequential(name="pneumonia_cnn")
    model.add(keras.Input((img_size, img_size, channels), name="image"))
    for block, out_channels in enumerate(filters(width), start=1):
        model.add(layers.Conv2D(out_channels, 3, padding="same", name=f"conv{block}"))
        model.add(layers.MaxPool2D(2, name=f"pool{block}"))
        model.add(layers.ReLU(name=f"relu{block}"))
        if block in BATCH_NORM_BLOCKS:
            model.add(
                layers.BatchNormalization(
                    momentum=1.0 - BATCH_NORM_MOMENTUM,  # Keras keeps the old statistics' weight
                    epsilon=BATCH_NORM_EPSILON,
                    name=f"bn{block}",
                )
            )
    model.add(layers.Dropout(CONV_DROPOUT, name="dropout1"))
    model.add(layers.Flatten(name="flatten"))
    model.add(layers.Dense(dense_units(width), name="dense"))
    model.add(layers.ReLU(name="relu_dense"))
    model.add(layers.Dropout(HEAD_DROPOUT, name="dropout2"))
    model.add(layers.Dense(1, activation="sigmoid", dtype="float32", name="output"))
    return model


_KINDS = {
    layers.Conv2D: "conv",
    layers.ReLU: "relu",
    layers.BatchNormalization: "batchnorm",
    layers.MaxPool2D: "maxpool",
    layers.Dropout: "dropout",
    layers.Flatten: "flatten",
    layers.Dense: "dense",
}


def layer_summary(model: keras.Model) -> list[LayerInfo]:
    """Every layer's output shape (channels last) and weight counts."""
    return [
        LayerInfo(
            name=layer.name,
            kind=_KINDS[type(layer)],
            output_shape=tuple(layer.output.shape[1:]),
            trainable=sum(int(w.numpy().size) for w in layer.trainable_weights),
            non_trainable=sum(int(w.numpy().size) for w in layer.non_trainable_weights),
        )
        for layer in model.layers
    ]


def load(path) -> keras.Model:
    """A model saved with ``model.save(".../model.keras")``, without its optimiser state."""
    return keras.models.load_model(
        path, compile=False, safe_mode=True
    )  # never run code from the file
