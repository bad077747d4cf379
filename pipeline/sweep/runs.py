"""One cell of a sweep: a config trained as an ordinary cached run, then scored.

    outcome = train(config, executor)      # pipeline.training.queue.trigger: cached if seen before
    row = score(run_id, source)            # validation figures, speed, shift stress on val

The robustness proxy is the shift stress (``pipeline.evaluate.stress``) on the validation split,
which the data layer carves by patient: it never looks at test, and its figures are cached
on disk per run, so scoring a grid a second time reads them back.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

EXECUTORS = ("local", "ray")
SCORE_SPLIT = "val"
STRESS_KEYS = ("stress_auc", "stress_accuracy", "threshold")


class TrainingFailed(RuntimeError):
    """A run of the grid ended failed or cancelled; the message names it and says why."""


@dataclass(frozen=True)
class CellScore:
    """A finished run's figures: a row of the ablation table (the JSON ``runs`` rows)."""

    run_id: str
    val_auc: float | None
    val_accuracy: float | None
    images_per_s: float | None
    total_seconds: float | None
    best_epoch: int | None
    stress_auc: float | None = None
    stress_accuracy: float | None = None
    threshold: float | None = None

    def to_dict(self) -> dict:
        """The row; without the stress fields when the run was not stressed."""
        row = asdict(self)
        if all(row[key] is None for key in STRESS_KEYS):
            return {key: value for key, value in row.items() if key not in STRESS_KEYS}
        return row


def train(config, executor: str | None = None):
    """``config``'s run, trained to the end (or cached); ``TrainingFailed`` if it did not finish."""
    outcome = start(config, executor)
    finish(outcome, config)
    return outcome


def start(config, executor: str | None = None):
    """``pipeline.training.queue.trigger`` on ``executor`` (None: ``$PNEUMOLAB_EXECUTOR``)."""
    from pipeline.training.queue import trigger

    return trigger(config, executor=executor)


def finish(outcome, config) -> None:
    """Wait for ``outcome``'s run; ``TrainingFailed`` naming it unless it finished."""
    from pipeline.training.queue import wait

    status = wait(outcome.run)
    if status.status != "finished":
        raise TrainingFailed(
            f"run {outcome.run.id} ({config.framework}, seed {config.seed}) ended "
            f"{status.status}: {status.error or 'no error recorded'}"
        )


def score(run_id: str, source: str, stress: bool = True) -> CellScore:
    """``run_id``'s validation figures and speed, and its shift-stress mean on ``source``'s
    validation split when ``stress`` (computed once per run, then read from the disk cache)."""
    from pipeline.runs import Run

    result = Run(run_id).result()
    if result is None:
        raise TrainingFailed(f"run {run_id} has no result: it did not finish")
    figures = {}
    if stress:
        from pipeline.evaluate.stress import stress_cached

        report = stress_cached(run_id, source, SCORE_SPLIT)
        figures = {
            "stress_auc": report.mean.auc,
            "stress_accuracy": report.mean.accuracy,
            "threshold": report.threshold,
        }
    return CellScore(
        run_id=run_id,
        val_auc=result.val.auc,
        val_accuracy=result.val.accuracy,
        images_per_s=result.timings.images_per_s,
        total_seconds=result.timings.total_seconds,
        best_epoch=result.best_epoch,
        **figures,
    )


def finished_run_id(config) -> str | None:
    """The id of ``config``'s finished run on its data, or None (for scoring without training)."""
    from pipeline.data.identity import dataset_identity
    from pipeline.runs import Run
    from pipeline.training.queue import run_id_for

    run = Run(run_id_for(config, dataset_identity(config.source).fingerprint))
    return run.id if run.state == "finished" else None
