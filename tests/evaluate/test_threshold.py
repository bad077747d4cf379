"""The one threshold rule (pipeline/threshold.py): prior-aware, checked on validation."""

import numpy as np
import pytest

from pipeline.threshold import (
    FALLBACK,
    MIDDLE_OF_INTERVAL,
    PRIOR_AWARE,
    PRIOR_SLACK,
    ThresholdChoice,
    choose_threshold,
    optimal_interval,
    prior_threshold,
    youden_j,
)


def separable(rng, normal=130, pneumonia=390, gap=(0.02, 0.9)):
    """A validation split the model separates: every NORMAL below gap[0], PNEUMONIA above gap[1]."""
    labels = np.r_[np.zeros(normal, int), np.ones(pneumonia, int)]
    probabilities = np.r_[rng.uniform(0, gap[0], normal), rng.uniform(gap[1], 1, pneumonia)]
    return labels, probabilities


def test_a_balanced_model_on_a_wide_plateau_keeps_one_half_where_youden_picks_an_edge():
    labels, probabilities = separable(np.random.default_rng(0))
    choice = choose_threshold(labels, probabilities, "class_weight")
    assert choice.rule == PRIOR_AWARE and choice.value == 0.5
    # the plateau: from the separating gap, widened by the tolerance (1/130 + 1/390 = 4/390):
    # one NORMAL called ill (3/390), or up to four PNEUMONIA missed, still count as optimal
    normal, pneumonia = np.sort(probabilities[labels == 0]), np.sort(probabilities[labels == 1])
    assert choice.low == normal[-2] and choice.high == pneumonia[4]
    assert choice.best_j == 1.0 and "validation agrees" in choice.reason
    # Youden's argmax (the old rule) sits at the plateau's top edge, near 0.9, not at 0.5
    assert youden_j(labels, probabilities, pneumonia[0]) == 1.0 and pneumonia[0] > 0.9


def test_a_balanced_model_biased_on_clean_validation_keeps_one_half_within_the_slack():
    # the `full` runs: NORMAL far below 0.5, most PNEUMONIA above it, some in (0.1, 0.5)
    rng = np.random.default_rng(4)
    labels, probabilities = separable(rng, gap=(0.05, 0.5))
    pneumonia = np.flatnonzero(labels == 1)
    probabilities[pneumonia[:40]] = rng.uniform(0.1, 0.5, 40)  # 40 of 390 below 0.5
    choice = choose_threshold(labels, probabilities, "class_weight")
    assert youden_j(labels, probabilities, 0.5) < choice.best_j - choice.tolerance
    assert choice.high < 0.5  # validation alone would pick far below 0.5 ...
    assert choice.rule == PRIOR_AWARE and choice.value == 0.5  # ... the prior stands
    assert "not followed" in choice.reason


def test_the_sampler_counts_as_balanced_and_a_raw_prior_model_takes_the_training_prevalence():
    assert prior_threshold("sampler") == 0.5
    assert prior_threshold("none", 0.74) == 0.74
    with pytest.raises(ValueError, match="training prevalence"):
        prior_threshold("none")
    rng = np.random.default_rng(1)
    labels, probabilities = separable(rng, gap=(0.3, 0.9))
    choice = choose_threshold(labels, probabilities, "none", train_prevalence=0.74)
    assert choice.rule == PRIOR_AWARE and choice.value == 0.74
    assert "raw class mix" in choice.reason


def test_validation_overrules_a_prior_that_loses_over_the_slack_with_the_interval_middle():
    # an under-trained model: everything below 0.4, NORMAL below 0.1, PNEUMONIA in [0.2, 0.4]
    rng = np.random.default_rng(2)
    labels, probabilities = separable(rng, gap=(0.1, 0.2))
    probabilities[labels == 1] = rng.uniform(0.2, 0.4, (labels == 1).sum())
    choice = choose_threshold(labels, probabilities, "class_weight")
    assert youden_j(labels, probabilities, 0.5) == 0.0  # 0.5 calls nobody ill
    assert choice.best_j - youden_j(labels, probabilities, 0.5) > 2 * PRIOR_SLACK
    assert choice.rule == MIDDLE_OF_INTERVAL
    assert choice.low < choice.value < choice.high
    assert choice.value == pytest.approx((choice.low + choice.high) / 2)
    assert youden_j(labels, probabilities, choice.value) == 1.0


def test_the_interval_keeps_thresholds_within_one_mistake_per_class_of_the_best():
    labels = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    probabilities = np.array([0.1, 0.2, 0.3, 0.6, 0.4, 0.7, 0.8, 0.9])
    low, high, best, tolerance = optimal_interval(labels, probabilities)
    assert tolerance == pytest.approx(0.5)
    assert best == pytest.approx(0.75)  # at 0.4 or 0.7: one mistake
    good = [t for t in np.unique(probabilities) if youden_j(labels, probabilities, t) >= best - 0.5]
    assert high == max(good)
    assert low == probabilities[probabilities < min(good)].max()


def test_one_class_only_falls_back_to_the_prior_and_says_why():
    choice = choose_threshold(np.zeros(5), np.linspace(0, 1, 5), "class_weight")
    assert choice.rule == FALLBACK and choice.value == 0.5
    assert "both classes" in choice.reason
    assert (choice.low, choice.high) == (0.0, 1.0)


def test_the_record_survives_json():
    labels, probabilities = separable(np.random.default_rng(3))
    choice = choose_threshold(labels, probabilities)
    assert ThresholdChoice.from_dict(choice.to_dict()) == choice
    with pytest.raises(ValueError, match="lacks"):
        ThresholdChoice.from_dict({"value": 0.5})
