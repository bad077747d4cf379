"""The generated code builds what the builders build: executed here and compared."""

import numpy as np
import pytest
import torch
import torchvision  # noqa: F401  (before TensorFlow, which the Keras code imports)

from pipeline.augment import keras_builder
from pipeline.augment.codegen import balance_code, keras_code, torch_code
from pipeline.augment.preview import builders
from pipeline.augment.spec import PRESETS, AugmentSpec
from pipeline.augment.stats import DatasetStats
from pipeline.augment.torch_builder import affine_arguments

pytestmark = pytest.mark.filterwarnings(
    "ignore:Please import `affine_transform`:DeprecationWarning"
)

STATS = DatasetStats(mean=0.4821, std=0.2374, images=100, rescale=1 / 255)
SPECS = [
    *PRESETS.values(),
    AugmentSpec(
        width_shift=0.05,
        height_shift=0.2,
        fill_mode="constant",
        fill_constant=128,
        interpolation="nearest",
    ),
    AugmentSpec(rotation=15, shear=8, vertical_flip=True, normalization="per_sample"),
    AugmentSpec(zoom=0.3, brightness=(0.5, 1.5), normalization="per_dataset"),
    AugmentSpec(rotation=5, rescale=1.0),
    AugmentSpec(rotation=5, rescale=0.5, fill_mode="wrap"),
]


def plain_library(spec) -> bool:
    """The generated code is exact only without what the libraries lack: torch's affine
    (SpecAffine: Keras' fill and zoom draw), contrast, gamma and a shared Keras zoom."""
    return not (spec.contrast or spec.gamma or (spec.zoom and spec.zoom_axes == "shared"))


IDG_ATTRIBUTES = (
    "rotation_range",
    "width_shift_range",
    "height_shift_range",
    "shear_range",
    "zoom_range",
    "brightness_range",
    "horizontal_flip",
    "vertical_flip",
    "fill_mode",
    "cval",
    "interpolation_order",
    "rescale",
    "samplewise_center",
    "samplewise_std_normalization",
    "featurewise_center",
    "featurewise_std_normalization",
)


def stats_for(spec):
    return STATS if spec.normalization == "per_dataset" else None


@pytest.fixture
def image():
    return np.random.default_rng(0).integers(0, 256, (48, 48), dtype=np.uint8)


@pytest.mark.parametrize(
    "spec", [s for s in SPECS if plain_library(s)], ids=lambda s: s.stable_hash()
)
def test_generated_keras_code_builds_the_same_generator(spec, image):
    namespace = {"x_train": image[None], "y_train": np.zeros(1)}
    exec(keras_code(spec, stats_for(spec)), namespace)
    generated, built = namespace["datagen"], builders(spec, stats_for(spec))[0]
    for name in IDG_ATTRIBUTES:
        assert getattr(generated, name) == getattr(built, name) or (
            not getattr(generated, name) and not getattr(built, name)
        ), name
    params = keras_builder.draw_params(built, image.shape, 3, seed=1)
    for p in params:
        np.testing.assert_array_equal(
            keras_builder.augment(generated, image, p), keras_builder.augment(built, image, p)
        )
    assert namespace["train_batches"][0][0].shape == (1, 48, 48, 1)


@pytest.mark.parametrize(
    "spec",
    [s for s in SPECS if plain_library(s) and affine_arguments(s) is None],
    ids=lambda s: s.stable_hash(),
)
def test_generated_torch_code_gives_the_same_tensors(spec, image):
    namespace = {}
    exec(torch_code(spec, stats_for(spec)), namespace)
    generated, built = namespace["train_transform"], builders(spec, stats_for(spec))[1]
    x = torch.from_numpy(image.copy())[None]
    for seed in range(3):
        torch.manual_seed(seed)
        expected = built(x)
        torch.manual_seed(seed)
        assert torch.equal(generated(x), expected)
    assert expected.dtype == torch.float32 and expected.shape == (1, 48, 48)


def test_code_mentions_only_what_differs_from_the_defaults():
    code = keras_code(AugmentSpec.preset("talk"))
    assert (
        "rotation_range=30.0" in code
        and "zoom_range=0.2" in code
        and "horizontal_flip=True" in code
    )
    assert "fill_mode" not in code and "vertical_flip" not in code and "rescale=1 / 255" in code
    assert "scale=(1 / 1.2, 1 / 0.8)" in torch_code(AugmentSpec.preset("talk"))
    assert "swapped on purpose" in keras_code(AugmentSpec(width_shift=0.1, height_shift=0.2))


def test_balance_code_carries_the_weights():
    code = balance_code({0: 1.9448, 1: 0.6730})
    assert "class_weight={0: 1.9448, 1: 0.6730}" in code and "WeightedRandomSampler(" in code
