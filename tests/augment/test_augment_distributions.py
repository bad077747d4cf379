"""Drawn parameters follow the spec's distribution in both builders (fixed seeds, many draws).

Kolmogorov-Smirnov for continuous draws (SpecAffine draws shifts in fractions of a pixel, as
ImageDataGenerator does), binomial for flips. A rejection threshold of p < 1e-4 keeps the fixed-seed tests stable while
a wrong range (checked below) is rejected with p far below it.
"""

import numpy as np
import pytest
from scipy import stats

from pipeline.augment import keras_builder, torch_builder
from pipeline.augment.preview import builders
from pipeline.augment.spec import AugmentSpec

pytestmark = pytest.mark.filterwarnings(
    "ignore:Please import `affine_transform`:DeprecationWarning"
)

SIZE = 64
DRAWS = 3000
ALPHA = 1e-4
SPEC = AugmentSpec(
    rotation=30,
    width_shift=0.1,
    height_shift=0.25,
    shear=12,
    zoom=0.2,
    brightness=(0.6, 1.3),
    horizontal_flip=True,
    vertical_flip=True,
    fill_mode="constant",
)


def uniform(low, high):
    return stats.uniform(loc=low, scale=high - low).cdf


@pytest.fixture(scope="module")
def keras_draws():
    generator, _ = builders(SPEC)
    params = keras_builder.draw_params(generator, (SIZE, SIZE), DRAWS, seed=1)
    return [keras_builder.to_draw(p) for p in params]


@pytest.fixture(scope="module")
def torch_draws():
    _, transform = builders(SPEC)
    image = np.zeros((SIZE, SIZE), np.uint8)
    return [draw for _, draw in torch_builder.augment_many(transform, image, DRAWS, seed=1)]


def column(draws, name):
    return np.array([getattr(d, name) for d in draws], dtype=float)


def assert_follows(values, cdf):
    p = stats.kstest(values, cdf).pvalue
    assert p > ALPHA, p


def test_keras_draws_follow_the_spec(keras_draws):
    assert_follows(column(keras_draws, "angle"), uniform(-30, 30))
    assert_follows(
        column(keras_draws, "shift_x"), uniform(-0.1 * SIZE, 0.1 * SIZE)
    )  # width shift is horizontal
    assert_follows(column(keras_draws, "shift_y"), uniform(-0.25 * SIZE, 0.25 * SIZE))
    assert_follows(column(keras_draws, "shear"), uniform(-12, 12))
    zoom_x, zoom_y = 1 / column(keras_draws, "scale_x"), 1 / column(keras_draws, "scale_y")
    assert_follows(zoom_x, uniform(0.8, 1.2))  # Keras' zoom-out factor, uniform in [1-z, 1+z]
    assert_follows(zoom_y, uniform(0.8, 1.2))
    assert abs(np.corrcoef(zoom_x, zoom_y)[0, 1]) < 0.08  # drawn independently
    assert_follows(column(keras_draws, "brightness"), uniform(0.6, 1.3))


def test_torch_draws_follow_the_spec(torch_draws):
    """SpecAffine draws as ImageDataGenerator does: zoom per axis, shifts in fractions of a pixel."""
    assert_follows(column(torch_draws, "angle"), uniform(-30, 30))
    assert_follows(column(torch_draws, "shear"), uniform(-12, 12))
    zoom_x, zoom_y = 1 / column(torch_draws, "scale_x"), 1 / column(torch_draws, "scale_y")
    assert_follows(zoom_x, uniform(0.8, 1.2))  # the zoom-out factor Keras draws, per axis
    assert_follows(zoom_y, uniform(0.8, 1.2))
    assert abs(np.corrcoef(zoom_x, zoom_y)[0, 1]) < 0.08  # drawn independently
    assert_follows(column(torch_draws, "brightness"), uniform(0.6, 1.3))
    assert_follows(column(torch_draws, "shift_x"), uniform(-0.1 * SIZE, 0.1 * SIZE))
    assert_follows(column(torch_draws, "shift_y"), uniform(-0.25 * SIZE, 0.25 * SIZE))


def test_a_shared_zoom_draws_one_factor_for_both_axes():
    _, transform = builders(SPEC.replace(zoom_axes="shared"))
    image = np.zeros((SIZE, SIZE), np.uint8)
    draws = [draw for _, draw in torch_builder.augment_many(transform, image, 500, seed=2)]
    scale = column(draws, "scale_x")
    assert np.array_equal(scale, column(draws, "scale_y"))
    assert_follows(1 / scale, uniform(0.8, 1.2))


@pytest.mark.parametrize("framework", ["keras", "torch"])
def test_flips_are_fair_coins(framework, keras_draws, torch_draws):
    draws = keras_draws if framework == "keras" else torch_draws
    for name in ("flip_h", "flip_v"):
        heads = int(column(draws, name).sum())
        assert stats.binomtest(heads, len(draws), 0.5).pvalue > ALPHA, (name, heads)


def test_the_checks_reject_a_wrong_range(keras_draws, torch_draws):
    """The same checks fail for a distribution the spec did not ask for: they can fail."""
    assert stats.kstest(column(keras_draws, "angle"), uniform(-25, 25)).pvalue < 1e-9
    zoom_x = 1 / column(torch_draws, "scale_x")
    assert stats.kstest(zoom_x, uniform(0.85, 1.15)).pvalue < 1e-9  # a narrower zoom
    shift_x = column(torch_draws, "shift_x")
    assert stats.kstest(shift_x, uniform(-0.12 * SIZE, 0.12 * SIZE)).pvalue < 1e-9


def test_off_parameters_draw_nothing():
    spec = AugmentSpec(rotation=20)
    generator, transform = builders(spec)
    image = np.zeros((SIZE, SIZE), np.uint8)
    keras = [
        keras_builder.to_draw(p)
        for p in keras_builder.draw_params(generator, (SIZE, SIZE), 50, seed=0)
    ]
    torch = [d for _, d in torch_builder.augment_many(transform, image, 50, seed=0)]
    for draws in (keras, torch):
        assert all(
            d.shift_x == d.shift_y == d.shear == 0 and d.scale_x == d.scale_y == 1 for d in draws
        )
        assert not any(d.flip_h or d.flip_v or d.brightness for d in draws)
        assert len({d.angle for d in draws}) == 50
