"""The Evaluation and Predictions pages' cached work, shared with the warm-up action.

Streamlit keys a cached function by where it is defined: a copy in each page would be a second
cache that the warm-up could never fill. Defined once here, a scored split or a Grad-CAM that
the warm-up computes before the talk is the one the page finds. Every key holds the run's
``stamp`` (when it last changed), so a retrained run is scored again.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from dashboard.cache.trained_models import loaded_model
from pipeline.data import load_split
from pipeline.evaluate.bootstrap import bootstrap_intervals
from pipeline.evaluate.compare import compare
from pipeline.explain import DEFAULT_METHOD, PNEUMONIA, map_side
from pipeline.records import Comparison, Intervals

POINTING_BATCH = 32


# ---- Evaluation ----


@st.cache_data(show_spinner="Predicting every image of the split...", max_entries=16)
def scored_split(run_id: str, stamp: float, source: str, fingerprint: str, split: str):
    """The run's probabilities on one split (``pipeline.evaluate.scoring.Scored``)."""
    from pipeline.evaluate.scoring import score_run

    return score_run(run_id, source, split, loaded=loaded_model(run_id, stamp))


@st.cache_data(show_spinner="Bootstrapping 95% intervals...", max_entries=64)
def intervals(
    run_id: str, stamp: float, source: str, fingerprint: str, split: str, threshold: float
) -> Intervals:
    scored = scored_split(run_id, stamp, source, fingerprint, split)
    return bootstrap_intervals(
        scored.labels, scored.probabilities, threshold, groups=scored.patients
    )


@st.cache_data(show_spinner=False, max_entries=64)
def evaluation_of(
    run_id: str,
    stamp: float,
    source: str,
    fingerprint: str,
    split: str,
    threshold: float | None = None,
    with_bootstrap: bool = True,
):
    """``pipeline.evaluate.report.evaluate`` of the scored split at ``threshold`` (None: the run's
    own), with the cached intervals: scikit-learn's report is paid once per threshold."""
    from pipeline.evaluate.report import evaluate

    scored = scored_split(run_id, stamp, source, fingerprint, split)
    bootstrap = None
    if with_bootstrap:
        chosen = scored.threshold if threshold is None else threshold
        bootstrap = intervals(run_id, stamp, source, fingerprint, split, chosen)
    return evaluate(scored, threshold, bootstrap=bootstrap, with_bootstrap=with_bootstrap)


@st.cache_data(show_spinner="Comparing the two runs (paired bootstrap)...", max_entries=16)
def comparison(
    run_a: str,
    stamp_a: float,
    run_b: str,
    stamp_b: float,
    source: str,
    fingerprint: str,
    split: str,
) -> Comparison:
    return compare(
        scored_split(run_a, stamp_a, source, fingerprint, split),
        scored_split(run_b, stamp_b, source, fingerprint, split),
    )


@st.cache_data(show_spinner="Scoring the ensemble of the seed group...", max_entries=8)
def ensemble_scored(
    run_ids: tuple[str, ...], stamps: tuple[float, ...], source: str, fingerprint: str, split: str
):
    """A seed group's mean probability (``pipeline.evaluate.ensemble``) on one split."""
    from pipeline.evaluate.ensemble import score_ensemble

    members = [loaded_model(run_id, stamp) for run_id, stamp in zip(run_ids, stamps)]
    return score_ensemble(run_ids, source, split, members)


# ---- Predictions ----


@st.cache_resource(show_spinner="Loading the frameworks...")
def framework_stack(frameworks: tuple[str, ...]) -> dict:
    """The saliency methods of ``frameworks``, imported once; the torch stack always first, since
    it loads torchvision, which crashes the process once TensorFlow is in (docs/architecture.md, "Torch first").
    With the ONNX backend every run offers the ONNX methods and no framework is imported."""
    from dashboard.context.deployment import model_backend
    from pipeline.explain import methods

    if model_backend() == "onnx":
        return {framework: methods("onnx") for framework in frameworks}

    return {
        framework: methods(framework)
        for framework in ("torch", "keras")
        if framework == "torch" or framework in frameworks
    }


@st.cache_resource(max_entries=24)
def explainer(run_id: str, stamp: float, method: str, layer: str, target: int):
    from pipeline.explain import make_explainer

    return make_explainer(loaded_model(run_id, stamp), method, layer, target)


@st.cache_resource(show_spinner="Reading the test split...", max_entries=4)
def test_split(spec: str, fingerprint: str, size: int):
    return load_split(spec, "test", size)


@st.cache_data(show_spinner="Predicting the test split...", max_entries=8)
def test_probabilities(run_id: str, stamp: float, spec: str, fingerprint: str) -> np.ndarray:
    from pipeline.inference import predict_proba

    loaded = loaded_model(run_id, stamp)
    return predict_proba(loaded, test_split(spec, fingerprint, loaded.img_size).images)


@st.cache_data(show_spinner=False, max_entries=64)
def probability(run_id: str, stamp: float, pixels: np.ndarray) -> float:
    from pipeline.inference import predict_proba

    return float(predict_proba(loaded_model(run_id, stamp), pixels[None])[0])


@st.cache_data(show_spinner=False, max_entries=64)
def heatmap(
    run_id: str, stamp: float, method: str, layer: str, target: int, pixels: np.ndarray
) -> np.ndarray:
    return explainer(run_id, stamp, method, layer, target)(pixels)


@st.cache_data(show_spinner="Measuring faithfulness (ROAD)...", max_entries=64)
def faithfulness_of(
    run_id: str, stamp: float, method: str, layer: str, target: int, pixels: np.ndarray
) -> float:
    from pipeline.explain import faithfulness

    maps = heatmap(run_id, stamp, method, layer, target, pixels)
    return float(
        faithfulness(explainer(run_id, stamp, method, layer, target), pixels[None], maps[None])[0]
    )


def verdict(
    run_id: str, stamp: float, method: str, layer: str, target: int, pixels, measure_road: bool
) -> tuple[float, np.ndarray, float | None]:
    """One run on one image as the Predictions page shows it (and the warm-up prepares it):
    P(PNEUMONIA), the map, and the map's ROAD score where ``measure_road``."""
    p = probability(run_id, stamp, pixels)
    cam = heatmap(run_id, stamp, method, layer, target, pixels)
    road = faithfulness_of(run_id, stamp, method, layer, target, pixels) if measure_road else None
    return p, cam, road


@st.cache_data(show_spinner="Playing the pointing game over the test split...", max_entries=16)
def pointing(run_id: str, stamp: float, layer: str, spec: str, fingerprint: str) -> dict:
    """Grad-CAM's pointing game for one run over the PNEUMONIA test images (those with a lesion)."""
    from pipeline.explain import pointing_game

    split = test_split(spec, fingerprint, loaded_model(run_id, stamp).img_size)
    explain = explainer(run_id, stamp, DEFAULT_METHOD, layer, PNEUMONIA)
    maps = np.concatenate(
        [
            explain(split.images[start : start + POINTING_BATCH])
            for start in range(0, len(split), POINTING_BATCH)
        ]
    )
    game = pointing_game(maps, split.masks, grid=map_side(split.images.shape[-1], layer))
    return {
        "layer": layer,
        "hit rate": game.hit_rate,
        "chance (random point)": game.chance,
        "best fixed point": game.fixed_point,
        "best on this layer's grid": game.reachable,
        "images": game.images,
    }
