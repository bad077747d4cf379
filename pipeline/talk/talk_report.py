"""The talk's own evaluation report, and the same report measured here for the default runs.

The talk's slide prints scikit-learn's classification report for its Keras model on the 624-image
test split (``TALK``): Pneumonia precision 0.91, recall 0.96, f1 0.93 (390 images), Normal 0.92,
0.84, 0.88 (234), accuracy 0.91. Its report calls Pneumonia class 0 and Normal class 1, while the
talk's own CSV labels PNEUMONIA 1 (and this app does too: NORMAL 0, PNEUMONIA 1): the class
indices are flipped between the two, the rows are not.

``measured(run, source)`` is the report of one of this app's runs on the test split of the active
source, at the run's own threshold (chosen on validation), read from the Conclusion's evaluation
(``conclusion.test_evaluation``, cached on disk per run and data); ``is_measured`` says whether it
is already on disk, so a slide can show it without scoring anything.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from pipeline.data import CLASS_NAMES, open_source
from pipeline.records import EvaluationSummary
from pipeline.runs import Run
from pipeline.talk import conclusion

CLASS_FLIP = (
    "The talk's report calls Pneumonia class 0 and Normal class 1, but its CSV labels PNEUMONIA 1 "
    "(as this app does: NORMAL 0, PNEUMONIA 1). The rows are named, so they compare; the indices "
    "do not."
)


@dataclass(frozen=True)
class ReportRow:
    name: str  # PNEUMONIA or NORMAL
    index: int  # the class index the report gives it
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Report:
    rows: tuple[ReportRow, ...]  # PNEUMONIA first, then NORMAL, as the talk lists them
    accuracy: float
    images: int
    threshold: float | None  # None: not stated
    origin: str  # where the report comes from, one line

    def row(self, name: str) -> ReportRow:
        return next(row for row in self.rows if row.name == name)

    def implied_correct(self) -> dict[str, int]:
        """Images of each class called right, as recall x support implies (rounded)."""
        return {row.name: round(row.recall * row.support) for row in self.rows}

    def to_dict(self) -> dict:
        return asdict(self)


TALK = Report(
    rows=(
        ReportRow("PNEUMONIA", 0, 0.91, 0.96, 0.93, 390),
        ReportRow("NORMAL", 1, 0.92, 0.84, 0.88, 234),
    ),
    accuracy=0.91,
    images=624,
    threshold=None,  # the slides do not say which threshold turned probabilities into labels
    origin="the talk's slide: its Keras model on the official 624-image test split",
)


def from_evaluation(evaluation: EvaluationSummary) -> Report:
    """A ``conclusion.test_evaluation`` (or ``summary_of``) as a report in the talk's order."""
    per_class = evaluation.per_class
    rows = tuple(
        ReportRow(
            name,
            CLASS_NAMES.index(name),
            per_class[name]["precision"],
            per_class[name]["recall"],
            per_class[name]["f1"],
            per_class[name]["support"],
        )
        for name in ("PNEUMONIA", "NORMAL")
    )
    return Report(
        rows,
        evaluation.accuracy,
        evaluation.n,
        evaluation.threshold,
        f"run {evaluation.run_id[:8]} ({evaluation.framework}) on the {evaluation.split} "
        f"split, at its own threshold {evaluation.threshold:.3f}",
    )


def _cache_key(run: Run, source: str) -> list:
    return [run.id, run.status().updated, source, open_source(source).fingerprint()]


def is_measured(run: Run, source: str) -> bool:
    """Whether the run's test evaluation is already on disk (reading it costs no scoring)."""
    return cached_path(run, source).is_file()


def cached_path(run: Run, source: str):
    """Where the run's scoring on ``source``'s test split is kept once measured."""
    return conclusion.cached_path("test", _cache_key(run, source))


def measured(run: Run, source: str, loader: conclusion.Loader | None = None) -> Report:
    """The run's report on the test split (scored once, then read from the Conclusion's cache)."""
    return from_evaluation(conclusion.test_evaluation(run, source, loader))


def default_runs(source: str) -> dict[str, Run | None]:
    """The runs the Conclusion compares: the newest like-for-like Keras and PyTorch pair."""
    return conclusion.default_runs(source)
