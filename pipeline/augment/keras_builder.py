"""The Keras side: an ``ImageDataGenerator`` built from an ``AugmentSpec``.

Keras 3 no longer exports ``ImageDataGenerator`` from ``keras.preprocessing.image``; the
legacy class is still reached as ``tf.keras.preprocessing.image.ImageDataGenerator``
(``pipeline.frameworks.image_data_generator_class``). Its ``flow(x, y)`` is a Keras 3
``PyDataset``, so ``model.fit`` takes it.

What the generator does to one image (``NumpyArrayIterator``): ``get_random_transform``
draws the parameters from NumPy's global generator, ``apply_transform`` applies them
(affine, flips, brightness) on pixel values 0-255, ``standardize`` rescales and normalises.
``augment`` below runs exactly those three steps, so a preview is what training sees.

Two quirks of the legacy class, checked on this machine:
- ``width_shift_range`` moves the image *vertically* and ``height_shift_range`` horizontally
  (the drawn ``ty`` comes from the width range, and ``apply_affine_transform`` applies it to
  rows). The builder passes them swapped, so the spec's width shift is horizontal; exact for
  square images, which is all this project feeds it.
- ``brightness_range`` goes through PIL: the image is cut to whole grey levels 0-255.
"""

from __future__ import annotations

import math
from typing import NotRequired, TypedDict

import numpy as np

from pipeline.frameworks import image_data_generator_class

from .draws import Draw
from .intensity import keras_preprocessing_function
from .spec import AugmentSpec
from .stats import DatasetStats, check_stats


class KerasTransform(TypedDict):
    """One image's parameters as ``get_random_transform`` draws them and ``apply_transform``
    takes them: Keras' own dict, so typed rather than wrapped."""

    theta: float
    tx: float
    ty: float
    shear: float
    zx: float
    zy: float
    flip_horizontal: bool
    flip_vertical: bool
    brightness: float | None
    channel_shift_intensity: NotRequired[float | None]


def build_image_data_generator(spec: AugmentSpec, stats: DatasetStats | None = None):
    """An ``ImageDataGenerator`` doing what ``spec`` says, for (N, H, W, 1) channels-last input.

    ``stats`` (mean and std of the training split after ``rescale``) is needed for
    ``normalization="per_dataset"``; it replaces ``fit()``, which wants the whole split in memory.
    """
    check_stats(spec, stats)
    generator = image_data_generator_class()(
        rotation_range=spec.rotation,
        width_shift_range=spec.height_shift,  # swapped on purpose: see the module docstring
        height_shift_range=spec.width_shift,
        shear_range=spec.shear,
        zoom_range=spec.zoom,
        brightness_range=list(spec.brightness) if spec.brightness else None,
        preprocessing_function=keras_preprocessing_function(spec),
        horizontal_flip=spec.horizontal_flip,
        vertical_flip=spec.vertical_flip,
        fill_mode=spec.fill_mode,
        cval=float(spec.fill_constant),
        interpolation_order={"nearest": 0, "bilinear": 1}[spec.interpolation],
        rescale=None if spec.rescale == 1.0 else spec.rescale,
        samplewise_center=spec.normalization == "per_sample",
        samplewise_std_normalization=spec.normalization == "per_sample",
        featurewise_center=spec.normalization == "per_dataset",
        featurewise_std_normalization=spec.normalization == "per_dataset",
        data_format="channels_last",
        dtype="float32",
    )
    if spec.normalization == "per_dataset":
        # Exactly what fit() stores: arrays of shape (1, 1, channels).
        generator.mean = np.full((1, 1, 1), stats.mean, dtype=np.float32)
        generator.std = np.full((1, 1, 1), stats.std, dtype=np.float32)
    if spec.zoom and spec.zoom_axes == "shared":
        _share_zoom(generator)
    return generator


def _share_zoom(generator) -> None:
    """Make the generator draw one zoom factor for both axes, as torchvision does.

    The legacy class draws ``zx`` and ``zy`` independently and has no switch; this instance's
    ``get_random_transform`` (which ``random_transform`` and previews call) copies ``zx`` to ``zy``
    after the same draw, so every other parameter keeps its random stream.
    """
    draw = generator.get_random_transform

    def shared(image_shape, seed=None):
        params = draw(image_shape, seed)
        params["zy"] = params["zx"]
        return params

    generator.get_random_transform = shared


def draw_params(generator, shape: tuple[int, int], count: int, seed: int) -> list[KerasTransform]:
    """``count`` parameter sets as the generator draws them, from ``seed``.

    The legacy class draws from NumPy's global generator; its state is restored afterwards so
    a preview never changes what other code draws.
    """
    saved = np.random.get_state()
    try:
        np.random.seed(seed)
        return [generator.get_random_transform((*shape, 1)) for _ in range(count)]
    finally:
        np.random.set_state(saved)


def augment(generator, image: np.ndarray, params: KerasTransform) -> np.ndarray:
    """One (H, W) uint8 image through apply_transform and standardize: (H, W) float32."""
    x = generator.apply_transform(image[..., None].astype(np.float32), params)
    return generator.standardize(np.array(x, dtype=np.float32))[..., 0]


def to_draw(params: KerasTransform) -> Draw:
    """Keras' drawn parameters in the common convention (see ``draws``).

    Keras' ``tx`` moves content left along columns, ``ty`` up along rows (shifts are in input
    pixels, applied before the zoom); its zoom factors > 1 zoom out; its shear moves the top left.
    """
    return Draw(
        angle=float(params["theta"]),
        shift_x=-float(params["tx"]),
        shift_y=-float(params["ty"]),
        shear=-float(params["shear"]),
        scale_x=1.0 / float(params["zx"]),
        scale_y=1.0 / float(params["zy"]),
        flip_h=bool(params["flip_horizontal"]),
        flip_v=bool(params["flip_vertical"]),
        brightness=None if params.get("brightness") is None else float(params["brightness"]),
    )


def from_draw(draw: Draw) -> KerasTransform:
    """Parameters that make ``apply_transform`` do ``draw``: the centre moves by the shift in
    output pixels, as in torchvision. Exact without shear; with shear, Keras' own shear matrix
    (a shear plus a vertical stretch) and its order (rotate, then shear) still apply.
    """
    zx, zy = 1.0 / draw.scale_x, 1.0 / draw.scale_y
    k = math.radians(-draw.shear)
    # apply_affine_transform maps output q to input C + R(Sh Z q + t); the centre lands at q = shift
    # when t = -(Sh Z) shift, with Sh = [[1, -sin k], [0, cos k]] in (column, row) order.
    tx = -(zx * draw.shift_x - math.sin(k) * zy * draw.shift_y)
    ty = -(math.cos(k) * zy * draw.shift_y)
    return KerasTransform(
        theta=draw.angle,
        tx=tx,
        ty=ty,
        shear=-draw.shear,
        zx=zx,
        zy=zy,
        flip_horizontal=draw.flip_h,
        flip_vertical=draw.flip_v,
        brightness=draw.brightness,
    )
