"""One augmentation spec for both frameworks: fields, ranges, presets, JSON and a stable hash.

The spec says *what* augmentation means (rotate up to 30 degrees, shift up to 10 % of the
width, ...) in library-neutral terms; ``keras_builder`` and ``torch_builder`` translate it.
``FIELDS`` is the single declarative description of every parameter: validation reads its
ranges, and the Streamlit page generates its widgets from it (as albumentations-demo does).

    spec = AugmentSpec.preset("talk")
    text = spec.to_json()                       # canonical, sorted keys
    assert AugmentSpec.from_json(text) == spec  # SpecError(field, message) on bad input
    spec.stable_hash()                          # 12 hex digits, same spec -> same hash
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass

from pipeline.json_input import (
    SettingError,
    choice_problem,
    number_problem,
    parse_settings,
    show_value,
    type_name,
)
from pipeline.settings import atomic_write_bytes, cache_root


class SpecError(SettingError):
    """A spec that cannot be used; ``field`` names the parameter (or "json" for the text)."""


@dataclass(frozen=True)
class Field:
    """One parameter: its type, its allowed range and how a person should read it."""

    name: str
    label: str
    kind: str  # "float", "int", "bool", "choice" or "range" (a (min, max) pair, or None = off)
    help: str
    low: float | None = None
    high: float | None = None
    step: float | None = None
    choices: tuple[str, ...] = ()
    # a random change drawn per training image (what an augmentation search varies); False for
    # the preprocessing every image gets, at test time too, which a search keeps at its preset
    augments: bool = True


FIELDS = (
    Field(
        "rotation", "Rotation (degrees)", "float", "angle drawn uniformly from [-r, r]", 0, 180, 1
    ),
    Field(
        "width_shift",
        "Width shift (fraction)",
        "float",
        "horizontal shift drawn from [-f, f] x image width",
        0,
        0.9,
        0.01,
    ),
    Field(
        "height_shift",
        "Height shift (fraction)",
        "float",
        "vertical shift drawn from [-f, f] x image height",
        0,
        0.9,
        0.01,
    ),
    Field("shear", "Shear (degrees)", "float", "shear angle drawn from [-s, s]", 0, 45, 1),
    Field(
        "zoom",
        "Zoom (fraction)",
        "float",
        "zoom up to z in or out: Keras draws a zoom-out factor in [1-z, 1+z]",
        0,
        0.9,
        0.01,
    ),
    Field(
        "zoom_axes",
        "Zoom axes",
        "choice",
        "independent: x and y zoom drawn separately (ImageDataGenerator, the aspect ratio "
        "changes); shared: one factor for both (torchvision's RandomAffine)",
        choices=("independent", "shared"),
    ),
    Field(
        "brightness",
        "Brightness range (factor)",
        "range",
        "brightness factor drawn from [min, max]; 1 = unchanged; off = no brightness change",
        0.1,
        3.0,
        0.05,
    ),
    Field(
        "contrast",
        "Contrast range (factor)",
        "range",
        "contrast factor drawn from [min, max] around the image's mean grey level; off = none",
        0.1,
        3.0,
        0.05,
    ),
    Field(
        "gamma",
        "Gamma range (exponent)",
        "range",
        "gamma drawn from [min, max]: 255 (x/255)^g; < 1 brightens the darks; off = none",
        0.2,
        5.0,
        0.05,
    ),
    Field("horizontal_flip", "Horizontal flip", "bool", "mirror left-right with probability 0.5"),
    Field("vertical_flip", "Vertical flip", "bool", "mirror top-bottom with probability 0.5"),
    Field(
        "fill_mode",
        "Fill mode",
        "choice",
        "what fills pixels moved in from outside the image",
        choices=("nearest", "constant", "reflect", "wrap"),
    ),
    Field(
        "fill_constant",
        "Fill constant (0-255)",
        "int",
        "grey level used by fill mode 'constant'",
        0,
        255,
        1,
    ),
    Field(
        "interpolation",
        "Interpolation",
        "choice",
        "how pixels between grid points are read",
        choices=("bilinear", "nearest"),
    ),
    Field(
        "rescale",
        "Rescale (multiplier)",
        "float",
        "pixel values 0-255 are multiplied by this after augmenting; 1/255 gives 0-1",
        1e-6,
        1.0,
        augments=False,
    ),
    Field(
        "normalization",
        "Normalisation",
        "choice",
        "none; per_sample: each image to mean 0, std 1; per_dataset: training split's mean and std",
        choices=("none", "per_sample", "per_dataset"),
        augments=False,
    ),
)
FIELD_BY_NAME = {f.name: f for f in FIELDS}
RANGE_FIELDS = tuple(f.name for f in FIELDS if f.kind == "range")


@dataclass(frozen=True)
class AugmentSpec:
    """Library-neutral augmentation settings. Defaults are the identity (preset ``none``)."""

    rotation: float = 0.0
    width_shift: float = 0.0
    height_shift: float = 0.0
    shear: float = 0.0
    zoom: float = 0.0
    zoom_axes: str = "independent"  # ImageDataGenerator's draw
    brightness: tuple[float, float] | None = None
    contrast: tuple[float, float] | None = None
    gamma: tuple[float, float] | None = None
    horizontal_flip: bool = False
    vertical_flip: bool = False
    fill_mode: str = "nearest"  # ImageDataGenerator's default
    fill_constant: int = 0
    interpolation: str = "bilinear"  # ImageDataGenerator's default (torchvision's is nearest)
    rescale: float = 1 / 255
    normalization: str = "none"

    def __post_init__(self):
        # Normalise types here (30 -> 30.0, [a, b] -> (a, b)) so equal specs hash equally.
        for field in FIELDS:
            value = _checked(field, getattr(self, field.name))
            object.__setattr__(self, field.name, value)

    def to_dict(self) -> dict:
        values = dataclasses.asdict(self)
        for name in RANGE_FIELDS:
            if values[name] is not None:
                values[name] = list(values[name])
        return values

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, sort_keys=True)

    def stable_hash(self) -> str:
        """First 12 hex digits of the SHA-256 of the canonical (compact, sorted) JSON."""
        canonical = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:12]

    def replace(self, **changes) -> AugmentSpec:
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_dict(cls, values) -> AugmentSpec:
        """A spec from a mapping; missing fields take the identity defaults."""
        if not isinstance(values, dict):
            raise SpecError("json", f"expected an object of parameters, got {type_name(values)}")
        unknown = sorted(set(values) - set(FIELD_BY_NAME))
        if unknown:
            raise SpecError(
                str(unknown[0])[:40], f"unknown parameter; known: {', '.join(FIELD_BY_NAME)}"
            )
        return cls(**values)

    @classmethod
    def from_json(cls, text: str | bytes) -> AugmentSpec:
        """Parse a spec written by ``to_json`` (or by hand). Raises SpecError naming the field."""
        return cls.from_dict(parse_settings(text, SpecError, "spec", allow_nan=False))

    @classmethod
    def preset(cls, name: str) -> AugmentSpec:
        if name not in PRESETS:
            raise SpecError(
                "preset", f"unknown preset '{str(name)[:40]}'; choose one of {', '.join(PRESETS)}"
            )
        return PRESETS[name]


# ---- the spec the training page uses ----


def training_spec_path():
    return cache_root() / "settings" / "augment_spec.json"


def save_for_training(spec: AugmentSpec) -> None:
    """Store ``spec`` as the one the training page uses (atomic: never half a file)."""
    atomic_write_bytes(training_spec_path(), spec.to_json().encode())


def load_for_training() -> AugmentSpec | None:
    """The spec saved with ``save_for_training``, or None if none was saved yet.

    None (not a default preset) so that callers can say "no spec chosen; using X" instead of
    silently training with something nobody picked. A damaged file raises SpecError.
    """
    path = training_spec_path()
    if not path.exists():
        return None
    return AugmentSpec.from_json(path.read_bytes())


# ---- validation ----


def _checked(field: Field, value):
    """``value`` converted to the field's type, or SpecError saying what is wrong."""
    if field.kind == "bool":
        if not isinstance(value, bool):
            raise SpecError(field.name, f"expected true or false, got {show_value(value)}")
        return value
    if field.kind == "choice":
        problem = choice_problem(value, field.choices)
        if problem:
            raise SpecError(field.name, problem)
        return value
    if field.kind == "range":
        if value is None:
            return None
        if not isinstance(value, (list, tuple)) or len(value) != 2:
            raise SpecError(field.name, f"expected [min, max] or null, got {show_value(value)}")
        low, high = (_number(field, v) for v in value)
        if low > high:
            raise SpecError(field.name, f"min {low:g} is greater than max {high:g}")
        return (low, high)
    number = _number(field, value)
    if field.kind == "int":
        if number != int(number):
            raise SpecError(field.name, f"expected a whole number, got {show_value(value)}")
        return int(number)
    return number


def _number(field: Field, value) -> float:
    problem = number_problem(value, field.low, field.high)
    if problem:
        raise SpecError(field.name, problem)
    return float(value)


# ---- presets (after the validation they go through) ----

PRESETS = {
    "none": AugmentSpec(),
    # The talk's pipeline uses an ImageDataGenerator; its slides give no values, so these are the
    # app's choice (pipeline/talk/origins.py): rotation_range=30, zoom_range=0.2,
    # width/height_shift_range=0.1, horizontal_flip=True, everything else at the library's defaults.
    "talk": AugmentSpec(
        rotation=30, zoom=0.2, width_shift=0.1, height_shift=0.1, horizontal_flip=True
    ),
    # Small changes that keep anatomy plausible: no flip (the heart stays on the left).
    "light": AugmentSpec(
        rotation=10, width_shift=0.05, height_shift=0.05, zoom=0.1, brightness=(0.9, 1.1)
    ),
    # The robust recipe's augmentation (docs/generalisation.md): the talk's geometry, drawn the
    # same way in both frameworks, plus acquisition-like intensity changes (exposure, contrast
    # and gamma differ between hospitals and intakes).
    "robust": AugmentSpec(
        rotation=30,
        zoom=0.2,
        width_shift=0.1,
        height_shift=0.1,
        horizontal_flip=True,
        brightness=(0.8, 1.2),
        contrast=(0.75, 1.33),
        gamma=(0.75, 1.33),
    ),
    "strong": AugmentSpec(
        rotation=30,
        width_shift=0.15,
        height_shift=0.15,
        shear=10,
        zoom=0.25,
        brightness=(0.7, 1.3),
        horizontal_flip=True,
    ),
}
