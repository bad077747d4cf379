"""What still differs between the two builders for a given spec: one line per parameter.

The builders pick the closest equivalent for every setting (docs/architecture.md has the table); these lines
are what remains, worded for the page. ``status`` is "same" (identical up to rounding),
"close" (same range, different detail), "differs" or "not expressible" (one library cannot
do it; the builder's substitute is named, nothing is dropped silently).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .spec import AugmentSpec


@dataclass(frozen=True)
class Difference:
    parameter: str
    status: str
    text: str


def differences(spec: AugmentSpec) -> list[Difference]:
    lines = [
        _rotation(spec),
        _shift(spec, "width_shift"),
        _shift(spec, "height_shift"),
        _shear(spec),
        _zoom(spec),
        _zoom_axes(spec),
        _brightness(spec),
        _intensity(spec, "contrast"),
        _intensity(spec, "gamma"),
        _flip(spec, "horizontal_flip"),
        _flip(spec, "vertical_flip"),
        _fill(spec),
        _interpolation(spec),
        _rescale(spec),
        _normalization(spec),
    ]
    return [line for line in lines if line is not None]


# How both libraries do a parameter alike, filled in with its range ({0:g} to {1:g}).
ROTATION = (
    "angle from U({0:g}, {1:g}) in both; torchvision's RandomAffine turns clockwise, Keras "
    "counter-clockwise (no effect on a symmetric range)"
)
ZOOM = (
    "zoom-out factor uniform in [{0:g}, {1:g}] in both (the torch side draws as "
    "ImageDataGenerator does; plain RandomAffine draws uniformly in scale)"
)


def _same_when_on(parameter: str, value: float, text: str, low: float, high: float) -> Difference:
    """A parameter both libraries do alike: ``text`` (with its range) when it is on."""
    return Difference(parameter, "same", text.format(low, high) if value else "off in both")


def _rotation(s: AugmentSpec) -> Difference:
    return _same_when_on("rotation", s.rotation, ROTATION, -s.rotation, s.rotation)


def _shift(s: AugmentSpec, name: str) -> Difference:
    value = getattr(s, name)
    if not value:
        return Difference(name, "same", "off in both")
    axis = "width" if name == "width_shift" else "height"
    return Difference(
        name,
        "close",
        f"up to {value:g} x {axis} in both, in fractions of a pixel (the torch side draws as "
        "Keras does; plain RandomAffine rounds to whole pixels); torch shifts after zooming, "
        "Keras before (the legacy class swaps width and height; the builder swaps them back)",
    )


def _shear(s: AugmentSpec) -> Difference:
    if not s.shear:
        return Difference("shear", "same", "off in both")
    stretch = 1 / math.cos(math.radians(s.shear)) - 1
    return Difference(
        "shear",
        "differs",
        f"angle from U(-{s.shear:g}, {s.shear:g}) in both, but Keras' matrix "
        f"[[1, -sin s], [0, cos s]] also stretches the image vertically (up to {stretch:.1%}) and "
        "rotates before shearing; torchvision shears purely along x",
    )


def _zoom(s: AugmentSpec) -> Difference:
    return _same_when_on("zoom", s.zoom, ZOOM, 1 - s.zoom, 1 + s.zoom)


def _zoom_axes(s: AugmentSpec) -> Difference:
    if not s.zoom:
        return Difference("zoom_axes", "same", "no zoom")
    how = (
        "x and y drawn separately (the aspect ratio changes)"
        if s.zoom_axes == "independent"
        else "one factor for both axes"
    )
    return Difference("zoom_axes", "same", f"{how} in both")


def _intensity(s: AugmentSpec, name: str) -> Difference:
    bounds = getattr(s, name)
    if bounds is None:
        return Difference(name, "same", "off in both")
    return Difference(
        name,
        "same",
        f"drawn from U({bounds[0]:g}, {bounds[1]:g}) in both, one definition (augment/intensity.py); "
        "torch rounds to whole grey levels after it, Keras stays in float",
    )


def _brightness(s: AugmentSpec) -> Difference:
    if s.brightness is None:
        return Difference("brightness", "same", "off in both")
    low, high = s.brightness
    return Difference(
        "brightness",
        "close",
        f"factor from U({low:g}, {high:g}) on grey levels 0-255, clipped at "
        "255, in both (ColorJitter); Keras goes through PIL and truncates to whole grey levels after "
        "interpolating, torchvision rounds after its affine: values differ by about one grey level",
    )


def _flip(s: AugmentSpec, name: str) -> Difference:
    on = getattr(s, name)
    return Difference(
        name, "same", "probability 0.5, exact mirror in both" if on else "off in both"
    )


def _fill(s: AugmentSpec) -> Difference:
    if s.fill_mode == "constant":
        return Difference(
            "fill_mode",
            "close",
            f"constant grey level {s.fill_constant} in both; along the edge of "
            "the moved image the two blend the fill in differently (a band one pixel wide)",
        )
    return Difference(
        "fill_mode",
        "same" if s.fill_mode != "wrap" else "close",
        f"'{s.fill_mode}' in both: the torch side samples with grid_sample's "
        f"{'border' if s.fill_mode != 'reflect' else 'reflection'} padding (plain RandomAffine "
        "can only fill a constant, which gave black corners)"
        + (
            "; wrap tiles the normalised coordinates, blending one pixel at the seam"
            if s.fill_mode == "wrap"
            else ""
        ),
    )


def _interpolation(s: AugmentSpec) -> Difference:
    return Difference(
        "interpolation",
        "close",
        f"{s.interpolation} in both, passed explicitly (defaults differ: "
        "Keras bilinear, torchvision nearest); torchvision works on uint8 and rounds, Keras in float",
    )


def _rescale(s: AugmentSpec) -> Difference:
    if s.rescale == 1.0:
        return Difference("rescale", "same", "off in both: grey levels 0-255 as float32")
    how = (
        "ToDtype(scale=True) divides by 255"
        if s.rescale == 1 / 255
        else "Normalize(0, 1/rescale) divides"
    )
    return Difference(
        "rescale",
        "same",
        f"x {s.rescale:.6g} after augmenting in both; Keras multiplies, "
        f"torchvision's {how} (equal to float32 rounding)",
    )


def _normalization(s: AugmentSpec) -> Difference:
    if s.normalization == "none":
        return Difference("normalization", "same", "off in both")
    if s.normalization == "per_sample":
        return Difference(
            "normalization",
            "not expressible",
            "torchvision has no per-image standardisation: the "
            "builder adds a Lambda doing what samplewise_center + samplewise_std_normalization do",
        )
    return Difference(
        "normalization",
        "same",
        "the training split's mean and std in both: Keras learns them with "
        "fit(), torchvision gets them as Normalize constants (computed beforehand, streamed)",
    )
