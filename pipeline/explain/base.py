"""The one base class every saliency method derives from, and the normalisation they share.

A method turns uint8 images (N, H, W), as the data layer and uploads give them, into heatmaps
(N, H, W) of float32 in [0, 1]: how much each pixel raised the model's score for
``target_class``. The score is always the logit of PNEUMONIA (negated for NORMAL), in both
frameworks, so that methods built on its gradients (Grad-CAM++) see the same quantity.
"""

from __future__ import annotations

import sys
import threading

import numpy as np

from models import LAST_CONV_LAYER

PNEUMONIA = 1


def import_grad_cam():
    """``pytorch_grad_cam``, loaded before TensorFlow; a clear error instead of a crash after it.

    The package imports torchvision, which loads torch._dynamo and triton: loading triton once
    TensorFlow is in the process ends in a segmentation fault (seen here with the pinned
    versions), even when torch itself came first.
    """
    if "tensorflow" in sys.modules and "torch._dynamo" not in sys.modules:
        raise RuntimeError(
            "TensorFlow is loaded and torchvision is not; importing pytorch-grad-cam now would "
            "crash this process. Import pipeline.explain's methods (or torchvision) before Keras."
        )
    import pytorch_grad_cam

    return pytorch_grad_cam


class Explainer:
    """One saliency method bound to one model, one layer and one class.

    Subclasses implement ``maps``; ``to_input`` turns uint8 images into the model's input
    exactly as training did. A lock makes one explainer safe to share between Streamlit
    sessions (``st.cache_resource``): methods keep per-call state (hooks, tapes).
    """

    framework = ""
    label = ""

    def __init__(
        self, model, to_input, layer: str = LAST_CONV_LAYER, target_class: int = PNEUMONIA
    ):
        self.model = model
        self.to_input = to_input
        self.layer = layer
        self.target_class = target_class
        self._lock = threading.Lock()

    def __call__(self, images: np.ndarray) -> np.ndarray:
        """Heatmaps (N, H, W) in [0, 1] for uint8 images (N, H, W) or one image (H, W)."""
        images = np.asarray(images)
        batch = images[None] if images.ndim == 2 else images
        with self._lock:
            heatmaps = self.maps(batch)
        return heatmaps[0] if images.ndim == 2 else heatmaps

    def maps(self, images: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def scorer(self):
        """A ``torch.nn.Module`` from images in [0, 1], (N, 1, H, W), to the logit (N, 1).

        The faithfulness metric (``scores.faithfulness``) perturbs images and watches the
        target's score change through it, the same way for both frameworks.
        """
        raise NotImplementedError


class GradientCam(Explainer):
    """A class-activation map from the target layer's activations A and the score's gradient
    dS/dA, both (N, C, h, w), computed here in NumPy (the Keras and ONNX methods; pytorch-grad-cam
    computes the torch ones): ``cam`` weighs A's channels by ``channel_weights``, and
    ``normalise`` scales the map as pytorch-grad-cam does, so the frameworks compare like for
    like. A subclass gives ``activations_and_gradients``; ``gradient_methods`` mixes in each
    method's formula (``FORMULAS``: its ``channel_weights`` or its own ``cam``)."""

    def maps(self, images: np.ndarray) -> np.ndarray:
        activations, gradients = self.activations_and_gradients(images)
        return normalise(self.cam(activations, gradients), images.shape[-1])

    def activations_and_gradients(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A and dS/dA (N, C, h, w) for uint8 images (N, H, W), S the target class's score."""
        raise NotImplementedError

    def cam(self, activations: np.ndarray, gradients: np.ndarray) -> np.ndarray:
        weights = self.channel_weights(activations, gradients)  # (N, C)
        return np.einsum("nchw,nc->nhw", activations, weights)

    def channel_weights(self, activations: np.ndarray, gradients: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class GradCamWeights:
    """Grad-CAM's channel weight: the gradient's mean over the map (Selvaraju et al. 2017)."""

    def channel_weights(self, activations, gradients):
        return gradients.mean(axis=(2, 3))


class GradCamPlusPlusWeights:
    """Grad-CAM++'s channel weight: positive gradients weighted by alpha (Chattopadhay et al.
    2018, eq. 19), as pytorch-grad-cam computes it."""

    def channel_weights(self, activations, gradients):
        squared, cubed = gradients**2, gradients**3
        sums = activations.sum(axis=(2, 3), keepdims=True)
        alpha = squared / (2 * squared + sums * cubed + 1e-6)
        alpha = np.where(gradients != 0, alpha, 0)
        return (np.maximum(gradients, 0) * alpha).sum(axis=(2, 3))


class XGradCamWeights:
    """XGrad-CAM's channel weight: the gradient weighted by each activation's share of its map."""

    def channel_weights(self, activations, gradients):
        sums = activations.sum(axis=(2, 3), keepdims=True)
        return (gradients * activations / (sums + 1e-7)).sum(axis=(2, 3))


class HiResCamMap:
    """HiResCAM: gradient times activation, element by element, summed over the channels."""

    def cam(self, activations, gradients):
        return (gradients * activations).sum(axis=1)


class LayerCamMap:
    """LayerCAM: the positive gradient times activation, summed over the channels."""

    def cam(self, activations, gradients):
        return (np.maximum(gradients, 0) * activations).sum(axis=1)


# Each method's name in the app, by key, for every framework that offers it.
LABELS = {
    "gradcam": "Grad-CAM",
    "gradcam++": "Grad-CAM++",
    "hirescam": "HiResCAM",
    "xgradcam": "XGrad-CAM",
    "layercam": "LayerCAM",
    "eigencam": "EigenCAM (no gradients, class-agnostic)",
    "scorecam": "Score-CAM (one forward pass per channel: slow)",
}
# The formulas computed here in NumPy (Keras and ONNX), by key: each written once.
FORMULAS = {
    "gradcam": GradCamWeights,
    "gradcam++": GradCamPlusPlusWeights,
    "hirescam": HiResCamMap,
    "xgradcam": XGradCamWeights,
    "layercam": LayerCamMap,
}


def gradient_methods(framework_cam: type[GradientCam], keys) -> dict[str, type[GradientCam]]:
    """One class a method key: ``framework_cam`` (how A and dS/dA are had) with the key's formula."""
    return {
        key: type(
            f"{FORMULAS[key].__name__}{framework_cam.__name__}",
            (FORMULAS[key], framework_cam),
            {"label": LABELS[key]},
        )
        for key in keys
    }


def normalise(cams: np.ndarray, size: int) -> np.ndarray:
    """Raw class-activation maps (N, h, w) -> (N, size, size) in [0, 1].

    Exactly what pytorch-grad-cam does with a single target layer (``BaseCAM``): clip
    negatives, scale to [0, 1], resize bilinearly, scale again. The torch methods get it from
    the library; the Keras and ONNX methods call this (written out, as the package's
    ``scale_cam_image`` is, so that no framework is loaded), so every map compares like for like.
    """
    return _scale(_scale(np.maximum(cams, 0), (size, size)))


def _scale(cams: np.ndarray, size: tuple[int, int] | None = None) -> np.ndarray:
    """pytorch_grad_cam.utils.image.scale_cam_image for 2-D maps."""
    import cv2

    result = []
    for cam in cams:
        cam = cam - np.min(cam)
        cam = cam / (1e-7 + np.max(cam))
        if size is not None:
            cam = cv2.resize(np.float32(cam), size)
        result.append(cam)
    return np.float32(result)
