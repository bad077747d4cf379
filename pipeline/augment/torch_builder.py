"""The PyTorch side: a ``torchvision.transforms.v2`` pipeline built from an ``AugmentSpec``.

Input: a uint8 tensor (1, H, W) with grey levels 0-255. Output: float32 (1, H, W) in the same
range and normalisation as the Keras generator gives for the same spec. Order, as
ImageDataGenerator applies them: affine, flips, brightness, contrast and gamma (all on 0-255),
then rescale and normalisation.

The affine step is ``SpecAffine``, a ``RandomAffine`` that draws and fills the way
ImageDataGenerator does, so that the two frameworks see the same kind of images:
- the fill mode is honoured (``nearest`` repeats the edge, ``reflect`` mirrors, ``wrap``
  tiles, ``constant`` fills a grey level); plain ``RandomAffine`` can only fill a constant,
  which gave the torch runs black corners where Keras repeated the edge;
- the zoom is drawn as Keras draws it: a zoom-out factor uniform in [1-z, 1+z], per axis
  (``zoom_axes="independent"``) or one for both (``"shared"``);
- shifts are drawn in fractions of a pixel, as Keras does (``RandomAffine`` rounds them);
- interpolation is passed explicitly (``RandomAffine`` defaults to nearest, Keras to bilinear).
What remains different is listed by ``differences`` (docs/architecture.md has the mapping table).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import asdict, dataclass

import numpy as np

from .draws import Draw
from .intensity import apply_intensity, has_intensity
from .spec import AugmentSpec
from .stats import DatasetStats, check_stats

EPSILON = 1e-6  # what ImageDataGenerator adds to the std before dividing


def import_torchvision_v2():
    """``(torch, v2)``; refuses (instead of crashing the process) after TensorFlow was loaded."""
    from pipeline.frameworks import import_torch, torch_module

    return import_torch(), torch_module("torchvision.transforms.v2")


def standardize_per_sample(x):
    """What Keras' samplewise_center + samplewise_std_normalization do: mean 0, std 1 per image."""
    return (x - x.mean()) / (x.std(correction=0) + EPSILON)


def build_torch_transform(spec: AugmentSpec, stats: DatasetStats | None = None):
    """A ``v2.Compose`` doing what ``spec`` says; uint8 (1, H, W) in, float32 (1, H, W) out."""
    check_stats(spec, stats)
    torch, v2 = import_torchvision_v2()
    steps = []
    affine = affine_arguments(spec)
    if affine is not None:
        interpolation = {
            "nearest": v2.InterpolationMode.NEAREST,
            "bilinear": v2.InterpolationMode.BILINEAR,
        }
        steps.append(
            _classes().SpecAffine(
                **affine.to_dict(),
                interpolation=interpolation[spec.interpolation],
                fill=fill_value(spec),
                fill_mode=spec.fill_mode,
                zoom=spec.zoom,
                zoom_axes=spec.zoom_axes,
            )
        )
    if spec.horizontal_flip:
        steps.append(v2.RandomHorizontalFlip())
    if spec.vertical_flip:
        steps.append(v2.RandomVerticalFlip())
    if spec.brightness:
        steps.append(v2.ColorJitter(brightness=spec.brightness))
    if has_intensity(spec):
        steps.append(_classes().RandomIntensity(spec.contrast, spec.gamma))
    steps.append(
        v2.ToDtype(torch.float32, scale=spec.rescale == 1 / 255)
    )  # scale=True divides by 255
    if spec.rescale not in (1.0, 1 / 255):
        steps.append(v2.Normalize(mean=[0.0], std=[1.0 / spec.rescale]))  # x / (1/r) == x * r
    if spec.normalization == "per_sample":
        steps.append(v2.Lambda(standardize_per_sample))
    elif spec.normalization == "per_dataset":
        steps.append(v2.Normalize(mean=[stats.mean], std=[stats.std + EPSILON]))
    return v2.Compose(steps)


@dataclass(frozen=True)
class AffineArguments:
    """``RandomAffine``'s geometry arguments for a spec; None where the spec leaves one out."""

    degrees: float
    translate: tuple[float, float] | None
    scale: tuple[float, float] | None
    shear: tuple[float, float] | None

    def to_dict(self) -> dict:
        """As keyword arguments for ``RandomAffine``."""
        return asdict(self)


def affine_arguments(spec: AugmentSpec) -> AffineArguments | None:
    """The spec's geometry for ``RandomAffine``; None when there is none."""
    if not any((spec.rotation, spec.width_shift, spec.height_shift, spec.shear, spec.zoom)):
        return None
    return AffineArguments(
        degrees=spec.rotation,
        translate=(spec.width_shift, spec.height_shift)
        if spec.width_shift or spec.height_shift
        else None,
        scale=(1 / (1 + spec.zoom), 1 / (1 - spec.zoom)) if spec.zoom else None,
        shear=(-spec.shear, spec.shear) if spec.shear else None,
    )


def fill_value(spec: AugmentSpec) -> int:
    """The constant ``RandomAffine`` fills with: the spec's constant, or 0 for modes it lacks."""
    return spec.fill_constant if spec.fill_mode == "constant" else 0


_PADDING = {"nearest": "border", "reflect": "reflection", "wrap": "border"}
_CLASSES = {}


def _classes():
    """The two transform classes, defined on first use (torchvision is imported lazily)."""
    if not _CLASSES:
        import types

        torch, v2 = import_torchvision_v2()
        _CLASSES["namespace"] = types.SimpleNamespace(
            SpecAffine=_spec_affine_class(torch, v2), RandomIntensity=_intensity_class(torch, v2)
        )
    return _CLASSES["namespace"]


def _spec_affine_class(torch, v2):
    class SpecAffine(v2.RandomAffine):
        """``RandomAffine`` drawing and filling as ImageDataGenerator does (module docstring).

        Its parameters add ``scale_y`` to torchvision's (``scale`` is the x scale).
        """

        def __init__(self, *args, fill_mode: str, zoom: float, zoom_axes: str, **kwargs):
            super().__init__(*args, **kwargs)
            self.fill_mode, self.zoom, self.zoom_axes = fill_mode, zoom, zoom_axes
            self.fill_level = float(kwargs.get("fill") or 0)

        def make_params(self, flat_inputs):
            height, width = v2.query_size(flat_inputs)
            params = super().make_params(flat_inputs)
            if self.translate is not None:  # fractions of a pixel, as Keras draws them
                params["translate"] = tuple(
                    float(torch.empty(1).uniform_(-limit * size, limit * size))
                    for limit, size in zip(self.translate, (width, height))
                )
            scale_x = scale_y = 1.0
            if self.zoom:  # Keras: a zoom-out factor uniform in [1 - z, 1 + z]
                low, high = 1.0 - self.zoom, 1.0 + self.zoom
                scale_x = 1.0 / float(torch.empty(1).uniform_(low, high))
                scale_y = scale_x
                if self.zoom_axes == "independent":
                    scale_y = 1.0 / float(torch.empty(1).uniform_(low, high))
            return {**params, "scale": scale_x, "scale_y": scale_y}

        def transform(self, inpt, params):
            return _spec_affine(
                inpt,
                params,
                self.interpolation.value,
                self.fill_mode,
                self.fill_level,
            )

    return SpecAffine


def _intensity_class(torch, v2):
    class RandomIntensity(v2.Transform):
        """Contrast and gamma drawn per image (``intensity``); uint8 in and out."""

        def __init__(self, contrast, gamma):
            super().__init__()
            self.contrast, self.gamma = contrast, gamma

        def make_params(self, flat_inputs):
            def draw(bounds):
                return float(torch.empty(1).uniform_(*bounds)) if bounds else None

            return {"contrast": draw(self.contrast), "gamma": draw(self.gamma)}

        def transform(self, inpt, params):
            x = apply_intensity(inpt.float(), params["contrast"], params["gamma"], ops=torch)
            return x.round_().to(inpt.dtype) if not inpt.is_floating_point() else x

    return RandomIntensity


def _spec_affine(image, params, mode: str, fill_mode: str, fill: float):
    """The affine of ``params`` on a (C, H, W) tensor with Keras' fill modes."""
    from pipeline.frameworks import torch_module

    torch, _ = import_torchvision_v2()
    _geometry = torch_module("torchvision.transforms.v2.functional._geometry")
    height, width = image.shape[-2:]
    # torchvision's order with the scale per axis: rotate and shear, scale, then shift.
    # The inverse maps an output pixel p to L S^-1 (p - t), L = (rotation and shear)^-1.
    linear = _geometry._get_inverse_affine_matrix(
        [0.0, 0.0], params["angle"], [0.0, 0.0], 1.0, list(params["shear"])
    )
    a, b, c, d = (
        linear[0] / params["scale"],
        linear[1] / params["scale_y"],
        linear[3] / params["scale"],
        linear[4] / params["scale_y"],
    )
    tx, ty = params["translate"]
    matrix = [a, b, -(a * tx + b * ty), c, d, -(c * tx + d * ty)]
    theta = torch.tensor(matrix, dtype=torch.float32).reshape(1, 2, 3)
    grid = _geometry._affine_grid(theta, w=width, h=height, ow=width, oh=height)
    if fill_mode == "constant":
        return _geometry._apply_grid_transform(image, grid, mode, fill=[fill])
    if fill_mode == "wrap":
        grid = torch.remainder(grid + 1.0, 2.0) - 1.0
    x = image.float()[None] if image.ndim == 3 else image.float()
    out = torch.nn.functional.grid_sample(
        x,
        grid.expand(len(x), -1, -1, -1),
        mode=mode,
        padding_mode=_PADDING[fill_mode],
        align_corners=False,
    )
    out = out[0] if image.ndim == 3 else out
    return out.round_().to(image.dtype) if not image.is_floating_point() else out


def augment_many(
    transform, image: np.ndarray, count: int, seed: int
) -> list[tuple[np.ndarray, Draw]]:
    """``count`` augmented versions of one (H, W) uint8 image, each with what was drawn.

    Draws come from torch's global generator seeded with ``seed`` (inside ``fork_rng``, so the
    caller's generator is untouched); the result equals calling ``transform`` itself.
    """
    torch, _ = import_torchvision_v2()
    x = torch.from_numpy(np.array(image, dtype=np.uint8))[None]
    with torch.random.fork_rng(devices=[]), one_thread(torch):
        torch.manual_seed(seed)
        results = [_traced(transform, x) for _ in range(count)]
    return [(out[0].numpy(), draw) for out, draw in results]


def apply_draw(transform, image: np.ndarray, draw: Draw) -> np.ndarray:
    """``transform`` with its random steps replaced by ``draw``: (H, W) uint8 in, float32 out."""
    torch, v2 = import_torchvision_v2()
    x = torch.from_numpy(np.array(image, dtype=np.uint8))[None]
    with one_thread(torch):
        x = _replayed(v2, transform, x, draw)
    return x[0].numpy()


@contextmanager
def one_thread(torch):
    """Run one small image on one thread: with two busy cores, torch's intra-op threads made a
    224 px affine take far longer (docs/architecture.md). The setting is per process,
    so it is restored at once; DataLoader workers already use one thread each.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _replayed(v2, transform, x, draw: Draw):
    """``transform``'s steps in order, the random ones fed ``draw`` instead of dice."""
    for step in transform.transforms:
        if isinstance(step, v2.RandomAffine):
            params = {
                "angle": -draw.angle,
                "translate": [draw.shift_x, draw.shift_y],
                "scale": draw.scale_x,
                "scale_y": draw.scale_y,
                "shear": [draw.shear, 0.0],
            }
            x = step.transform(x, params)
        elif isinstance(step, v2.RandomHorizontalFlip):
            x = step.transform(x, {}) if draw.flip_h else x
        elif isinstance(step, v2.RandomVerticalFlip):
            x = step.transform(x, {}) if draw.flip_v else x
        elif isinstance(step, v2.ColorJitter):
            x = (
                v2.functional.adjust_brightness(x, draw.brightness)
                if draw.brightness is not None
                else x
            )
        else:
            x = step(x)
    return x


def _traced(transform, x):
    """Run ``transform`` step by step as ``Transform.forward`` would, keeping the drawn params."""
    torch, v2 = import_torchvision_v2()
    drawn = {}
    for step in transform.transforms:
        name = "RandomAffine" if isinstance(step, v2.RandomAffine) else type(step).__name__
        if isinstance(step, (v2.RandomHorizontalFlip, v2.RandomVerticalFlip)):
            # _RandomApplyTransform.forward: one torch.rand(1) decides, then the (empty) params
            drawn[name] = bool(torch.rand(1) < step.p)
            if drawn[name]:
                x = step.transform(x, step.make_params([x]))
            continue
        drawn[name] = step.make_params([x])
        x = step.transform(x, drawn[name])
    return x, _to_draw(drawn)


def _to_draw(drawn: dict) -> Draw:
    """torchvision's parameters in the common convention: its affine angle turns clockwise."""
    affine = drawn.get("RandomAffine", {})
    tx, ty = affine.get("translate", (0, 0))
    jitter = drawn.get("ColorJitter", {})
    return Draw(
        angle=-float(affine.get("angle", 0.0)),
        shift_x=float(tx),
        shift_y=float(ty),
        shear=float(affine.get("shear", (0.0, 0.0))[0]),
        scale_x=float(affine.get("scale", 1.0)),
        scale_y=float(affine.get("scale_y", affine.get("scale", 1.0))),
        flip_h=drawn.get("RandomHorizontalFlip", False),
        flip_v=drawn.get("RandomVerticalFlip", False),
        brightness=jitter.get("brightness_factor"),
    )
