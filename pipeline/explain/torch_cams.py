"""PyTorch saliency through the ``grad-cam`` package (pytorch-grad-cam): one subclass per method.

The model has one output, the logit of PNEUMONIA, so the target is the package's
``BinaryClassifierOutputTarget``: the logit itself for PNEUMONIA, its negative for NORMAL.
"""

from __future__ import annotations

import copy

import numpy as np

from pipeline.explain.base import Explainer, import_grad_cam
from pipeline.frameworks import import_torch

pytorch_grad_cam = import_grad_cam()  # loads torch first (see pipeline.explain.base)
torch = import_torch()
from pytorch_grad_cam.utils.model_targets import BinaryClassifierOutputTarget  # noqa: E402


class TorchCam(Explainer):
    """A pytorch-grad-cam method on a private copy of the model."""

    framework = "torch"
    cam_class: type = pytorch_grad_cam.GradCAM

    def __init__(self, model, to_input, layer, target_class):
        super().__init__(model, to_input, layer, target_class)
        # A private copy: the package hooks the target layer, and a model shared with other
        # sessions must not feed their forward passes into these hooks.
        private = copy.deepcopy(model).eval()
        for module in private.modules():
            if isinstance(module, torch.nn.ReLU):
                # An in-place ReLU after the target conv would overwrite the activations the
                # hooks keep (they share memory on CPU), turning them into ReLU(conv).
                module.inplace = False
        for name, parameter in private.named_parameters():
            # The maps need the gradient at the target layer's output only: the layers before it
            # need no backward pass at all, and no layer needs its weights' gradients kept.
            parameter.requires_grad_(name.startswith(f"{layer}."))
        self.cam = self.cam_class(model=private, target_layers=[getattr(private, layer)])

    def maps(self, images: np.ndarray) -> np.ndarray:
        targets = [BinaryClassifierOutputTarget(self.target_class)] * len(images)
        return self.cam(input_tensor=self.to_input(images), targets=targets)

    def scorer(self) -> torch.nn.Module:
        return _TorchLogit(self.model, self.to_input)


class _TorchLogit(torch.nn.Module):
    """Images in [0, 1], (N, 1, H, W) -> the model's logit (N, 1), through training's input."""

    def __init__(self, model, to_input):
        super().__init__()
        self.model, self.to_input = model, to_input

    def forward(self, images01: torch.Tensor) -> torch.Tensor:
        return self.model(self.to_input(images01[:, 0].numpy() * 255.0))


class GradCAM(TorchCam):
    label = "Grad-CAM"
    cam_class = pytorch_grad_cam.GradCAM


class GradCAMPlusPlus(TorchCam):
    label = "Grad-CAM++"
    cam_class = pytorch_grad_cam.GradCAMPlusPlus


class HiResCAM(TorchCam):
    label = "HiResCAM"
    cam_class = pytorch_grad_cam.HiResCAM


class XGradCAM(TorchCam):
    label = "XGrad-CAM"
    cam_class = pytorch_grad_cam.XGradCAM


class LayerCAM(TorchCam):
    label = "LayerCAM"
    cam_class = pytorch_grad_cam.LayerCAM


class EigenCAM(TorchCam):
    label = "EigenCAM (no gradients, class-agnostic)"
    cam_class = pytorch_grad_cam.EigenCAM


class ScoreCAM(TorchCam):
    label = "Score-CAM (one forward pass per channel: slow)"
    cam_class = pytorch_grad_cam.ScoreCAM

    def __init__(self, model, to_input, layer, target_class):
        super().__init__(model, to_input, layer, target_class)
        self.cam.batch_size = (
            128  # masked copies per forward pass; the package's 16 is 8x the calls
        )


METHODS = {
    "gradcam": GradCAM,
    "gradcam++": GradCAMPlusPlus,
    "hirescam": HiResCAM,
    "xgradcam": XGradCAM,
    "layercam": LayerCAM,
    "eigencam": EigenCAM,
    "scorecam": ScoreCAM,
}
