"""A seed group scored as one model: the mean of its runs' probabilities.

    scored = score_ensemble(group.run_ids, source="synthetic", split="test")
    evaluate(scored)        # as for one run; scored.run_id names the members

Averaging seeds removes the part of each run's errors that comes from its draw (initial weights,
image order, augmentation), the part that does not transfer to other data. Its threshold comes
from the one rule (``pipeline.threshold``) applied to the mean of the members'
validation probabilities, as a single run's does. ``python -m benchmarks.ensemble`` measures
whether it helps (docs/generalisation.md).
"""

from __future__ import annotations

import numpy as np

from pipeline.evaluate.scoring import Scored, score_run
from pipeline.threshold import choose_threshold

PREFIX = "ensemble:"


def ensemble_name(run_ids) -> str:
    return PREFIX + "+".join(run_id[:8] for run_id in run_ids)


def load_members(run_ids) -> list:
    from pipeline.inference import load_run_model

    if len(run_ids) < 2:
        raise ValueError("an ensemble needs at least two runs (a seed group of one is one run)")
    members = [load_run_model(run_id) for run_id in run_ids]
    sizes = {(m.img_size, m.config.source) for m in members}
    if len(sizes) > 1:
        raise ValueError("the runs of an ensemble must share image size and training source")
    return members


def ensemble_predict(members, images: np.ndarray) -> np.ndarray:
    """Mean probability of PNEUMONIA over ``members`` (LoadedModels)."""
    from pipeline.inference import predict_proba

    return np.mean([predict_proba(member, images) for member in members], axis=0)


def ensemble_threshold(members):
    """The one rule on the mean validation probabilities of the members' training source."""
    from pipeline.data import load_all

    first = members[0]
    _, arrays = load_all(first.config.source, first.img_size)
    val, train = arrays.subset("val"), arrays.subset("train")
    return choose_threshold(
        val.labels,
        ensemble_predict(members, val.images),
        first.config.class_balancing or "class_weight",
        float(train.labels.mean()) if len(train) else None,
    )


def score_ensemble(run_ids, source: str | None = None, split: str = "test", members=None) -> Scored:
    """The mean probability of ``run_ids`` on ``split`` of ``source`` (default: their own)."""
    members = members or load_members(run_ids)
    scored = [score_run(m.run_id, source, split, loaded=m) for m in members]
    first = scored[0]
    if any(not np.array_equal(s.origins, first.origins) for s in scored[1:]):
        raise ValueError("the runs scored different images; they cannot be averaged")
    choice = ensemble_threshold(members)
    return Scored(
        run_id=ensemble_name(run_ids),
        framework=first.framework,
        trained_on=first.trained_on,
        source=first.source,
        split=split,
        img_size=first.img_size,
        threshold=choice.value,
        threshold_origin=choice.reason,
        labels=first.labels,
        probabilities=np.mean([s.probabilities for s in scored], axis=0),
        patients=first.patients,
        origins=first.origins,
        inference_ms_per_image=sum(s.inference_ms_per_image for s in scored),
        parameters=sum(s.parameters for s in scored),
        skipped=first.skipped,
        warnings=first.warnings,
        threshold_choice=choice,
    )
