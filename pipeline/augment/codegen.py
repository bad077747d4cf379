"""Copyable code for both frameworks, generated from a spec.

The generated code is self-contained (imports included) and builds exactly what
``build_image_data_generator`` / ``build_torch_transform`` build: the tests execute it and
compare. Only settings that differ from a library's defaults are written out.
"""

from __future__ import annotations

from .spec import AugmentSpec
from .stats import DatasetStats, check_stats
from .torch_builder import affine_arguments, fill_value

# ImageDataGenerator's own defaults: an argument equal to its default is left out of the code.
_IDG_DEFAULTS = {
    "rotation_range": 0,
    "width_shift_range": 0.0,
    "height_shift_range": 0.0,
    "shear_range": 0.0,
    "zoom_range": 0.0,
    "brightness_range": None,
    "horizontal_flip": False,
    "vertical_flip": False,
    "fill_mode": "nearest",
    "cval": 0.0,
    "interpolation_order": 1,
    "rescale": None,
    "samplewise_center": False,
    "samplewise_std_normalization": False,
    "featurewise_center": False,
    "featurewise_std_normalization": False,
}


def keras_code(spec: AugmentSpec, stats: DatasetStats | None = None) -> str:
    check_stats(spec, stats)
    args = {
        "rotation_range": spec.rotation,
        "width_shift_range": spec.height_shift,
        "height_shift_range": spec.width_shift,
        "shear_range": spec.shear,
        "zoom_range": spec.zoom,
        "brightness_range": list(spec.brightness) if spec.brightness else None,
        "horizontal_flip": spec.horizontal_flip,
        "vertical_flip": spec.vertical_flip,
        "fill_mode": spec.fill_mode,
        "cval": float(spec.fill_constant),
        "interpolation_order": {"nearest": 0, "bilinear": 1}[spec.interpolation],
        "rescale": None if spec.rescale == 1.0 else spec.rescale,
        "samplewise_center": spec.normalization == "per_sample",
        "samplewise_std_normalization": spec.normalization == "per_sample",
        "featurewise_center": spec.normalization == "per_dataset",
        "featurewise_std_normalization": spec.normalization == "per_dataset",
    }
    lines = [
        f"    {name}={_literal(name, value)},"
        for name, value in args.items()
        if value != _IDG_DEFAULTS[name]
    ]
    if spec.width_shift != spec.height_shift:
        lines.insert(
            0,
            "    # Keras 3's legacy class applies width_shift_range vertically: passed swapped on purpose",
        )
    code = [
        "import numpy as np",
        "import tensorflow as tf",
        "",
        "datagen = tf.keras.preprocessing.image.ImageDataGenerator(",
        *lines,
        ")",
    ]
    if spec.normalization == "per_dataset":
        code += [
            "# datagen.fit(x_train[..., None]) would compute these from the whole split in memory;",
            "# here they were computed beforehand, streamed, after rescale:",
            f"datagen.mean = np.full((1, 1, 1), {stats.mean!r}, dtype=np.float32)",
            f"datagen.std = np.full((1, 1, 1), {stats.std!r}, dtype=np.float32)",
        ]
    code += [
        "",
        "# x_train: (N, H, W) uint8 grayscale, y_train: (N,) labels",
        "train_batches = datagen.flow(x_train[..., None], y_train, batch_size=32)",
    ]
    return "\n".join(code) + "\n"


def torch_code(spec: AugmentSpec, stats: DatasetStats | None = None) -> str:
    check_stats(spec, stats)
    steps = _torch_affine(spec)
    if spec.horizontal_flip:
        steps.append("v2.RandomHorizontalFlip(),")
    if spec.vertical_flip:
        steps.append("v2.RandomVerticalFlip(),")
    if spec.brightness:
        steps.append(f"v2.ColorJitter(brightness={spec.brightness!r}),")
    if spec.contrast or spec.gamma:
        steps.append("# contrast and gamma: pipeline/augment/intensity.py (no torchvision step)")
    if spec.rescale == 1 / 255:
        steps.append("v2.ToDtype(torch.float32, scale=True),  # 0-255 -> 0-1, as rescale=1/255")
    else:
        steps.append("v2.ToDtype(torch.float32),")
        if spec.rescale != 1.0:
            steps.append(f"v2.Normalize(mean=[0.0], std=[1 / {spec.rescale!r}]),  # x * rescale")
    helper = []
    if spec.normalization == "per_sample":
        steps.append("v2.Lambda(standardize_per_sample),")
        helper = [
            "",
            "def standardize_per_sample(x):",
            '    """Keras\' samplewise_center + samplewise_std_normalization."""',
            "    return (x - x.mean()) / (x.std(correction=0) + 1e-6)",
            "",
        ]
    elif spec.normalization == "per_dataset":
        steps.append(
            f"v2.Normalize(mean=[{stats.mean!r}], std=[{stats.std!r} + 1e-6]),  # training split"
        )
    code = [
        "import torch",
        "from torchvision.transforms import v2",
        *helper,
        "",
        "# input: a uint8 tensor (1, H, W); output: float32 (1, H, W)",
        "train_transform = v2.Compose([",
        *(f"    {step}" for step in steps),
        "])",
    ]
    return "\n".join(code) + "\n"


def _torch_affine(spec: AugmentSpec) -> list[str]:
    """The ``v2.RandomAffine`` step's lines (none when the spec moves nothing)."""
    affine = affine_arguments(spec)
    if affine is None:
        return []
    args = [f"degrees={affine.degrees!r}"]
    if affine.translate:
        args.append(f"translate={affine.translate!r}")
    if affine.scale:
        args.append(f"scale=(1 / {1 + spec.zoom!r}, 1 / {1 - spec.zoom!r})")
    if affine.shear:
        args.append(f"shear={affine.shear!r}")
    args.append(f"interpolation=v2.InterpolationMode.{spec.interpolation.upper()}")
    if fill_value(spec):
        args.append(f"fill={fill_value(spec)}")
    return [
        "# PneumoLab trains with SpecAffine (pipeline/augment/torch_builder.py): Keras' fill",
        "# mode, zoom drawn per axis in Keras' way, sub-pixel shifts. RandomAffine is close:",
        "v2.RandomAffine(",
        *(f"    {arg}," for arg in args),
        "),",
    ]


def balance_code(class_weights: dict[int, float]) -> str:
    """Both ways of balancing classes, with the split's numbers filled in."""
    weights = ", ".join(f"{label}: {weight:.4f}" for label, weight in class_weights.items())
    return (
        "\n".join(
            [
                "# Keras: same batches, each class's loss weighed",
                f"model.fit(train_batches, class_weight={{{weights}}}, epochs=10)",
                "",
                "# PyTorch: batches drawn about 50 : 50",
                "from torch.utils.data import DataLoader, WeightedRandomSampler",
                "counts = torch.bincount(labels)",
                "sampler = WeightedRandomSampler(1.0 / counts[labels], num_samples=len(labels), replacement=True)",
                "loader = DataLoader(train_set, batch_size=32, sampler=sampler)",
            ]
        )
        + "\n"
    )


def _literal(name: str, value) -> str:
    return "1 / 255" if name == "rescale" and value == 1 / 255 else repr(value)
