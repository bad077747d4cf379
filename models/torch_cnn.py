"""The talk's CNN in PyTorch (see ``models/__init__.py`` for the architecture)."""

from __future__ import annotations

from collections import OrderedDict

from models import (
    BATCH_NORM_BLOCKS,
    BATCH_NORM_EPSILON,
    BATCH_NORM_MOMENTUM,
    CONV_DROPOUT,
    HEAD_DROPOUT,
    LayerInfo,
    check_input,
    dense_units,
    feature_size,
    filters,
)
from models.frameworks import import_torch

torch = import_torch()
nn = torch.nn


class PneumoniaCNN(nn.Sequential):
    """Input (N, channels, img_size, img_size) floats; output (N, 1) logits of PNEUMONIA.

    Layers are named like the Keras model's (``conv1`` ... ``output``), so ``model.conv5``
    is the last convolution in both.
    """

    def __init__(self, img_size: int = 150, channels: int = 1, width: float = 1.0):
        check_input(img_size, channels, width)
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        in_channels = channels
        for block, out_channels in enumerate(filters(width), start=1):
            layers[f"conv{block}"] = nn.Conv2d(in_channels, out_channels, 3, padding="same")
            layers[f"pool{block}"] = nn.MaxPool2d(2)
            layers[f"relu{block}"] = nn.ReLU(inplace=True)
            if block in BATCH_NORM_BLOCKS:
                layers[f"bn{block}"] = nn.BatchNorm2d(
                    out_channels, eps=BATCH_NORM_EPSILON, momentum=BATCH_NORM_MOMENTUM
                )
            in_channels = out_channels
        side = feature_size(img_size)
        layers["dropout1"] = nn.Dropout(CONV_DROPOUT)
        layers["flatten"] = nn.Flatten()
        layers["dense"] = nn.Linear(in_channels * side * side, dense_units(width))
        layers["relu_dense"] = nn.ReLU(inplace=True)
        layers["dropout2"] = nn.Dropout(HEAD_DROPOUT)
        layers["output"] = nn.Linear(dense_units(width), 1)
        super().__init__(layers)
        self.img_size, self.channels, self.width = img_size, channels, width
        self.apply(_keras_initialisation)


def _keras_initialisation(module: nn.Module) -> None:
    """Glorot-uniform weights and zero biases, Keras's defaults, so both start alike."""
    if isinstance(module, (nn.Conv2d, nn.Linear)):
        nn.init.xavier_uniform_(module.weight)
        nn.init.zeros_(module.bias)


def layer_summary(model: PneumoniaCNN) -> list[LayerInfo]:
    """Every layer's output shape (channels last) and weight counts, from one forward pass."""
    shapes: dict[str, tuple[int, ...]] = {}
    hooks = [
        module.register_forward_hook(_record_shape(shapes, name))
        for name, module in model.named_children()
    ]
    try:
        model.eval()
        with torch.no_grad():
            model(torch.zeros(1, model.channels, model.img_size, model.img_size))
    finally:
        for hook in hooks:
            hook.remove()
    return [
        LayerInfo(
            name=name,
            kind=_kind(module),
            output_shape=shapes[name],
            trainable=sum(p.numel() for p in module.parameters()),
            non_trainable=sum(
                b.numel() for n, b in module.named_buffers() if n != "num_batches_tracked"
            ),
        )
        for name, module in model.named_children()
    ]


def _record_shape(shapes, name):
    def hook(module, inputs, output):
        shape = tuple(output.shape[1:])
        shapes[name] = (*shape[1:], shape[0]) if len(shape) == 3 else shape  # CHW -> HWC

    return hook


_KINDS = {
    nn.Conv2d: "conv",
    nn.ReLU: "relu",
    nn.BatchNorm2d: "batchnorm",
    nn.MaxPool2d: "maxpool",
    nn.Dropout: "dropout",
    nn.Flatten: "flatten",
    nn.Linear: "dense",
}


def _kind(module: nn.Module) -> str:
    return _KINDS[type(module)]


def count_parameters(model: nn.Module) -> int:
    """Trainable parameters plus BatchNorm running statistics (what Keras counts)."""
    return sum(info.trainable + info.non_trainable for info in layer_summary(model))


def load(path, img_size: int, channels: int = 1, width: float = 1.0) -> PneumoniaCNN:
    """A model rebuilt from a saved ``state_dict`` (``model.pt``), in eval mode, on CPU."""
    model = PneumoniaCNN(img_size, channels, width)
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return model.eval()
