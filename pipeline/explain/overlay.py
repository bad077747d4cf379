"""Drawing a heatmap over its X-ray (and, on synthetic data, the lesion's outline)."""

from __future__ import annotations

import io

import numpy as np
from matplotlib import colormaps
from PIL import Image

from pipeline.data.images import resize_square

COLORMAP = "jet"  # pytorch-grad-cam's default look: blue cold, red hot
MASK_COLOUR = (0, 255, 0)


def overlay(
    image: np.ndarray,
    heatmap: np.ndarray,
    opacity: float = 0.5,
    mask: np.ndarray | None = None,
    size: int | None = None,
) -> np.ndarray:
    """RGB uint8 (size, size, 3): the grayscale ``image`` blended with the coloured heatmap.

    ``opacity`` 0 shows the image alone, 1 the heatmap alone. ``mask`` (bool, any size) is
    drawn as a one-pixel outline. ``size`` enlarges small images for display.
    """
    if not 0.0 <= opacity <= 1.0:
        raise ValueError(f"opacity must lie in [0, 1], got {opacity}")
    size = size or image.shape[-1]
    gray = _resize(image.astype(np.float32) / 255.0, size)
    heat = np.clip(_resize(heatmap.astype(np.float32), size), 0.0, 1.0)
    coloured = colormaps[COLORMAP](heat)[..., :3]
    blended = (1.0 - opacity) * gray[..., None] + opacity * coloured
    rgb = np.clip(blended * 255.0 + 0.5, 0, 255).astype(np.uint8)
    if mask is not None:
        rgb[outline(_resize(mask.astype(np.float32), size, Image.Resampling.NEAREST) > 0.5)] = (
            MASK_COLOUR
        )
    return rgb


def outline(mask: np.ndarray) -> np.ndarray:
    """The mask's boundary pixels: inside, with a 4-neighbour outside."""
    padded = np.pad(mask, 1)
    interior = padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]
    return mask & ~interior


def png_bytes(rgb: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG")
    return buffer.getvalue()


def _resize(plane: np.ndarray, size: int, resample=Image.Resampling.BILINEAR) -> np.ndarray:
    if plane.shape == (size, size):
        return plane
    return resize_square(plane, size, resample)
