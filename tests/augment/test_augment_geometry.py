"""Both builders on real pixels: identity, exact flips, a known rotation, and drawn parameters
that say where the image went. Keras' ImageDataGenerator and torchvision run in this process
(torch and torchvision imported first)."""

import math

import numpy as np
import pytest
import torch

from pipeline.augment import keras_builder, torch_builder
from pipeline.augment.differences import differences
from pipeline.augment.draws import Draw
from pipeline.augment.preview import builders, make_preview, to_pixels
from pipeline.augment.spec import FIELDS, AugmentSpec
from pipeline.augment.stats import DatasetStats
from pipeline.data.images import read_grayscale

pytestmark = pytest.mark.filterwarnings(
    "ignore:Please import `affine_transform`:DeprecationWarning"
)

SIZE = 96
CENTRE = (SIZE - 1) / 2
MARKER = (
    CENTRE + 12,
    CENTRE - 16,
)  # (x, y) of a small bright square, right of and above the centre


@pytest.fixture
def xray(real_data):
    path = sorted((real_data / "train" / "NORMAL").glob("*.jpeg"))[0]
    return read_grayscale(path, 224)[0]


@pytest.fixture(scope="module")
def pattern():
    """Black, with a 4 x 4 white square centred on MARKER."""
    image = np.zeros((SIZE, SIZE), np.uint8)
    x, y = (round(v - 1.5) for v in MARKER)
    image[y : y + 4, x : x + 4] = 255
    return image


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    weights = image.astype(np.float64)
    ys, xs = np.indices(image.shape)
    return float((xs * weights).sum() / weights.sum()), float((ys * weights).sum() / weights.sum())


def keras_apply(spec, image, draw):
    generator, _ = builders(spec)
    return keras_builder.augment(generator, image, keras_builder.from_draw(draw))


def torch_apply(spec, image, draw):
    _, transform = builders(spec)
    return torch_builder.apply_draw(transform, image, draw)


def test_identity_gives_the_input_back_in_both(xray):
    spec = AugmentSpec.preset("none")
    preview = make_preview(spec, xray, 4, seed=3)
    for output in preview.keras + preview.torch:
        assert output.dtype == np.float32 and output.shape == xray.shape
        np.testing.assert_allclose(output, xray / 255.0, rtol=0, atol=1e-7)
        assert np.array_equal(to_pixels(output, spec), xray)


def test_flips_are_exact_mirrors_in_both(xray):
    spec = AugmentSpec(horizontal_flip=True, vertical_flip=True)
    preview = make_preview(spec, xray, 16, seed=0)
    identity = make_preview(AugmentSpec(), xray, 1, seed=0)
    for framework in ("keras", "torch"):
        outputs, draws = getattr(preview, framework), getattr(preview, f"{framework}_draws")
        reference = getattr(identity, framework)[0]
        assert {d.flip_h for d in draws} == {True, False} and {d.flip_v for d in draws} == {
            True,
            False,
        }
        for output, draw in zip(outputs, draws):
            expected = reference[:, ::-1] if draw.flip_h else reference
            expected = expected[::-1] if draw.flip_v else expected
            assert np.array_equal(output, expected), (framework, draw)


@pytest.mark.parametrize("angle", [30.0, -45.0, 90.0])
def test_a_known_rotation_lands_where_expected_in_both(pattern, angle):
    spec = AugmentSpec(rotation=90, fill_mode="constant")
    theta = math.radians(angle)
    dx, dy = MARKER[0] - CENTRE, MARKER[1] - CENTRE
    # counter-clockwise on screen, where y points down
    expected = (
        CENTRE + dx * math.cos(theta) + dy * math.sin(theta),
        CENTRE - dx * math.sin(theta) + dy * math.cos(theta),
    )
    for apply in (keras_apply, torch_apply):
        landed = centre_of_mass(to_pixels(apply(spec, pattern, Draw(angle=angle)), spec))
        assert math.dist(landed, expected) < 1.0, (apply.__name__, landed, expected)


def test_a_known_shift_moves_right_and_down_in_both(pattern):
    spec = AugmentSpec(width_shift=0.2, height_shift=0.2, fill_mode="constant")
    for apply in (keras_apply, torch_apply):
        landed = centre_of_mass(to_pixels(apply(spec, pattern, Draw(shift_x=7, shift_y=-5)), spec))
        assert math.dist(landed, (MARKER[0] + 7, MARKER[1] - 5)) < 0.5, apply.__name__


def test_width_shift_moves_only_sideways_in_both(pattern):
    """Keras 3's legacy class applies width_shift_range vertically; the builder swaps it back."""
    spec = AugmentSpec(width_shift=0.2, fill_mode="constant")
    preview = make_preview(spec, pattern, 8, seed=1)
    for framework in ("keras", "torch"):
        moved = [centre_of_mass(to_pixels(x, spec)) for x in getattr(preview, framework)]
        assert all(abs(y - MARKER[1]) < 0.01 for _, y in moved), framework
        assert max(abs(x - MARKER[0]) for x, _ in moved) > 3, framework


def predicted_position(draw: Draw, framework: str) -> tuple[float, float]:
    """Where MARKER goes under ``draw``: rotate, then (Keras) shift and zoom or (torch) zoom and shift."""
    theta = math.radians(draw.angle)
    dx, dy = MARKER[0] - CENTRE, MARKER[1] - CENTRE
    x, y = dx * math.cos(theta) + dy * math.sin(theta), -dx * math.sin(theta) + dy * math.cos(theta)
    if framework == "keras":  # ImageDataGenerator shifts in input pixels, before the zoom
        x, y = (x + draw.shift_x) * draw.scale_x, (y + draw.shift_y) * draw.scale_y
    else:
        x, y = x * draw.scale_x + draw.shift_x, y * draw.scale_y + draw.shift_y
    x, y = (-x if draw.flip_h else x), (-y if draw.flip_v else y)
    return CENTRE + x, CENTRE + y


def test_drawn_parameters_say_where_the_image_went(pattern):
    """The talk preset (constant fill): every sample's marker is where its drawn parameters put it."""
    spec = AugmentSpec.preset("talk").replace(fill_mode="constant")
    preview = make_preview(spec, pattern, 16, seed=11)
    for framework in ("keras", "torch"):
        for output, draw in zip(
            getattr(preview, framework), getattr(preview, f"{framework}_draws")
        ):
            landed = centre_of_mass(to_pixels(output, spec))
            assert math.dist(landed, predicted_position(draw, framework)) < 1.0, (framework, draw)


def test_traced_torch_draws_equal_calling_the_pipeline(xray):
    for name in ("talk", "strong"):
        _, transform = builders(AugmentSpec.preset(name))
        traced = torch_builder.augment_many(transform, xray, 6, seed=5)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(5)
            direct = [transform(torch.from_numpy(xray.copy())[None])[0].numpy() for _ in range(6)]
        for (output, _), expected in zip(traced, direct):
            assert np.array_equal(output, expected), name


def test_keras_replaying_torch_draws_matches_without_shear(xray):
    """Same drawn parameters, both libraries: without shear only rounding remains, and the
    one-pixel band along the moved image's edge, where the two blend in the fill differently."""
    spec = AugmentSpec.preset("talk").replace(fill_mode="constant", brightness=(0.7, 1.3))
    preview = make_preview(spec, xray, 8, seed=2)
    for torch_output, keras_output in zip(preview.torch, preview.replay):
        gap = np.abs(to_pixels(torch_output, spec).astype(int) - to_pixels(keras_output, spec))
        assert gap.mean() < 1.0 and np.percentile(gap, 99) <= 2 and (gap > 2).mean() < 0.015, (
            gap.mean()
        )


@pytest.mark.parametrize("fill_mode", ["nearest", "reflect"])
def test_both_frameworks_fill_the_same_way_and_zoom_per_axis(xray, fill_mode):
    """The torch side honours Keras' fill modes and per-axis zoom: replaying its draws in
    ImageDataGenerator gives the same pixels, corners included (no black corners)."""
    spec = AugmentSpec.preset("talk").replace(fill_mode=fill_mode)
    preview = make_preview(spec, xray, 8, seed=3)
    assert any(d.scale_x != d.scale_y for d in preview.torch_draws)  # zoom drawn per axis
    for torch_output, keras_output in zip(preview.torch, preview.replay):
        torch_pixels, keras_pixels = to_pixels(torch_output, spec), to_pixels(keras_output, spec)
        gap = np.abs(torch_pixels.astype(int) - keras_pixels)
        assert gap.mean() < 1.0 and np.percentile(gap, 99) <= 2, gap.mean()
        corners = torch_pixels[[0, 0, -1, -1], [0, -1, 0, -1]]
        assert np.abs(corners.astype(int) - keras_pixels[[0, 0, -1, -1], [0, -1, 0, -1]]).max() <= 2


def test_shared_zoom_axes_draw_one_factor_in_both(xray):
    spec = AugmentSpec.preset("talk").replace(zoom_axes="shared")
    preview = make_preview(spec, xray, 8, seed=3)
    for draw in (*preview.torch_draws, *preview.keras_draws):
        assert draw.scale_x == pytest.approx(draw.scale_y)


def test_contrast_and_gamma_are_one_definition_in_both(xray):
    """The same contrast and gamma change the same pixels in both frameworks (whole grey levels apart)."""
    from pipeline.augment.intensity import apply_intensity

    expected = apply_intensity(xray.astype(np.float64), 1.3, 0.8)
    spec = AugmentSpec(contrast=(1.3, 1.3), gamma=(0.8, 0.8), rescale=1.0)
    generator, transform = builders(spec)
    keras_out = keras_builder.augment(
        generator, xray, generator.get_random_transform((*xray.shape, 1))
    )
    torch_out = transform(torch.from_numpy(xray.copy())[None])[0].numpy()
    assert np.abs(keras_out - expected).max() < 1e-3
    assert np.abs(torch_out - expected).max() <= 0.5 + 1e-3


def test_shear_is_the_difference_that_remains(xray):
    spec = AugmentSpec(shear=20, fill_mode="constant")
    preview = make_preview(spec, xray, 8, seed=4)
    gaps = [
        np.abs(to_pixels(t, spec).astype(int) - to_pixels(k, spec)).mean()
        for t, k, d in zip(preview.torch, preview.replay, preview.torch_draws)
        if abs(d.shear) > 10
    ]
    assert gaps and min(gaps) > 2  # Keras' shear matrix also stretches: not the same picture
    assert next(d for d in differences(spec) if d.parameter == "shear").status == "differs"


@pytest.mark.parametrize(
    "changes",
    [
        {"normalization": "per_sample"},
        {"normalization": "per_dataset"},
        {"rescale": 1.0},
        {"rescale": 0.5, "normalization": "per_dataset"},
    ],
)
def test_rescale_and_normalisation_agree_between_frameworks(xray, changes):
    spec = AugmentSpec(**changes)
    stats = (
        DatasetStats(
            mean=0.47 / spec.rescale * (1 / 255),
            std=0.23 / spec.rescale * (1 / 255),
            images=1,
            rescale=spec.rescale,
        )
        if spec.normalization == "per_dataset"
        else None
    )
    preview = make_preview(spec, xray, 1, seed=0, stats=stats)
    keras_output, torch_output = preview.keras[0], preview.torch[0]
    np.testing.assert_allclose(keras_output, torch_output, rtol=1e-5, atol=1e-5)
    if spec.normalization == "per_sample":
        assert abs(keras_output.mean()) < 1e-5 and abs(keras_output.std() - 1) < 1e-4
    if spec.normalization != "per_sample":
        assert np.array_equal(to_pixels(torch_output, spec, stats), xray)


def test_per_dataset_needs_matching_statistics():
    spec = AugmentSpec(normalization="per_dataset")
    for build in (keras_builder.build_image_data_generator, torch_builder.build_torch_transform):
        with pytest.raises(ValueError, match="needs the training split's mean and std"):
            build(spec)
        with pytest.raises(ValueError, match="computed for rescale 1"):
            build(spec, DatasetStats(0.5, 0.2, 10, rescale=1.0))


def test_preview_refuses_bad_requests(xray):
    spec = AugmentSpec.preset("talk")
    for count in (0, 17):
        with pytest.raises(ValueError, match="samples must be 1 to 16"):
            make_preview(spec, xray, count, seed=0)
    with pytest.raises(ValueError, match="uint8 grayscale"):
        make_preview(spec, xray.astype(np.float32), 2, seed=0)


def test_same_seed_same_samples_and_more_samples_keep_the_first(xray):
    spec = AugmentSpec.preset("strong")
    four, eight = make_preview(spec, xray, 4, seed=9), make_preview(spec, xray, 8, seed=9)
    assert four.keras_draws == eight.keras_draws[:4] and four.torch_draws == eight.torch_draws[:4]
    assert all(np.array_equal(a, b) for a, b in zip(four.torch, eight.torch))
    assert make_preview(spec, xray, 4, seed=10).torch_draws != four.torch_draws


def test_every_parameter_has_one_line_on_what_differs():
    for spec in (
        AugmentSpec.preset("strong"),
        AugmentSpec(normalization="per_sample", fill_mode="reflect"),
    ):
        lines = differences(spec)
        assert sorted(d.parameter for d in lines) == sorted(
            f.name for f in FIELDS if f.name != "fill_constant"
        )
    statuses = {
        d.parameter: d.status
        for d in differences(AugmentSpec(fill_mode="reflect", normalization="per_sample"))
    }
    assert statuses["fill_mode"] == "same" and statuses["normalization"] == "not expressible"
    assert {d.parameter: d.status for d in differences(AugmentSpec(fill_mode="constant"))}[
        "fill_mode"
    ] == "close"
