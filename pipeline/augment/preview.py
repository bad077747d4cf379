"""N augmented versions of one image through both frameworks, with what each one drew.

Used by the page and by ``python -m pipeline.augment preview``. Both frameworks start from
the same seed (NumPy's generator for Keras, torch's for torchvision; they draw different
numbers, with the same distribution). Sample i depends only on the seed and i, so asking for
more samples keeps the first ones.

``replay`` is the difference view's reference: Keras applying *torchvision's* draws. What
differs between ``torch[i]`` and ``replay[i]`` is then the libraries, not the dice.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from PIL import Image

from . import keras_builder, torch_builder
from .draws import Draw
from .spec import AugmentSpec
from .stats import DatasetStats

MAX_SAMPLES = 16


@dataclass
class Preview:
    spec: AugmentSpec
    source: np.ndarray  # (H, W) uint8
    keras: list[np.ndarray]  # (H, W) float32, what the model would be fed
    torch: list[np.ndarray]
    keras_draws: list[Draw]
    torch_draws: list[Draw]
    replay: list[np.ndarray] = field(default_factory=list)  # Keras applying torch_draws[i]
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Rendered:
    """A preview with its pictures as PNG bytes, one list per framework (``rendered``)."""

    preview: Preview
    keras: list[bytes]
    torch: list[bytes]
    replay: list[bytes]  # Keras applying torchvision's draws; empty without the difference view
    gaps: list[bytes]  # |torch - replay|, multiplied by the gain
    gap_captions: list[str]


@lru_cache(maxsize=16)
def builders(spec: AugmentSpec, stats: DatasetStats | None = None):
    """(ImageDataGenerator, v2.Compose) for ``spec``; torch's pipeline is built first on purpose."""
    transform = torch_builder.build_torch_transform(spec, stats)
    generator = keras_builder.build_image_data_generator(spec, stats)
    return generator, transform


def make_preview(
    spec: AugmentSpec,
    image: np.ndarray,
    count: int,
    seed: int,
    stats: DatasetStats | None = None,
    replay: bool = True,
) -> Preview:
    """``count`` (1-16) samples of ``image`` (H, W) uint8 per framework from ``seed``."""
    if not 1 <= count <= MAX_SAMPLES:
        raise ValueError(f"samples must be 1 to {MAX_SAMPLES}, got {count}")
    if image.ndim != 2 or image.dtype != np.uint8:
        raise ValueError(
            f"expected one (H, W) uint8 grayscale image, got {image.dtype} {image.shape}"
        )
    generator, transform = builders(spec, stats)
    seconds = {}

    started = time.perf_counter()
    params = keras_builder.draw_params(generator, image.shape, count, seed)
    keras_images = [keras_builder.augment(generator, image, p) for p in params]
    seconds["keras"] = time.perf_counter() - started

    started = time.perf_counter()
    torch_results = torch_builder.augment_many(transform, image, count, seed)
    seconds["torch"] = time.perf_counter() - started

    preview = Preview(
        spec,
        image,
        keras_images,
        [out for out, _ in torch_results],
        [keras_builder.to_draw(p) for p in params],
        [draw for _, draw in torch_results],
        seconds=seconds,
    )
    if replay:
        started = time.perf_counter()
        preview.replay = [
            keras_builder.augment(generator, image, keras_builder.from_draw(d))
            for d in preview.torch_draws
        ]
        seconds["replay"] = time.perf_counter() - started
    return preview


def to_pixels(x: np.ndarray, spec: AugmentSpec, stats: DatasetStats | None = None) -> np.ndarray:
    """A model input back as grey levels 0-255 (uint8) for display and PNG files.

    Rescale and per-dataset normalisation are undone exactly; per-sample normalisation
    cannot be (each image's own mean and std are gone), so it is stretched to 0-255.
    """
    if spec.normalization == "per_sample":
        low, high = float(x.min()), float(x.max())
        x = (x - low) / (high - low) * 255.0 if high > low else np.zeros_like(x)
    else:
        if spec.normalization == "per_dataset":
            x = x * (stats.std + torch_builder.EPSILON) + stats.mean
        x = x / spec.rescale
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


def encode_png(pixels: np.ndarray) -> bytes:
    """Lossless PNG at zlib level 1: 2 ms for 224 px where the default level takes 10 ms."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def rendered(
    spec: AugmentSpec,
    image: np.ndarray,
    count: int,
    seed: int,
    stats: DatasetStats | None,
    difference: bool,
    gain: int,
) -> Rendered:
    """The studio's preview and its pictures, PNG-encoded once (st.image re-encodes arrays at 3x
    the cost). Picklable: pages cache it, and a shared deployment computes it in a process of its
    own (``pipeline.isolated``, whose ``RECORDS`` list it). The difference view's replays and
    pictures are made only when it is shown; ``gain`` multiplies the differences for display."""
    preview = make_preview(spec, image, count, seed, stats, replay=difference)
    pixels = {
        name: [to_pixels(x, spec, stats) for x in getattr(preview, name)]
        for name in ("keras", "torch", "replay")
    }
    gaps = [np.abs(a.astype(np.int16) - b) for a, b in zip(pixels["torch"], pixels["replay"])]
    return Rendered(
        preview,
        **{name: [encode_png(x) for x in pixels[name]] for name in ("keras", "torch", "replay")},
        gaps=[encode_png(np.clip(g * gain, 0, 255).astype(np.uint8)) for g in gaps],
        gap_captions=[
            f"|diff| #{i}: mean {g.mean():.1f}, max {g.max()}" for i, g in enumerate(gaps)
        ],
    )
