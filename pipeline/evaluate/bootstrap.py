"""95% bootstrap intervals for accuracy, AUC, sensitivity and specificity, vectorised.

A resample is a vector of counts (how often each image, or each patient, was drawn), so
every statistic of every resample is a weighted sum over the images: thousands of resamples
cost a few matrix products instead of a Python loop. AUC uses the Mann-Whitney form with
ties counted as one half, exactly ``sklearn.metrics.roc_auc_score`` with those counts as
sample weights.

Resampling whole patients (``groups``) keeps a patient's images together: their errors are
correlated, and treating them as independent would make the intervals too narrow.

Two models scored on the same images get a *paired* bootstrap of their difference: the same
resamples for both, so the interval reflects the difference itself, not two separate spreads.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.records import Interval, Intervals, PairedDifference

STATISTICS = ("accuracy", "auc", "sensitivity", "specificity")
RESAMPLES = 2000
CONFIDENCE = 0.95
SEED = 0
CHUNK_CELLS = 2_000_000  # resamples x images handled at once (a few tens of MB)


@dataclass(frozen=True)
class Samples:
    """Each statistic for each row of a weights matrix: (rows,) arrays, NaN where undefined."""

    accuracy: np.ndarray
    auc: np.ndarray
    sensitivity: np.ndarray
    specificity: np.ndarray

    def of(self, statistic: str) -> np.ndarray:
        return getattr(self, statistic)


def bootstrap_intervals(
    labels,
    probabilities,
    threshold: float,
    groups=None,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> Intervals:
    """Each statistic's estimate and 95% interval, with the settings used."""
    labels, probabilities = np.asarray(labels, np.int64), np.asarray(probabilities, np.float64)
    samples = resampled_statistics(labels, [probabilities], threshold, groups, resamples, seed)[0]
    estimates = _statistics(labels, probabilities, threshold, np.ones((1, len(labels))))
    return Intervals(
        **{name: _interval(estimates.of(name)[0], samples.of(name)) for name in STATISTICS},
        settings=_settings(resamples, seed, groups),
    )


def paired_differences(
    labels,
    probabilities_a,
    probabilities_b,
    threshold_a: float,
    threshold_b: float,
    groups=None,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> Intervals:
    """A ``PairedDifference`` (a - b) for each statistic, both models scored on the same
    resamples; ``settings`` says ``paired``."""
    labels = np.asarray(labels, np.int64)
    a, b = np.asarray(probabilities_a, np.float64), np.asarray(probabilities_b, np.float64)
    samples_a, samples_b = resampled_statistics(
        labels, [a, b], [threshold_a, threshold_b], groups, resamples, seed
    )
    ones = np.ones((1, len(labels)))
    estimate_a, estimate_b = (
        _statistics(labels, a, threshold_a, ones),
        _statistics(labels, b, threshold_b, ones),
    )
    differences = {}
    for name in STATISTICS:
        a, b = estimate_a.of(name)[0], estimate_b.of(name)[0]
        interval = _interval(a - b, samples_a.of(name) - samples_b.of(name))
        differences[name] = PairedDifference(
            interval.estimate,
            interval.low,
            interval.high,
            estimate_a=_number(a),
            estimate_b=_number(b),
            outside=bool(interval.low is not None and (interval.low > 0 or interval.high < 0)),
        )
    return Intervals(**differences, settings={**_settings(resamples, seed, groups), "paired": True})


def resampled_statistics(
    labels, probability_sets, thresholds, groups, resamples: int, seed: int
) -> list[Samples]:
    """For each probability vector, every statistic on the same ``resamples`` resamples."""
    thresholds = (
        thresholds
        if isinstance(thresholds, (list, tuple))
        else [thresholds] * len(probability_sets)
    )
    group_index, n_groups = _group_index(groups, len(labels))
    rng = np.random.default_rng(seed)
    per_chunk = max(1, CHUNK_CELLS // max(n_groups, len(labels)))
    results = [{name: [] for name in STATISTICS} for _ in probability_sets]
    for start in range(0, resamples, per_chunk):
        size = min(per_chunk, resamples - start)
        weights = _draw_counts(rng, size, n_groups)[:, group_index]  # (size, images)
        for result, probabilities, threshold in zip(results, probability_sets, thresholds):
            chunk = _statistics(labels, probabilities, threshold, weights)
            for name in STATISTICS:
                result[name].append(chunk.of(name))
    return [
        Samples(**{name: np.concatenate(values) for name, values in result.items()})
        for result in results
    ]


def weighted_auc(labels: np.ndarray, probabilities: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """AUC for each row of ``weights`` (resample counts), ties counted one half; NaN without both classes."""
    order = np.argsort(probabilities, kind="stable")
    ranked = probabilities[order]
    starts = np.flatnonzero(
        np.r_[True, ranked[1:] != ranked[:-1]]
    )  # first image of each distinct score
    positive = labels[order].astype(bool)
    w = weights[:, order]
    positives = np.add.reduceat(
        np.where(positive, w, 0.0), starts, axis=1
    )  # (rows, distinct scores)
    negatives = np.add.reduceat(np.where(positive, 0.0, w), starts, axis=1)
    negatives_below = np.cumsum(negatives, axis=1) - negatives
    wins = (positives * (negatives_below + 0.5 * negatives)).sum(axis=1)
    pairs = positives.sum(axis=1) * negatives.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(pairs > 0, wins / pairs, np.nan)


def _statistics(labels, probabilities, threshold, weights) -> Samples:
    """Each statistic for each row of ``weights``."""
    positive = labels == 1
    called = probabilities >= threshold
    total, positives = weights.sum(axis=1), weights @ positive
    negatives = total - positives
    with np.errstate(invalid="ignore", divide="ignore"):
        return Samples(
            accuracy=(weights @ (called == positive)) / total,
            auc=weighted_auc(labels, probabilities, weights),
            sensitivity=np.where(
                positives > 0, (weights @ (called & positive)) / positives, np.nan
            ),
            specificity=np.where(
                negatives > 0, (weights @ (~called & ~positive)) / negatives, np.nan
            ),
        )


def _draw_counts(rng, resamples: int, n: int) -> np.ndarray:
    """(resamples, n) counts: how often each of n units was drawn, n draws with replacement."""
    draws = rng.integers(0, n, size=(resamples, n)) + n * np.arange(resamples)[:, None]
    return (
        np.bincount(draws.ravel(), minlength=resamples * n).reshape(resamples, n).astype(np.float64)
    )


def _group_index(groups, n: int) -> tuple[np.ndarray, int]:
    if groups is None:
        return np.arange(n), n
    groups = np.asarray(groups)
    if len(groups) != n:
        raise ValueError(f"{len(groups)} group labels for {n} images")
    _, index = np.unique(groups, return_inverse=True)
    return index.ravel(), int(index.max()) + 1


def _interval(estimate, samples: np.ndarray) -> Interval:
    finite = samples[np.isfinite(samples)]
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(finite, [tail, 100 - tail]) if len(finite) else (np.nan, np.nan)
    return Interval(_number(estimate), _number(low), _number(high))


def _number(value) -> float | None:
    return float(value) if value is not None and np.isfinite(value) else None


def _settings(resamples: int, seed: int, groups) -> dict:
    return {
        "resamples": resamples,
        "seed": seed,
        "confidence": CONFIDENCE,
        "unit": "patient" if groups is not None else "image",
    }
