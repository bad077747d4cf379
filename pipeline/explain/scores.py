"""How to judge a heatmap: agreement between two maps, the pointing game, faithfulness.

- ``agreement``: IoU of the two maps' top-20% regions (1 = they single out the same pixels).
- ``pointing_game``: is a map's hottest pixel inside the lesion? Compared with chance: the mean
  area fraction of the masks (where a uniformly random point lands), and the best fixed point
  (the one pixel most often inside a lesion over the same images: a map that knows only where
  lesions usually are). And with the best a layer can do: a map upsampled from a g x g grid
  peaks at one of g x g pixels, so a coarse layer cannot reach small lesions at all.
- ``faithfulness``: pytorch-grad-cam's ROAD (Rong et al. 2022): remove the most relevant
  pixels (noisy linear imputation) and the score should fall, remove the least relevant ones
  and it should stay; (score kept - score lost) / 2, averaged over several fractions, in logit
  units: higher is more faithful, around 0 is no better than a random map. It runs on both
  frameworks through the explainer's ``scorer()``, so the procedure is the same for both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TOP_FRACTION = 0.2
ROAD_PERCENTILES = (20, 40, 60, 80)  # the package's default has nine; four keep the page quick


def top_region(heatmap: np.ndarray, fraction: float = TOP_FRACTION) -> np.ndarray:
    """The hottest ``fraction`` of the pixels (ties included), never pixels at zero."""
    flat = heatmap.ravel()
    count = max(1, round(fraction * flat.size))
    threshold = np.partition(flat, -count)[-count]
    return (heatmap >= threshold) & (heatmap > 0)


def agreement(first: np.ndarray, second: np.ndarray, fraction: float = TOP_FRACTION) -> float:
    """IoU of the two maps' top regions; NaN when a map is empty (nothing to agree on).

    Maps of different sizes (runs trained at different sizes) are compared at the larger one.
    """
    size = max(first.shape[-1], second.shape[-1])
    a, b = top_region(_resized(first, size), fraction), top_region(_resized(second, size), fraction)
    union = np.logical_or(a, b).sum()
    if not a.any() or not b.any():
        return float("nan")
    return float(np.logical_and(a, b).sum() / union)


def _resized(heatmap: np.ndarray, size: int) -> np.ndarray:
    if heatmap.shape == (size, size):
        return heatmap
    from pipeline.data.images import resize_square

    return resize_square(heatmap.astype(np.float32), size)


@dataclass
class PointingGame:
    hits: np.ndarray  # (M,) float in [0, 1], one per image with a lesion (see pointing_hits)
    hit_rate: float
    chance: float  # mean mask area fraction: a uniformly random point
    fixed_point: float  # hit rate of the single best fixed pixel on the same images
    reachable: float | None  # best hit rate of any map on the layer's grid (None: grid not given)

    @property
    def images(self) -> int:
        return len(self.hits)


def pointing_hits(heatmaps: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """Per map, the share of its hottest pixels inside the mask: 1 or 0 for a single peak.

    Upsampling replicates a coarse map's border cells into plateaus of equal pixels; on such a
    tie this is what picking one of them at random scores on average (an empty map scores the
    mask's area: chance), instead of whatever pixel comes first.
    """
    flat = heatmaps.reshape(len(heatmaps), -1)
    peaks = flat == flat.max(axis=1, keepdims=True)
    return (peaks & masks.reshape(len(masks), -1)).sum(axis=1) / peaks.sum(axis=1)


def pointing_game(heatmaps: np.ndarray, masks: np.ndarray, grid: int | None = None) -> PointingGame:
    """The pointing game over the images that have a lesion (NORMAL images have none).

    ``grid``: the side of the target layer's feature map, for the ``reachable`` hit rate.
    """
    with_lesion = masks.reshape(len(masks), -1).any(axis=1)
    if not with_lesion.any():
        raise ValueError(
            "no image has a lesion mask: the pointing game needs PNEUMONIA images with masks"
        )
    heatmaps, masks = heatmaps[with_lesion], masks[with_lesion]
    hits = pointing_hits(heatmaps, masks)
    return PointingGame(
        hits=hits,
        hit_rate=float(hits.mean()),
        chance=float(masks.mean()),
        fixed_point=float(masks.mean(axis=0).max()),
        reachable=None if grid is None else reachable_hit_rate(masks, grid),
    )


def reachable_hit_rate(masks: np.ndarray, grid: int) -> float:
    """About the best hit rate a map from a ``grid`` x ``grid`` layer can reach on these masks.

    A bilinear upsampling peaks at grid nodes, so per image this takes the best of the
    ``grid**2`` one-cell maps, normalised as every map is.
    """
    from pipeline.explain.base import normalise

    cells = np.eye(grid * grid, dtype=np.float32).reshape(-1, grid, grid)
    maps = normalise(cells, masks.shape[-1]).reshape(len(cells), -1)
    peaks = (maps == maps.max(axis=1, keepdims=True)).astype(np.float64)
    shares = masks.reshape(len(masks), -1).astype(np.float64) @ peaks.T / peaks.sum(axis=1)
    return float(shares.max(axis=1).mean())


def faithfulness(
    explainer, images: np.ndarray, heatmaps: np.ndarray, percentiles=ROAD_PERCENTILES, seed: int = 0
) -> np.ndarray:
    """ROAD-combined score (N,) of each heatmap for ``explainer``'s model and class."""
    from pytorch_grad_cam.metrics.road import ROADCombined
    from pytorch_grad_cam.utils.model_targets import BinaryClassifierOutputTarget

    from pipeline.frameworks import import_torch

    torch = import_torch()

    images01 = torch.from_numpy(np.asarray(images, np.float32)[:, None] / 255.0)
    targets = [BinaryClassifierOutputTarget(explainer.target_class)] * len(images)
    with torch.random.fork_rng(), torch.no_grad():
        torch.manual_seed(seed)  # the imputation adds noise: the same inputs give the same score
        scores = ROADCombined(percentiles=list(percentiles))(
            images01, np.asarray(heatmaps, np.float32), targets, explainer.scorer()
        )
    return np.asarray(scores, np.float64).reshape(len(images))
