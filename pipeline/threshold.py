"""The one threshold rule: where a run calls PNEUMONIA, chosen from its training and validation.

    choice = choose_threshold(val_labels, val_probabilities, balancing="class_weight")
    choice.value      # 0.5 for a class-balanced model whose validation agrees
    choice.low, choice.high   # the thresholds that are (near-)optimal on validation

Training records it and evaluation reads it, so both use this function and nothing else.

Why not Youden's J alone. On a validation split the model almost separates, J is flat over a
wide interval of thresholds and its argmax lands anywhere on that plateau, often at an extreme
(0.026 for one real run). The split cannot tell those thresholds apart, but X-rays from
elsewhere can: every `full` run scored on an external test split did worse at its Youden
threshold than at 0.5 (0.3 to 4.3 points of accuracy, up to 0.23 of NORMAL recall;
docs/generalisation.md).

The rule (prior-aware, checked against validation):

1. The prior-aware threshold. A model trained class-balanced (``class_weight`` or the balanced
   ``sampler``) learns the posterior under equal class priors, so the threshold that minimises
   the balanced error (maximises J) is 0.5. A model trained on the raw class mix learns the
   posterior under the training prevalence ``pi``, and its balanced-error threshold is ``pi``
   (p > pi exactly when the likelihood ratio exceeds 1). This comes from how the model was
   trained, not from the validation images, so it does not chase their noise.
2. The interval of validation-optimal thresholds: every threshold whose J is within the
   split's resolution of the best J (one more mistake in each class: 1/n_normal + 1/n_pneumonia).
   It is recorded and shown, not followed: on a carved split that interval sits where the clean
   images put it, and it moves when the images shift. Measured on the `full` runs under the
   shift stress (docs/robust_recipe.md, "The threshold under shift"): at the middle of the
   interval (0.06-0.07) NORMAL recall fell from 0.96 to 0.75-0.77 under stress, at 0.5 it held
   0.89-0.93, and the stressed J was 0.73 against 0.80.
3. The prior stands unless validation shows the model is not calibrated as its training implies
   (too few epochs, a collapsed class): its balanced accuracy at the prior is more than
   ``PRIOR_SLACK`` below the best one. Then, and only then, the middle of the interval.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

BALANCED = ("class_weight", "sampler")  # TrainConfig.class_balancing values that equalise priors
PRIOR_AWARE = "prior-aware"
MIDDLE_OF_INTERVAL = "middle of the validation-optimal interval"
FALLBACK = "fallback 0.5"
# Balanced accuracy the prior may lose on clean validation before validation overrules it: a
# wide plateau (the `full` runs lose 3 points at 0.5) is kept, a model that calls nearly nobody
# ill at 0.5 (an under-trained one) is not.
PRIOR_SLACK = 0.10


@dataclass(frozen=True)
class ThresholdChoice:
    """A threshold with where it came from: what the CLI prints and the page explains."""

    value: float  # call PNEUMONIA when the probability is at least this
    rule: str  # PRIOR_AWARE, MIDDLE_OF_INTERVAL or FALLBACK
    reason: str  # one line a reader understands
    low: float  # the interval of thresholds (near-)optimal on validation
    high: float
    best_j: float | None = None  # the best Youden J on validation (None: not computable)
    tolerance: float | None = None  # how far below best_j still counts as optimal

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> ThresholdChoice:
        fields = {name: values.get(name) for name in cls.__dataclass_fields__}
        missing = [
            name for name in ("value", "rule", "reason", "low", "high") if fields[name] is None
        ]
        if missing:
            raise ValueError(f"threshold record lacks {', '.join(missing)}")
        return cls(**fields)


def prior_threshold(balancing: str, train_prevalence: float | None = None) -> float:
    """The balanced-error threshold implied by how the model was trained (see the module doc)."""
    if balancing in BALANCED:
        return 0.5
    if train_prevalence is None or not 0.0 < train_prevalence < 1.0:
        raise ValueError(
            "a model trained on the raw class mix needs its training prevalence of PNEUMONIA "
            f"(a number strictly between 0 and 1), got {train_prevalence!r}"
        )
    return float(train_prevalence)


def optimal_interval(labels, probabilities) -> tuple[float, float, float, float]:
    """``(low, high, best_j, tolerance)``: the span of thresholds whose Youden J on these images
    is within ``tolerance`` (one more mistake in each class) of the best J.

    Strictly, thresholds in (low, high] call the images as a good threshold does (any t in
    (score below, score] calls alike); if the good ones are not contiguous, this is their hull.
    """
    labels = np.asarray(labels).astype(np.int64).ravel()
    probabilities = np.asarray(probabilities, dtype=np.float64).ravel()
    positives, negatives = int(labels.sum()), int(len(labels) - labels.sum())
    if positives == 0 or negatives == 0:
        raise ValueError("Youden's J needs both classes in the validation split")
    # A threshold t calls PNEUMONIA for p >= t; between two neighbouring distinct scores the
    # calls do not change, so J only needs evaluating at each distinct score.
    scores = np.unique(probabilities)
    called_positive = len(labels) - np.searchsorted(np.sort(probabilities), scores, side="left")
    true_positive = positives - np.searchsorted(
        np.sort(probabilities[labels == 1]), scores, side="left"
    )
    false_positive = called_positive - true_positive
    j = true_positive / positives - false_positive / negatives
    tolerance = 1.0 / positives + 1.0 / negatives
    best = float(j.max())
    good = np.flatnonzero(j >= best - tolerance - 1e-12)
    # t = scores[k] gives the same calls as any t in (scores[k-1], scores[k]]: the interval starts
    # just above the score below the first good one.
    low = float(scores[good[0] - 1]) if good[0] > 0 else 0.0
    high = float(scores[good[-1]])
    return low, high, best, tolerance


def youden_j(labels, probabilities, threshold: float) -> float:
    """Sensitivity + specificity - 1 when PNEUMONIA is called for probabilities >= threshold."""
    labels = np.asarray(labels).astype(np.int64).ravel()
    called = np.asarray(probabilities, dtype=np.float64).ravel() >= threshold
    return float(called[labels == 1].mean() - called[labels == 0].mean())


def choose_threshold(
    labels, probabilities, balancing: str = "class_weight", train_prevalence: float | None = None
) -> ThresholdChoice:
    """The run's threshold from its validation labels and probabilities (see the module doc).

    ``balancing`` is the run's ``TrainConfig.class_balancing``; ``train_prevalence`` (the share
    of PNEUMONIA among its training images) is needed only when that is ``"none"``.
    """
    prior = prior_threshold(balancing, train_prevalence)
    try:
        low, high, best_j, tolerance = optimal_interval(labels, probabilities)
    except ValueError as error:
        return ThresholdChoice(prior, FALLBACK, f"{prior:.2f}: {error}", 0.0, 1.0)
    trained = (
        "trained class-balanced, so calibrated to equal priors"
        if balancing in BALANCED
        else f"trained on the raw class mix (PNEUMONIA {prior:.0%})"
    )
    at_prior = youden_j(labels, probabilities, prior)
    if at_prior >= best_j - tolerance - 1e-12:
        verdict = f"validation agrees (optimal from {low:.3f} to {high:.3f})"
    elif at_prior >= best_j - 2 * PRIOR_SLACK:  # J = 2 x balanced accuracy - 1
        lost = (best_j - at_prior) / 2
        verdict = (
            f"validation's optimum ({low:.3f} to {high:.3f}) is not followed: a carved split's "
            f"optimum moves when the images shift, and {prior:.2f} loses only {lost:.1%} of "
            "balanced accuracy there"
        )
    else:
        verdict = ""
    if verdict:
        return ThresholdChoice(
            prior, PRIOR_AWARE, f"{prior:.2f}: {trained}; {verdict}", low, high, best_j, tolerance
        )
    middle = (low + high) / 2
    if youden_j(labels, probabilities, middle) < best_j - tolerance - 1e-12:  # a gap in the hull
        good = [
            t
            for t in np.unique(probabilities)
            if youden_j(labels, probabilities, t) >= best_j - tolerance - 1e-12
        ]
        middle = float(min(good, key=lambda t: abs(t - middle)))
    return ThresholdChoice(
        middle,
        MIDDLE_OF_INTERVAL,
        f"{middle:.3f}: {trained}, but at {prior:.2f} it loses over {PRIOR_SLACK:.0%} of "
        f"balanced accuracy on validation (not calibrated as trained); the middle of the "
        f"optimal interval {low:.3f} to {high:.3f}",
        low,
        high,
        best_j,
        tolerance,
    )
