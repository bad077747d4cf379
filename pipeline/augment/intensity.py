"""Acquisition-like intensity changes, the same arithmetic in both frameworks.

X-rays from another hospital or intake differ first in exposure and in the detector's
response curve: the image's contrast and its gamma. Neither ImageDataGenerator nor
``RandomAffine`` draws those, so both builders call this one definition, after the geometry,
the flips and the brightness and before rescaling (grey levels 0-255):

    contrast c: x -> mean + c (x - mean)      (mean: the image's own mean grey level)
    gamma g:    x -> 255 (x / 255) ** g        (after clipping to 0-255)

Keras draws ``c`` and ``g`` from NumPy's global generator (as ImageDataGenerator does, so
``keras.utils.set_random_seed`` fixes them); torch from its own generator.
"""

from __future__ import annotations

import numpy as np

from .spec import AugmentSpec


def has_intensity(spec: AugmentSpec) -> bool:
    return spec.contrast is not None or spec.gamma is not None


def apply_intensity(x, contrast: float | None, gamma: float | None, ops=np):
    """``x`` (grey levels 0-255, float) with the contrast and gamma applied; ``ops`` is
    ``numpy`` or ``torch`` (the same calls exist in both)."""
    if contrast is not None:
        mean = x.mean()
        x = (x - mean) * contrast + mean
    x = ops.clip(x, 0.0, 255.0)
    if gamma is not None:
        x = 255.0 * (x / 255.0) ** gamma
    return x


def keras_preprocessing_function(spec: AugmentSpec):
    """ImageDataGenerator's ``preprocessing_function`` for the spec's intensity draws, or None.

    ``standardize`` calls it first, on the transformed float image, before ``rescale``.
    """
    if not has_intensity(spec):
        return None

    def intensity(x: np.ndarray) -> np.ndarray:
        contrast = np.random.uniform(*spec.contrast) if spec.contrast else None
        gamma = np.random.uniform(*spec.gamma) if spec.gamma else None
        return apply_intensity(x, contrast, gamma).astype(x.dtype, copy=False)

    return intensity
