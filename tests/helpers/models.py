"""A Keras model holding a torch model's weights: the twins the saliency and ONNX tests compare."""

from __future__ import annotations

from models.frameworks import import_torch

torch = import_torch()


def copy_weights(source, target) -> None:
    """The torch model's weights into the Keras model (same layer names, same shapes)."""
    for layer in target.layers:
        module = getattr(source, layer.name, None)
        if isinstance(module, torch.nn.Conv2d):
            layer.set_weights(
                [module.weight.detach().permute(2, 3, 1, 0).numpy(), module.bias.detach().numpy()]
            )
        elif isinstance(module, torch.nn.BatchNorm2d):
            layer.set_weights(
                [
                    module.weight.detach().numpy(),
                    module.bias.detach().numpy(),
                    module.running_mean.numpy(),
                    module.running_var.numpy(),
                ]
            )
        elif isinstance(module, torch.nn.Linear):
            weight = module.weight.detach().numpy()
            if layer.name == "dense":  # torch flattens (C, H, W), Keras (H, W, C)
                channels = source.conv5.out_channels
                side = round((weight.shape[1] / channels) ** 0.5)
                weight = (
                    weight.reshape(-1, channels, side, side)
                    .transpose(0, 2, 3, 1)
                    .reshape(len(weight), -1)
                )
            layer.set_weights([weight.T, module.bias.detach().numpy()])
