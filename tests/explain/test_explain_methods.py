"""Saliency methods and their scores, on untrained models (fast): no training in this file.

The Keras methods are checked against pytorch-grad-cam itself: a Keras model given the torch
model's weights must produce the same maps, the same faithfulness and full agreement.
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import pipeline.explain.torch_cams as torch_cams  # the torch stack first: it must load before TensorFlow
from pipeline.explain import (
    CONV_LAYERS,
    agreement,
    build_explainer,
    default_layer,
    faithfulness,
    map_side,
    methods,
    overlay,
    pointing_game,
    top_region,
)
from pipeline.explain.overlay import MASK_COLOUR, outline
from pipeline.explain.scores import reachable_hit_rate
from tests.helpers.models import copy_weights

torch = torch_cams.torch
ROOT = Path(__file__).resolve().parents[2]
SIZE = 64


def torch_input(pixels):
    return torch.from_numpy(np.asarray(pixels, np.float32)[:, None] / 255.0)


def keras_input(pixels):
    return np.asarray(pixels, np.float32)[..., None] / 255.0


@pytest.fixture(scope="module")
def twins():
    """A torch model with non-trivial BatchNorm statistics and a Keras model holding its weights."""
    from models.keras_cnn import build_keras_cnn
    from models.torch_cnn import PneumoniaCNN

    torch.manual_seed(0)
    torch_model = PneumoniaCNN(SIZE).eval()
    for module in torch_model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.2, 0.2)
            module.running_var.uniform_(0.5, 1.5)
            module.weight.data.uniform_(0.5, 1.5)
    keras_model = build_keras_cnn(SIZE)
    copy_weights(torch_model, keras_model)
    return torch_model, keras_model


@pytest.fixture(scope="module")
def pixels():
    from pipeline.data import load_split

    return load_split("synthetic", "test", SIZE).images[:6]


def test_twins_predict_the_same(twins, pixels):
    torch_model, keras_model = twins
    with torch.no_grad():
        torch_p = torch.sigmoid(torch_model(torch_input(pixels))).numpy().ravel()
    keras_p = keras_model(keras_input(pixels), training=False).numpy().ravel()
    np.testing.assert_allclose(keras_p, torch_p, atol=1e-5)


@pytest.mark.parametrize("method", ["gradcam", "gradcam++"])
@pytest.mark.parametrize("layer", ["conv5", "conv3"])
def test_keras_maps_equal_pytorch_grad_cam(twins, pixels, method, layer):
    torch_model, keras_model = twins
    compared = 0
    for target in (
        1,
        0,
    ):  # an untrained model's map for one class is often empty: it is lit for the other
        torch_maps = build_explainer("torch", torch_model, torch_input, method, layer, target)(
            pixels
        )
        keras_maps = build_explainer("keras", keras_model, keras_input, method, layer, target)(
            pixels
        )

        assert torch_maps.shape == keras_maps.shape == pixels.shape
        assert torch_maps.dtype == keras_maps.dtype == np.float32
        for maps in (torch_maps, keras_maps):
            assert maps.min() >= 0 and maps.max() <= 1
        np.testing.assert_allclose(keras_maps, torch_maps, atol=1e-4)
        lit = torch_maps.reshape(len(pixels), -1).max(axis=1) > 0
        for torch_map, keras_map in zip(torch_maps[lit], keras_maps[lit]):
            assert agreement(torch_map, keras_map) > 0.98
        compared += lit.sum()
    assert compared >= len(pixels), "too few maps with a hot region: the comparison would be empty"


def test_one_image_in_one_map_out(twins, pixels):
    torch_model, keras_model = twins
    for framework, model, to_input in (
        ("torch", torch_model, torch_input),
        ("keras", keras_model, keras_input),
    ):
        single = build_explainer(framework, model, to_input)(pixels[0])
        assert single.shape == pixels[0].shape


def test_faithfulness_is_the_same_procedure_for_both(twins, pixels):
    torch_model, keras_model = twins
    torch_explainer = build_explainer("torch", torch_model, torch_input)
    keras_explainer = build_explainer("keras", keras_model, keras_input)
    maps = torch_explainer(pixels[:2])

    torch_scores = faithfulness(torch_explainer, pixels[:2], maps, percentiles=(20, 80))
    keras_scores = faithfulness(keras_explainer, pixels[:2], maps, percentiles=(20, 80))

    assert torch_scores.shape == (2,)
    np.testing.assert_allclose(
        keras_scores, torch_scores, atol=1e-4
    )  # seeded noise: the same perturbed images


def test_the_shared_model_keeps_its_in_place_relus_and_outputs(twins, pixels):
    torch_model, _ = twins
    with torch.no_grad():
        before = torch_model(torch_input(pixels)).numpy()
    build_explainer("torch", torch_model, torch_input)(pixels)
    with torch.no_grad():
        after = torch_model(torch_input(pixels)).numpy()
    np.testing.assert_array_equal(before, after)
    assert torch_model.relu5.inplace and not torch_model.conv5._forward_hooks
    assert all(
        parameter.requires_grad for parameter in torch_model.parameters()
    )  # only the copy is frozen


@pytest.mark.parametrize("method", sorted(set(methods("torch")) - {"gradcam", "gradcam++"}))
def test_every_torch_method_gives_normalised_maps(twins, pixels, method):
    maps = build_explainer("torch", twins[0], torch_input, method)(pixels[:2])
    assert maps.shape == (2, SIZE, SIZE)
    assert maps.min() >= 0 and maps.max() <= 1


def test_unknown_method_or_layer_is_refused(twins):
    with pytest.raises(ValueError, match="keras has no method 'scorecam'"):
        build_explainer("keras", twins[1], keras_input, "scorecam")
    with pytest.raises(ValueError, match="target layer 'dense'"):
        build_explainer("torch", twins[0], torch_input, "gradcam", "dense")
    assert CONV_LAYERS[-1] == "conv5"


# ---- scores on hand-made maps ----


def test_top_region_and_agreement():
    ramp = np.arange(100, dtype=np.float32).reshape(10, 10) / 99
    assert top_region(ramp).sum() == 20 and top_region(ramp)[-2:].all()
    assert agreement(ramp, ramp) == 1.0
    assert agreement(ramp, ramp[::-1]) == 0.0
    assert agreement(ramp, np.roll(ramp, 10)) == pytest.approx(10 / 30)  # one row of two shared
    assert np.isnan(agreement(ramp, np.zeros_like(ramp)))
    assert agreement(ramp, np.kron(ramp, np.ones((2, 2), np.float32))) > 0.8  # another run's size


def test_agreement_counts_ties_and_ignores_zeros():
    sparse = np.zeros((10, 10), np.float32)
    sparse[0, :5] = 1.0  # only 5% of the pixels are hot: the region is those, not 20% of zeros
    assert top_region(sparse).sum() == 5
    assert agreement(sparse, sparse) == 1.0


def test_pointing_game_hits_chance_and_fixed_point():
    masks = np.zeros((4, 8, 8), bool)
    masks[0, 0, 0] = masks[1, 0, 0] = True  # two lesions at the corner
    masks[2, 4:8, 4:8] = True  # one large lesion
    heatmaps = np.zeros((4, 8, 8), np.float32)
    heatmaps[0, 0, 0] = 1  # hit
    heatmaps[1, 7, 7] = 1  # miss
    heatmaps[2, 5, 5] = 1  # hit
    # image 3 has no lesion (a NORMAL image): left out

    game = pointing_game(heatmaps, masks)

    assert game.images == 3
    assert game.hits.tolist() == [1, 0, 1]
    assert game.hit_rate == pytest.approx(2 / 3)
    assert game.chance == pytest.approx((1 + 1 + 16) / (3 * 64))
    assert game.fixed_point == pytest.approx(
        2 / 3
    )  # the corner pixel is inside two of three lesions
    with pytest.raises(ValueError, match="no image has a lesion"):
        pointing_game(heatmaps[3:], masks[3:])


def test_pointing_game_splits_ties_fairly():
    masks = np.zeros((2, 8, 8), bool)
    masks[:, :2, :] = True  # the top quarter
    plateau = np.zeros((2, 8, 8), np.float32)
    plateau[0, :4, :] = 1  # peak: the top half, half of it in the lesion
    game = pointing_game(plateau, masks)  # the second map is empty: every pixel ties
    assert game.hits.tolist() == [0.5, 0.25]
    assert game.hits[1] == game.chance


def test_default_layer_is_the_last_with_a_fine_enough_map():
    assert [map_side(150, layer) for layer in CONV_LAYERS] == [150, 75, 37, 18, 9]
    assert default_layer(150) == default_layer(96) == "conv5"
    assert default_layer(95) == default_layer(64) == default_layer(48) == "conv4"
    assert default_layer(32) == "conv3"


def test_a_coarse_grid_cannot_reach_small_lesions(twins):
    """Every map's peak lies on the grid; the reachable rate says how many lesions hold one."""
    masks = np.zeros((2, 64, 64), bool)
    # Nodes of a 4 x 4 grid upsampled to 64 px sit between pixels 23 and 24 (ties: 2 x 2 peak
    # pixels); its corner cell is a plateau of 8 x 8 pixels. An 8 x 8 grid: nodes at 19|20 and
    # 27|28, corner plateaus of 4 x 4 pixels.
    masks[0, 18:30, 18:30] = True  # holds an inner peak of either grid
    masks[1, 0:4, 0:4] = (
        True  # a small corner lesion: a quarter of the coarse plateau, all of the fine one
    )
    assert reachable_hit_rate(masks, 4) == pytest.approx((1 + 0.25) / 2)
    assert reachable_hit_rate(masks, 8) == 1.0
    maps = build_explainer("torch", twins[0], torch_input, "gradcam", "conv5")(
        np.zeros((3, 64, 64), np.uint8)
    )
    assert pointing_game(maps, np.repeat(masks[:1], 3, axis=0), grid=4).reachable == 1.0


# ---- overlay ----


def test_overlay_opacity_and_mask_outline():
    image = np.full((8, 8), 100, np.uint8)
    heat = np.ones((8, 8), np.float32)
    assert (overlay(image, heat, 0.0) == 100).all()  # the X-ray alone
    red = overlay(image, heat, 1.0)
    assert (
        red.shape == (8, 8, 3) and red[0, 0, 0] > 100 and red[0, 0, 2] < 50
    )  # jet's hot end is red
    mask = np.zeros((8, 8), bool)
    mask[2:6, 2:6] = True
    drawn = overlay(image, heat * 0, 0.5, mask=mask, size=32)
    assert drawn.shape == (32, 32, 3)
    border = outline(np.kron(mask, np.ones((4, 4), bool)))
    assert (drawn[border] == MASK_COLOUR).all() and not (drawn[~border] == MASK_COLOUR).all(
        axis=-1
    ).any()
    with pytest.raises(ValueError, match="opacity"):
        overlay(image, heat, 1.5)


# ---- import order: a message, never a crash ----


@pytest.mark.app
def test_loading_after_tensorflow_is_an_error_not_a_segfault():
    """torch then TensorFlow (what pipeline.frameworks gives) and then torchvision/triton crashes."""
    code = "import torch, tensorflow\nimport pipeline.explain.torch_cams"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert done.returncode == 1, done.stderr[-2000:]
    assert "Import pipeline.explain's methods (or torchvision) before Keras" in done.stderr
