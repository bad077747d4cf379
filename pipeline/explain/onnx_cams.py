"""Saliency from the ONNX graph of a run (``pipeline.onnx_model``): no framework in the process.

The graph returns the target layer's activations A and the exact gradient dS/dA of the logit
(backward pass written into the graph), so each method is its channel weights or map in NumPy,
with pytorch-grad-cam's formulas and ``base.normalise``'s scaling. tests/explain/test_onnx.py checks the
maps against the frameworks' own (pytorch-grad-cam for torch, GradientTape for Keras).
"""

from __future__ import annotations

import numpy as np

from pipeline.explain.base import PNEUMONIA, Explainer, normalise


class OnnxCam(Explainer):
    """A class-activation map from A (N, C, h, w) and dS/dA of an ``OnnxCNN``."""

    framework = "onnx"

    def maps(self, images: np.ndarray) -> np.ndarray:
        activations, gradients = self.model.activations_and_gradients(
            self.to_input(images), self.layer
        )
        if self.target_class != PNEUMONIA:
            gradients = -gradients  # the score of NORMAL is the negated logit
        return normalise(self.cam(activations, gradients), images.shape[-1])

    def cam(self, activations: np.ndarray, gradients: np.ndarray) -> np.ndarray:
        weights = self.channel_weights(activations, gradients)  # (N, C)
        return np.einsum("nchw,nc->nhw", activations, weights)

    def channel_weights(self, activations, gradients):
        raise NotImplementedError


class GradCAM(OnnxCam):
    """Channel weight: the gradient's mean over the map (Selvaraju et al. 2017)."""

    label = "Grad-CAM"

    def channel_weights(self, activations, gradients):
        return gradients.mean(axis=(2, 3))


class GradCAMPlusPlus(OnnxCam):
    """Positive gradients weighted by alpha (Chattopadhay et al. 2018), as pytorch-grad-cam."""

    label = "Grad-CAM++"

    def channel_weights(self, activations, gradients):
        squared, cubed = gradients**2, gradients**3
        sums = activations.sum(axis=(2, 3), keepdims=True)
        alpha = squared / (2 * squared + sums * cubed + 1e-6)
        alpha = np.where(gradients != 0, alpha, 0)
        return (np.maximum(gradients, 0) * alpha).sum(axis=(2, 3))


class XGradCAM(OnnxCam):
    label = "XGrad-CAM"

    def channel_weights(self, activations, gradients):
        sums = activations.sum(axis=(2, 3), keepdims=True)
        return (gradients * activations / (sums + 1e-7)).sum(axis=(2, 3))


class HiResCAM(OnnxCam):
    label = "HiResCAM"

    def cam(self, activations, gradients):
        return (gradients * activations).sum(axis=1)


class LayerCAM(OnnxCam):
    label = "LayerCAM"

    def cam(self, activations, gradients):
        return (np.maximum(gradients, 0) * activations).sum(axis=1)


METHODS = {
    "gradcam": GradCAM,
    "gradcam++": GradCAMPlusPlus,
    "hirescam": HiResCAM,
    "xgradcam": XGradCAM,
    "layercam": LayerCAM,
}
