"""PyTorch saliency through the ``grad-cam`` package (pytorch-grad-cam): one subclass per method.

The model has one output, the logit of PNEUMONIA, so the target is the package's
``BinaryClassifierOutputTarget``: the logit itself for PNEUMONIA, its negative for NORMAL.
"""

from __future__ import annotations

import copy

import numpy as np

from pipeline.explain.base import LABELS, Explainer, import_grad_cam
from pipeline.frameworks import import_torch

pytorch_grad_cam = import_grad_cam()  # loads torch first (see pipeline.explain.base)
torch = import_torch()
from pytorch_grad_cam.utils.model_targets import BinaryClassifierOutputTarget  # noqa: E402


class TorchCam(Explainer):
    """A pytorch-grad-cam method on a private copy of the model."""

    framework = "torch"
    cam_class: type = pytorch_grad_cam.GradCAM
    batch_size: int | None = None  # masked copies per forward pass (Score-CAM)

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
        if self.batch_size:
            self.cam.batch_size = self.batch_size

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


# The package's class for each method key; Score-CAM's batch of 128 masked copies a forward pass
# makes 8x fewer calls than the package's 16.
_CAM_CLASSES = {
    "gradcam": (pytorch_grad_cam.GradCAM, None),
    "gradcam++": (pytorch_grad_cam.GradCAMPlusPlus, None),
    "hirescam": (pytorch_grad_cam.HiResCAM, None),
    "xgradcam": (pytorch_grad_cam.XGradCAM, None),
    "layercam": (pytorch_grad_cam.LayerCAM, None),
    "eigencam": (pytorch_grad_cam.EigenCAM, None),
    "scorecam": (pytorch_grad_cam.ScoreCAM, 128),
}
METHODS = {
    key: type(
        cam_class.__name__,
        (TorchCam,),
        {"label": LABELS[key], "cam_class": cam_class, "batch_size": batch_size},
    )
    for key, (cam_class, batch_size) in _CAM_CLASSES.items()
}
