"""Where each model looks: class-activation maps for both frameworks, and scores to judge them.

    explainer = make_explainer(loaded, method="gradcam", layer="conv5")   # a LoadedModel
    heatmaps = explainer(images)          # uint8 (N, H, W) -> float32 (N, H, W) in [0, 1]
    agreement(torch_map, keras_map)       # IoU of the top-20% regions
    pointing_game(heatmaps, masks)        # hottest pixel inside the lesion, vs chance
    faithfulness(explainer, images, heatmaps)   # ROAD, the same procedure for both
    overlay(image, heatmap, opacity=0.5)  # RGB uint8 for display or a PNG

PyTorch maps come from the ``grad-cam`` package (pytorch-grad-cam), Keras maps from
``tf.GradientTape`` with the same formulas and the same normalisation (``base.normalise``), and
a run loaded with the ``onnx`` backend gets them from its ONNX graph (``onnx_cams``: gradients
written into the graph, no framework loaded).
Importing this package loads no framework; ``make_explainer`` loads the one it needs.

    python -m pipeline.explain --run RUN_ID --image x.png --out overlay.png [--method gradcam]
"""

from __future__ import annotations

from models import BASE_FILTERS, LAST_CONV_LAYER
from pipeline.explain.base import PNEUMONIA, Explainer
from pipeline.explain.overlay import overlay, png_bytes
from pipeline.explain.scores import PointingGame, agreement, faithfulness, pointing_game, top_region

CONV_LAYERS = tuple(f"conv{block}" for block in range(1, len(BASE_FILTERS) + 1))
DEFAULT_METHOD = "gradcam"
# The coarsest map worth showing by default. A map upsampled from g x g cells peaks at one of g^2
# places: on the synthetic test split a 4 x 4 map can reach 44% of the lesions at best, 6 x 6 85%.
# Grad-CAM's hit rate, both frameworks: 64 px models at conv5 (4 x 4) 0.01-0.14, at or below
# chance (0.04); 96 px models at conv5 (6 x 6) 0.29-0.60 over four seeds.
MIN_MAP_SIDE = 6

__all__ = [
    "CONV_LAYERS",
    "DEFAULT_METHOD",
    "LAST_CONV_LAYER",
    "MIN_MAP_SIDE",
    "PNEUMONIA",
    "Explainer",
    "PointingGame",
    "agreement",
    "build_explainer",
    "default_layer",
    "faithfulness",
    "make_explainer",
    "map_side",
    "methods",
    "overlay",
    "png_bytes",
    "pointing_game",
    "top_region",
]


def map_side(img_size: int, layer: str) -> int:
    """Side of ``layer``'s feature map: each earlier block pools by 2 (rounding down)."""
    return img_size // 2 ** CONV_LAYERS.index(layer)


def default_layer(img_size: int) -> str:
    """The last conv layer whose map has at least MIN_MAP_SIDE cells a side.

    conv5 from 96 px up (9 x 9 at the `talk` preset's 150 px, the app's choice), conv4 from 48 px,
    conv3 from 24 px.
    """
    fine_enough = [layer for layer in CONV_LAYERS if map_side(img_size, layer) >= MIN_MAP_SIDE]
    return fine_enough[-1] if fine_enough else CONV_LAYERS[0]


def methods(framework: str) -> dict[str, type[Explainer]]:
    """The methods one framework (or ``onnx``, any run's ONNX graph) offers, by key."""
    if framework == "onnx":
        from pipeline.explain import onnx_cams

        return onnx_cams.METHODS
    if framework == "torch":
        from pipeline.explain import torch_cams

        return torch_cams.METHODS
    if framework == "keras":
        from pipeline.explain import keras_cams

        return keras_cams.METHODS
    raise ValueError(f"unknown framework '{framework}' (expected 'torch' or 'keras')")


def build_explainer(
    framework: str,
    model,
    to_input,
    method: str = DEFAULT_METHOD,
    layer: str = LAST_CONV_LAYER,
    target_class: int = PNEUMONIA,
) -> Explainer:
    """``method`` on a model of ``framework``; ``to_input`` maps pixels (N, H, W) to its input."""
    offered = methods(framework)
    if method not in offered:
        raise ValueError(
            f"{framework} has no method '{method}'; choose one of {', '.join(offered)}"
        )
    if layer not in CONV_LAYERS:
        raise ValueError(f"target layer '{layer}' is not one of {', '.join(CONV_LAYERS)}")
    return offered[method](model, to_input, layer, target_class)


def make_explainer(
    loaded, method: str = DEFAULT_METHOD, layer: str | None = None, target_class: int = PNEUMONIA
) -> Explainer:
    """``method`` on a run's model (``pipeline.inference.LoadedModel``); layer None: ``default_layer``."""
    from pipeline.inference import model_input

    return build_explainer(
        "onnx" if loaded.backend == "onnx" else loaded.framework,
        loaded.model,
        lambda pixels: model_input(loaded, pixels),
        method,
        layer or default_layer(loaded.img_size),
        target_class,
    )
