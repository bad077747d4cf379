"""Metrics of a binary classifier from labels and probabilities, computed with scikit-learn.

    metrics = classification_metrics(labels, probabilities, threshold=0.5)

Labels: NORMAL = 0, PNEUMONIA = 1 (the positive class). An image is called PNEUMONIA when
its probability is at least the threshold, the convention of ``sklearn.metrics.roc_curve``,
so a threshold read off the ROC curve reproduces that curve's point exactly.

Everything returned is plain JSON (lists, floats, ints), gathered in a ``Metrics`` record: the
CLI prints it, the page draws it, the exports write it, and all three therefore show the same
numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.calibration import calibration_curve
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    classification_report,
    confusion_matrix,
    precision_recall_curve,
    roc_auc_score,
    roc_curve,
)

from pipeline.data import CLASS_NAMES
from pipeline.records import Calibration, Metrics, RankingMetrics, ThresholdMetrics

CALIBRATION_BINS = 10
REPORT_COLUMNS = ("precision", "recall", "f1-score", "support")


def check_inputs(labels, probabilities) -> tuple[np.ndarray, np.ndarray]:
    """Labels as int 0/1 and probabilities as float in [0, 1], same length; ValueError otherwise."""
    labels = np.asarray(labels).astype(np.int64).ravel()
    probabilities = np.asarray(probabilities, dtype=np.float64).ravel()
    if len(labels) != len(probabilities):
        raise ValueError(f"{len(labels)} labels but {len(probabilities)} probabilities")
    if len(labels) == 0:
        raise ValueError("no images to evaluate")
    if not np.isin(labels, (0, 1)).all():
        raise ValueError("labels must be 0 (NORMAL) or 1 (PNEUMONIA)")
    if not np.isfinite(probabilities).all() or probabilities.min() < 0 or probabilities.max() > 1:
        raise ValueError("probabilities must be finite numbers between 0 and 1")
    return labels, probabilities


def predict_labels(probabilities: np.ndarray, threshold: float) -> np.ndarray:
    """1 (PNEUMONIA) where the probability reaches the threshold."""
    return (np.asarray(probabilities) >= threshold).astype(np.int64)


def classification_metrics(labels, probabilities, threshold: float = 0.5) -> Metrics:
    """Everything the evaluation page shows for one threshold, plus the curves (threshold-free)."""
    labels, probabilities = check_inputs(labels, probabilities)
    return Metrics.of(
        threshold_metrics(labels, probabilities, threshold), ranking_metrics(labels, probabilities)
    )


def threshold_metrics(labels, probabilities, threshold: float) -> ThresholdMetrics:
    """What changes with the threshold: the report, the confusion matrix, sensitivity, specificity."""
    predicted = predict_labels(probabilities, threshold)
    report = classification_report(
        labels,
        predicted,
        labels=[0, 1],
        target_names=list(CLASS_NAMES),
        output_dict=True,
        zero_division=0,
    )
    (tn, fp), (fn, tp) = confusion_matrix(labels, predicted, labels=[0, 1]).tolist()
    return ThresholdMetrics(
        threshold=float(threshold),
        n=len(labels),
        accuracy=float(report["accuracy"]),
        sensitivity=_ratio(tp, tp + fn),  # recall of PNEUMONIA
        specificity=_ratio(tn, tn + fp),  # recall of NORMAL
        confusion_matrix=[[tn, fp], [fn, tp]],
        per_class={name: _row(report[name]) for name in CLASS_NAMES},
        macro_avg=_row(report["macro avg"]),
        weighted_avg=_row(report["weighted avg"]),
        # the talk's printout, character for character (sklearn's default two digits)
        report_text=classification_report(
            labels, predicted, labels=[0, 1], target_names=list(CLASS_NAMES), zero_division=0
        ),
    )


@dataclass(frozen=True)
class OperatingPoint:
    """A threshold's place on the ROC and precision-recall curves."""

    fpr: float
    tpr: float
    precision: float  # 1 when nothing is called PNEUMONIA


def operating_point(metrics: ThresholdMetrics) -> OperatingPoint:
    """Where ``threshold_metrics``' threshold sits on the ROC and precision-recall curves."""
    (tn, fp), (fn, tp) = metrics.confusion_matrix
    return OperatingPoint(
        fpr=fp / max(tn + fp, 1),
        tpr=tp / max(tp + fn, 1),
        precision=tp / (tp + fp) if tp + fp else 1.0,
    )


def ranking_metrics(labels, probabilities) -> RankingMetrics:
    """What does not depend on the threshold: AUC, AP, Brier, and the three curves."""
    both_classes = len(np.unique(labels)) == 2
    fpr, tpr, roc_thresholds = roc_curve(labels, probabilities) if both_classes else ([], [], [])
    precision, recall, pr_thresholds = precision_recall_curve(labels, probabilities)
    return RankingMetrics(
        auc=float(roc_auc_score(labels, probabilities)) if both_classes else None,
        average_precision=float(average_precision_score(labels, probabilities)),
        brier=float(brier_score_loss(labels, probabilities, pos_label=1)),
        prevalence=float(labels.mean()),
        roc={
            "fpr": _floats(fpr),
            "tpr": _floats(tpr),
            "thresholds": _floats(np.clip(roc_thresholds, 0, 1)),
        },
        pr={
            "precision": _floats(precision),
            "recall": _floats(recall),
            "thresholds": _floats(pr_thresholds),
        },
        calibration=calibration(labels, probabilities),
    )


def calibration(labels, probabilities, bins: int = CALIBRATION_BINS) -> Calibration:
    """Reliability curve over equal-width bins: mean predicted vs observed PNEUMONIA rate."""
    observed, predicted = calibration_curve(labels, probabilities, n_bins=bins, strategy="uniform")
    edges = np.linspace(0.0, 1.0, bins + 1)
    counts = np.bincount(
        np.searchsorted(edges[1:-1], probabilities), minlength=bins
    )  # sklearn's binning
    return Calibration(
        mean_predicted=_floats(predicted),
        fraction_positive=_floats(observed),
        bin_counts=[int(c) for c in counts[counts > 0]],
        bins=bins,
    )


@dataclass(frozen=True)
class ReportRow:
    """One row of the classification report; ``cells`` in the order of ``REPORT_COLUMNS``."""

    label: str
    precision: float | None
    recall: float | None
    f1: float
    support: int

    def cells(self) -> tuple:
        return self.precision, self.recall, self.f1, self.support

    def to_dict(self) -> dict:
        """sklearn's layout: the row's name under the empty column, then ``REPORT_COLUMNS``."""
        return {"": self.label, **dict(zip(REPORT_COLUMNS, self.cells()))}


def report_table(metrics: ThresholdMetrics) -> list[ReportRow]:
    """The classification report as rows, in sklearn's layout (the talk's table)."""
    averages = {"macro avg": metrics.macro_avg, "weighted avg": metrics.weighted_avg}
    return [
        *(_report_row(name, metrics.per_class[name]) for name in CLASS_NAMES),
        ReportRow("accuracy", None, None, metrics.accuracy, metrics.n),
        *(_report_row(name, row) for name, row in averages.items()),
    ]


def _report_row(label: str, row: dict) -> ReportRow:
    return ReportRow(label, row["precision"], row["recall"], row["f1"], row["support"])


def _row(entry: dict) -> dict:
    return {
        "precision": float(entry["precision"]),
        "recall": float(entry["recall"]),
        "f1": float(entry["f1-score"]),
        "support": int(entry["support"]),
    }


def _ratio(numerator: int, denominator: int) -> float | None:
    return float(numerator / denominator) if denominator else None


def _floats(values) -> list[float]:
    return [float(v) for v in np.asarray(values, dtype=np.float64)]
