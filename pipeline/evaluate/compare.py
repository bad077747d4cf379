"""Keras vs PyTorch: two runs' metrics and costs in one table, with each difference.

Metrics come from both runs scored on the same images (matched by origin), and each
difference gets a paired bootstrap interval: the same resamples for both runs, so what is
left is the spread of the difference itself. A difference is called "outside" when its 95%
interval excludes zero. Costs (training time, inference time, size, memory, device) are
single measurements with no interval.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.evaluate.bootstrap import STATISTICS, paired_differences
from pipeline.evaluate.metrics import ranking_metrics, threshold_metrics
from pipeline.evaluate.scoring import Scored
from pipeline.records import Comparison, ComparisonRow, PairedDifference, Timings
from pipeline.runs import Run

METRIC_LABELS = {
    "accuracy": "accuracy",
    "auc": "AUC",
    "sensitivity": "sensitivity",
    "specificity": "specificity",
}
COST_LABELS = {
    "train_s_per_epoch": "train s/epoch",
    "train_images_per_s": "train images/s",
    "inference_ms_per_image": "inference ms/image (CPU)",
    "parameters": "parameters",
    "peak_memory_mb": "training peak memory (MB)",
    "device": "training device",
}


def compare(
    a: Scored, b: Scored, threshold_a: float | None = None, threshold_b: float | None = None
) -> Comparison:
    """A row (quantity, a, b, difference, low, high, outside) per metric, then per cost."""
    index_a, index_b = matched_images(a, b)
    if len(index_a) == 0:
        raise ValueError(
            "the two runs were scored on different images; score both on one source and split"
        )
    labels = a.labels[index_a]
    if not np.array_equal(labels, b.labels[index_b]):
        raise ValueError("the same images carry different labels in the two scorings")
    threshold_a = a.threshold if threshold_a is None else threshold_a
    threshold_b = b.threshold if threshold_b is None else threshold_b
    prob_a, prob_b = a.probabilities[index_a], b.probabilities[index_b]
    differences = paired_differences(
        labels, prob_a, prob_b, threshold_a, threshold_b, groups=a.patients[index_a]
    )
    rows = [_metric_row(name, differences.of(name)) for name in STATISTICS]
    rows += _extra_metric_rows(labels, prob_a, prob_b, threshold_a, threshold_b)
    rows += _cost_rows(costs(a), costs(b))
    return Comparison(
        label_a=f"{a.framework} {a.run_id[:8]}",
        label_b=f"{b.framework} {b.run_id[:8]}",
        run_a=a.run_id,
        run_b=b.run_id,
        source=a.source,
        split=a.split,
        images=len(index_a),
        thresholds=[threshold_a, threshold_b],
        rows=rows,
        bootstrap=differences.settings,
        notes=_notes(a, b, len(index_a))
        + [
            f"{scored.framework} {scored.run_id[:8]}: {warning}"
            for scored in (a, b)
            for warning in scored.warnings
        ],
    )


def matched_images(a: Scored, b: Scored) -> tuple[np.ndarray, np.ndarray]:
    """Indices into each scoring of the images both contain, in one order."""
    if a.source != b.source or a.split != b.split:
        return np.array([], int), np.array([], int)
    _common, index_a, index_b = np.intersect1d(
        a.origins, b.origins, assume_unique=True, return_indices=True
    )
    return index_a, index_b


@dataclass(frozen=True)
class Costs:
    """What a run cost to train (from its result) and to use (measured while scoring); the
    fields are ``COST_LABELS``' keys. None where the run does not record it."""

    train_s_per_epoch: float | None
    train_images_per_s: float | None
    inference_ms_per_image: float | None
    parameters: int | None
    peak_memory_mb: float | None  # the training process's peak resident memory
    device: str | None


def costs(scored: Scored) -> Costs:
    """``scored``'s run's ``Costs``."""
    result = Run(scored.run_id).result()
    timings = result.timings if result else Timings()
    return Costs(
        train_s_per_epoch=timings.seconds_per_epoch,
        train_images_per_s=timings.images_per_s,
        inference_ms_per_image=scored.inference_ms_per_image,
        parameters=scored.parameters,
        peak_memory_mb=timings.peak_rss_mb,
        device=result.device.name if result else None,
    )


def _metric_row(name: str, d: PairedDifference) -> ComparisonRow:
    return ComparisonRow(
        METRIC_LABELS[name], d.estimate_a, d.estimate_b, d.estimate, d.low, d.high, d.outside
    )


def _extra_metric_rows(labels, prob_a, prob_b, threshold_a, threshold_b) -> list[ComparisonRow]:
    """Average precision, Brier score and macro F1: shown for both runs, without an interval."""
    rank_a, rank_b = ranking_metrics(labels, prob_a), ranking_metrics(labels, prob_b)
    rows = [
        ComparisonRow(label, value_a, value_b, value_a - value_b)
        for label, value_a, value_b in (
            ("average precision", rank_a.average_precision, rank_b.average_precision),
            ("Brier score", rank_a.brier, rank_b.brier),
        )
    ]
    f1_a = threshold_metrics(labels, prob_a, threshold_a).macro_avg["f1"]
    f1_b = threshold_metrics(labels, prob_b, threshold_b).macro_avg["f1"]
    return [*rows, ComparisonRow("macro f1", f1_a, f1_b, f1_a - f1_b)]


def _cost_rows(cost_a: Costs, cost_b: Costs) -> list[ComparisonRow]:
    rows = []
    for key, label in COST_LABELS.items():
        value_a, value_b = getattr(cost_a, key), getattr(cost_b, key)
        numeric = isinstance(value_a, (int, float)) and isinstance(value_b, (int, float))
        rows.append(ComparisonRow(label, value_a, value_b, value_a - value_b if numeric else None))
    return rows


def _notes(a: Scored, b: Scored, images: int) -> list[str]:
    notes = [
        f"Both runs scored on the same {images} images of the {a.split} split of {a.source}; "
        "intervals are paired bootstraps of the difference (a - b)."
    ]
    if a.framework == b.framework:
        notes.append(f"Both runs use {a.framework}: this compares two runs, not two frameworks.")
    if a.img_size != b.img_size:
        notes.append(f"The runs see different image sizes ({a.img_size} vs {b.img_size} px).")
    if a.trained_on != b.trained_on:
        notes.append(
            f"The runs were trained on different sources ({a.trained_on} vs {b.trained_on})."
        )
    return notes
