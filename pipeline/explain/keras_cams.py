"""Keras saliency through ``tf.GradientTape``: Grad-CAM and Grad-CAM++.

The model is walked layer by layer so that the target layer's activations and the logit
(the last Dense layer without its sigmoid) come out of one forward pass; the tape gives the
logit's gradient with respect to those activations. Channel weights then follow
pytorch-grad-cam's formulas, and its scaling (``base.GradientCam``): a Keras model holding the
same weights as a torch model gives the same map (tests/explain/test_explain_methods.py).
"""

from __future__ import annotations

import numpy as np

from pipeline.explain.base import PNEUMONIA, GradientCam, gradient_methods, import_grad_cam
from pipeline.frameworks import import_torch_then_tensorflow

import_grad_cam()  # before TensorFlow (torchvision, triton: see import_grad_cam)
torch, tf = import_torch_then_tensorflow()


class KerasCam(GradientCam):
    """A class-activation map from the target layer's activations A and gradients dS/dA."""

    framework = "keras"

    def __init__(self, model, to_input, layer, target_class):
        super().__init__(model, to_input, layer, target_class)
        if layer not in [each.name for each in model.layers[:-1]]:
            raise ValueError(f"the Keras model has no layer '{layer}' before its output")
        if model.layers[-1].activation.__name__ != "sigmoid":
            raise ValueError("the Keras model's last layer must be a Dense layer with a sigmoid")

    def activations_and_gradients(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The target layer's output and the score's gradient, channels first like torch's."""
        sign = 1.0 if self.target_class == PNEUMONIA else -1.0
        with tf.GradientTape() as tape:
            activations, logit = self.forward(self.to_input(images), tape)
            score = tf.reduce_sum(sign * logit)  # images are independent: one backward pass
        gradients = tape.gradient(score, activations)
        return _channels_first(activations.numpy()), _channels_first(gradients.numpy())

    def forward(self, inputs, tape=None):
        """(target layer's activations, logit (N, 1)), in inference mode."""
        x = tf.convert_to_tensor(inputs)
        activations = None
        *body, output = self.model.layers
        for layer in body:
            x = layer(x, training=False)
            if layer.name == self.layer:
                activations = x
                if tape is not None:
                    tape.watch(activations)
        logit = tf.matmul(x, output.kernel) + output.bias  # the output layer, sigmoid left out
        return activations, logit

    def scorer(self) -> torch.nn.Module:
        return _KerasLogit(self)


class _KerasLogit(torch.nn.Module):
    """The Keras model as a torch module: images in [0, 1], (N, 1, H, W) -> logit (N, 1).

    It lets pytorch-grad-cam's faithfulness metrics run unchanged on the Keras model.
    """

    def __init__(self, explainer: KerasCam):
        super().__init__()
        self.explainer = explainer

    def forward(self, images01: torch.Tensor) -> torch.Tensor:
        inputs = self.explainer.to_input(images01[:, 0].numpy() * 255.0)
        _, logit = self.explainer.forward(inputs)
        return torch.from_numpy(logit.numpy())


def _channels_first(array: np.ndarray) -> np.ndarray:
    """(N, h, w, C), as Keras lays out a convolution's output -> (N, C, h, w)."""
    return np.moveaxis(array, -1, 1)


METHODS = gradient_methods(KerasCam, ("gradcam", "gradcam++"))
