"""What each results page shows before a visitor touches a widget: its default runs, image and map.

The pages take their defaults from here, and the warm-up (``dashboard.app.warmup``) warms the
view these functions describe, through the same cached functions the pages call. A default is
defined once, so a changed default cannot leave the warm-up filling a cache no page reads.

    evaluation_view(source)            # EvaluationView: the default run and its partner
    predictions_runs(source)           # {framework: Run}: the Predictions page's runs
    first_image(models, source, fp)    # FirstImage: the test image the Predictions page opens on
    nutshell_pair(source)              # the Nutshell's (and the warm-up's) pair of runs
"""

from __future__ import annotations

from dataclasses import dataclass

from dashboard.cache.scores import test_probabilities, test_split
from dashboard.cache.trained_models import updated
from pipeline.evaluate.selection import ImageFilter, matching_images
from pipeline.explain import DEFAULT_METHOD, default_layer
from pipeline.frameworks import FRAMEWORKS
from pipeline.runs import Run, finished_runs
from pipeline.runs.choice import default_run, partner, runs_to_show
from pipeline.talk.processing_pair import Pair, stored_pairs

EVALUATION_SPLIT = "test"
IMAGE_FILTER = ImageFilter()  # the Predictions page's filters start by keeping every image
MAP_METHOD = DEFAULT_METHOD
MAP_TARGET = "PNEUMONIA"  # evidence for
MAP_LAYER = "auto"  # default_layer(img_size): the last conv layer with a readable map


# ---- Evaluation ----


@dataclass(frozen=True)
class EvaluationView:
    run: Run  # the run scored first
    partner: Run | None  # the run it is compared with in "Keras vs PyTorch"
    split: str = EVALUATION_SPLIT


def evaluation_view(source: str) -> EvaluationView | None:
    """The Evaluation page's first view for ``source``; None when no run has finished."""
    runs = finished_runs()
    if not runs:
        return None
    run = default_run(runs, source)
    return EvaluationView(run, partner(run, runs))


# ---- Predictions ----


def predictions_candidates(source: str) -> dict[str, list[Run]]:
    """Each framework's runs the Predictions page offers: those whose labels mean what the
    source's mean (its own first), else any finished run of that framework."""
    finished = finished_runs()
    candidates = {}
    for framework in FRAMEWORKS:
        candidates[framework] = runs_to_show(source, framework).runs or [
            run for run in finished if run.config().framework == framework
        ]
    return candidates


def predictions_runs(source: str) -> dict[str, Run]:
    """The run of each framework the Predictions page opens on (frameworks without a run left out)."""
    return {
        framework: default_run(runs, source)
        for framework, runs in predictions_candidates(source).items()
        if runs
    }


@dataclass(frozen=True)
class FirstImage:
    """The test image the Predictions page opens on: filtered by ``by``'s predictions."""

    by: str  # the framework whose predictions the filters read
    origin: str  # the image's file (the same image at every run's size)
    index: int  # its position in ``by``'s test split


def first_image(models: dict, source: str, fingerprint: str) -> FirstImage | None:
    """The first test image that the default filters keep, by the first framework's predictions;
    None when none does (an empty split)."""
    by = next(iter(models))
    loaded = models[by]
    split = test_split(source, fingerprint, loaded.img_size)
    scores = test_probabilities(loaded.run_id, updated(loaded.run_id), source, fingerprint)
    matching = matching_images(split.labels, scores, loaded.threshold, IMAGE_FILTER)
    if len(matching) == 0:
        return None
    return FirstImage(by, str(split.origins[matching[0]]), int(matching[0]))


def map_layer(img_size: int, choice: str = MAP_LAYER) -> str:
    """The layer a map is computed at: ``choice``, or for "auto" the run's default layer."""
    return default_layer(img_size) if choice == "auto" else choice


# ---- the talk ----


def nutshell_pair(source: str) -> Pair | None:
    """The pair of runs with and without processing that the Nutshell shows: the newest measured."""
    pairs = stored_pairs(source)
    return pairs[0] if pairs else None
