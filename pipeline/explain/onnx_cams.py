"""Saliency from the ONNX graph of a run (``pipeline.onnx_model``): no framework in the process.

The graph returns the target layer's activations A and the exact gradient dS/dA of the logit
(backward pass written into the graph), so each method is its channel weights or map in NumPy,
with pytorch-grad-cam's formulas and scaling (``base.GradientCam``). tests/explain/test_onnx.py
checks the maps against the frameworks' own (pytorch-grad-cam for torch, GradientTape for Keras).
"""

from __future__ import annotations

import numpy as np

from pipeline.explain.base import FORMULAS, PNEUMONIA, GradientCam, gradient_methods


class OnnxCam(GradientCam):
    """A class-activation map from A (N, C, h, w) and dS/dA of an ``OnnxCNN``."""

    framework = "onnx"

    def activations_and_gradients(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        activations, gradients = self.model.activations_and_gradients(
            self.to_input(images), self.layer
        )
        if self.target_class != PNEUMONIA:
            gradients = -gradients  # the score of NORMAL is the negated logit
        return activations, gradients


METHODS = gradient_methods(OnnxCam, FORMULAS)
