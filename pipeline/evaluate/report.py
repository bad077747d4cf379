"""The evaluation of one scored run: metrics, intervals and costs, as one ``Evaluation`` record.

The CLI prints it (``Evaluation.to_dict``), the page draws it and the exports write it, so all
three agree. The
threshold defaults to the run's own (chosen on validation); any other value is the reader's
exploration of the test split and is labelled as such.
"""

from __future__ import annotations

from dataclasses import fields

from pipeline.evaluate.bootstrap import bootstrap_intervals
from pipeline.evaluate.metrics import classification_metrics
from pipeline.evaluate.scoring import Scored
from pipeline.records import Evaluation, Intervals

# what an evaluation takes from the scoring as it is: the fields both records name alike, but
# the threshold's origin (a threshold set by hand is not the scoring's)
SCORED_FIELDS = sorted(
    {f.name for f in fields(Scored)} & {f.name for f in fields(Evaluation)} - {"threshold_origin"}
)


def evaluate(
    scored: Scored,
    threshold: float | None = None,
    with_bootstrap: bool = True,
    bootstrap: Intervals | None = None,
) -> Evaluation:
    """Everything about ``scored`` at ``threshold`` (default: the run's validation threshold).

    The bootstrap intervals are computed when ``with_bootstrap`` unless given (``bootstrap``:
    already computed for this threshold, e.g. from a cache)."""
    chosen = scored.threshold if threshold is None else float(threshold)
    origin = (
        scored.threshold_origin
        if threshold is None or chosen == scored.threshold
        else "set by hand"
    )
    if bootstrap is None and with_bootstrap:
        bootstrap = bootstrap_intervals(
            scored.labels, scored.probabilities, chosen, groups=scored.patients
        )
    return Evaluation(
        **{name: getattr(scored, name) for name in SCORED_FIELDS},
        threshold_origin=origin,
        validation_threshold=scored.threshold,
        threshold_rule=scored.threshold_choice.to_dict() if scored.threshold_choice else None,
        metrics=classification_metrics(scored.labels, scored.probabilities, chosen),
        bootstrap=bootstrap,
    )
