"""The records that cross a layer: what a training run writes, and what evaluation returns.

    RunResult     result.json of a finished run (``Run.result()`` reads it)
    EpochRecord   one row of a run's history (the ``epoch`` progress event, and RunResult.history)
    ValMetrics    the validation metrics of the kept epoch (RunResult.val)
    Timings       how long training took (RunResult.timings)
    DeviceInfo    what it trained on (RunResult.device)
    Metrics       a scored split's metrics at one threshold (Evaluation.metrics): its
                  ThresholdMetrics and RankingMetrics (with the Calibration curve) in one
    Intervals     95% bootstrap intervals at one threshold (Evaluation.bootstrap), or of
                  two runs' PairedDifferences
    Comparison    two runs on the same images, row by row (``pipeline.evaluate.compare``)
    Evaluation    one scored run at one threshold (``pipeline.evaluate.report.evaluate``)
    EvaluationSummary  its figures without curves or intervals (``Evaluation.summary``)

Pages, CLIs and the talk read attributes, never keys: a renamed field fails at once, in one place.
``from_dict`` reads what older code wrote (a missing field reads as its default) and keeps keys it
does not know in ``extra``, and ``to_dict`` writes them back, so a file written by newer code
survives a round trip through older code. To add a field: add it to the dataclass with a default,
and write it where the record is made (``pipeline/training/engines/common.py`` for a run).
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from typing import Any, TypeVar

T = TypeVar("T")


def _known(cls) -> set[str]:
    return {f.name for f in fields(cls)} - {"extra"}


def _from(cls: type[T], data: dict | None, **nested) -> T:
    """``cls`` from ``data``: nested records built by ``nested``, unknown keys kept in ``extra``."""
    data = dict(data or {})
    names = _known(cls)
    values = {name: data.pop(name) for name in list(data) if name in names}
    for name, build in nested.items():
        if name in values:
            values[name] = build(values[name])
    for f in fields(cls):  # required fields missing from an older file read as None
        if (
            f.name != "extra"
            and f.name not in values
            and f.default is MISSING
            and f.default_factory is MISSING
        ):
            values[f.name] = None
    return cls(**values, extra=data) if "extra" in {f.name for f in fields(cls)} else cls(**values)


def _to(record) -> dict:
    out = {}
    for f in fields(record):
        if f.name == "extra":
            continue
        value = getattr(record, f.name)
        if hasattr(value, "to_dict"):
            value = value.to_dict()
        elif isinstance(value, list):
            value = [v.to_dict() if hasattr(v, "to_dict") else v for v in value]
        out[f.name] = value
    return {**getattr(record, "extra", {}), **out}


class Record:
    """``from_dict`` and ``to_dict`` by field name, which most records need as they are."""

    @classmethod
    def from_dict(cls: type[T], data: dict | None) -> T:
        return _from(cls, data)

    def to_dict(self) -> dict:
        return _to(self)


@dataclass(frozen=True)
class EpochRecord(Record):
    """One epoch of training (``epoch`` is 1-based), as the progress page and result.json hold it."""

    epoch: int
    epochs: int
    train_loss: float
    train_accuracy: float
    train_auc: float
    val_loss: float
    val_accuracy: float
    val_auc: float
    seconds: float
    train_seconds: float
    images_per_s: float | None
    learning_rate: float
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ValMetrics(Record):
    """Validation metrics of the kept epoch. ``accuracy`` is at 0.5; ``threshold`` is chosen by
    the one rule (``pipeline.threshold``), whose name, interval of validation-optimal
    thresholds and full record (``threshold_choice``) come with it, and ``sensitivity``,
    ``specificity`` and ``accuracy_at_threshold`` are at that threshold. Runs trained before the
    rule hold Youden's pick in ``threshold`` and no rule (inference chooses again for them)."""

    loss: float | None = None
    accuracy: float | None = None
    auc: float | None = None
    threshold: float | None = None
    sensitivity: float | None = None
    specificity: float | None = None
    images: int | None = None
    threshold_rule: str | None = None
    threshold_interval: list[float] | None = None
    threshold_choice: dict | None = None
    accuracy_at_threshold: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Timings(Record):
    seconds_per_epoch: float | None = None
    images_per_s: float | None = None
    total_seconds: float | None = None
    startup_seconds: float | None = None
    peak_rss_mb: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {k: v for k, v in _to(self).items() if not (k == "peak_rss_mb" and v is None)}


@dataclass(frozen=True)
class DeviceInfo(Record):
    type: str | None = None  # "cpu", "cuda" or "mps"
    name: str | None = None
    index: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_gpu(self) -> bool:
        return self.type in ("cuda", "mps")


@dataclass(frozen=True)
class RunResult(Record):
    """result.json: what a finished run trained, how well on validation, how fast, on what."""

    history: list[EpochRecord]
    val: ValMetrics
    timings: Timings
    device: DeviceInfo
    parameters: int | None
    weights: str | None  # file name inside the run's weights/ folder
    best_epoch: int | None  # 1-based: the epoch whose weights were kept
    epochs_run: int | None
    replicas: int = 1
    mixed_precision: str | None = None
    weights_sha256: str | None = None  # None for runs trained before checksums were recorded
    wall_s: float | None = None
    # what inference needs without the training data (pipeline.preprocessing.Preprocessing's
    # record: size, channels, rescale, normalisation statistics, class names, threshold and rule)
    inference: dict | None = None
    onnx: str | None = None  # the model as ONNX, beside the weights (pipeline.onnx_model)
    onnx_sha256: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict) -> RunResult:
        return _from(
            cls,
            data,
            history=lambda rows: [EpochRecord.from_dict(row) for row in rows or []],
            val=ValMetrics.from_dict,
            timings=Timings.from_dict,
            device=DeviceInfo.from_dict,
        )

    def __post_init__(self):  # records read from an older file may lack the nested parts
        for name, default in (
            ("history", []),
            ("val", ValMetrics()),
            ("timings", Timings()),
            ("device", DeviceInfo()),
        ):
            if getattr(self, name) is None:
                object.__setattr__(self, name, default)

    def with_fields(self, **changes) -> RunResult:
        return RunResult.from_dict({**self.to_dict(), **changes})


@dataclass(frozen=True)
class Calibration(Record):
    """Reliability curve over equal-width bins (``pipeline.evaluate.metrics.calibration``): mean
    predicted probability and observed PNEUMONIA rate of each non-empty bin, and its count."""

    mean_predicted: list[float]
    fraction_positive: list[float]
    bin_counts: list[int]
    bins: int


@dataclass(frozen=True)
class ThresholdMetrics(Record):
    """What the threshold decides (``pipeline.evaluate.metrics.threshold_metrics``)."""

    threshold: float
    n: int
    accuracy: float
    sensitivity: float | None  # recall of PNEUMONIA; None without PNEUMONIA images
    specificity: float | None  # recall of NORMAL; None without NORMAL images
    confusion_matrix: list[list[int]]  # [[tn, fp], [fn, tp]]
    per_class: dict[str, dict[str, float]]  # class name -> precision, recall, f1, support
    macro_avg: dict[str, float]
    weighted_avg: dict[str, float]
    report_text: str  # sklearn's classification_report, the talk's printout


@dataclass(frozen=True)
class RankingMetrics(Record):
    """What does not depend on the threshold (``pipeline.evaluate.metrics.ranking_metrics``)."""

    auc: float | None  # None without both classes
    average_precision: float
    brier: float
    prevalence: float
    roc: dict[str, list[float]]  # fpr, tpr, thresholds
    pr: dict[str, list[float]]  # precision, recall, thresholds
    calibration: Calibration

    @classmethod
    def from_dict(cls: type[T], data: dict | None) -> T:
        return _from(cls, data, calibration=Calibration.from_dict)


@dataclass(frozen=True)
class Metrics(RankingMetrics, ThresholdMetrics):
    """One scored split at one threshold (``pipeline.evaluate.metrics.classification_metrics``):
    the fields of ``ThresholdMetrics`` and then of ``RankingMetrics``, in that order.
    Plain JSON values throughout; ``to_dict`` is their layout in the CLI's JSON and the exports.
    """

    @classmethod
    def of(cls, at_threshold: ThresholdMetrics, ranking: RankingMetrics) -> Metrics:
        parts = {
            f.name: getattr(part, f.name) for part in (at_threshold, ranking) for f in fields(part)
        }
        return cls(**parts)


@dataclass(frozen=True)
class Interval(Record):
    """A statistic's estimate and its 95% bootstrap interval (None where it is undefined)."""

    estimate: float | None
    low: float | None
    high: float | None

    @classmethod
    def from_dict(cls, data: dict | None) -> Interval | None:
        return None if data is None else _from(cls, data)


@dataclass(frozen=True)
class PairedDifference(Interval):
    """The interval of a - b, both runs scored on the same resamples; ``estimate`` is the
    difference of ``estimate_a`` and ``estimate_b``. ``outside``: the interval excludes zero, so
    the difference is larger than the resampling noise at the 95% level."""

    estimate_a: float | None
    estimate_b: float | None
    outside: bool


@dataclass(frozen=True)
class Intervals(Record):
    """95% bootstrap intervals of accuracy, AUC, sensitivity and specificity at one threshold
    (``pipeline.evaluate.bootstrap.bootstrap_intervals``), or of two runs' differences, each a
    ``PairedDifference`` (``paired_differences``); ``settings``: resamples, seed, confidence,
    and the unit resampled (``patient`` or ``image``), and ``paired`` for differences."""

    accuracy: Interval | None
    auc: Interval | None
    sensitivity: Interval | None
    specificity: Interval | None
    settings: dict[str, Any]

    def of(self, statistic: str) -> Interval | None:
        """The interval of ``statistic``, one of ``pipeline.evaluate.bootstrap.STATISTICS``."""
        return getattr(self, statistic)

    @classmethod
    def from_dict(cls, data: dict) -> Intervals:
        return _from(cls, data, **dict.fromkeys(_known(cls) - {"settings"}, Interval.from_dict))


@dataclass(frozen=True)
class ComparisonRow(Record):
    """One quantity of two runs side by side: ``difference`` is a - b; ``low``, ``high`` and
    ``outside`` (the 95% interval excludes zero) only for the paired-bootstrap statistics."""

    quantity: str
    a: float | int | str | None
    b: float | int | str | None
    difference: float | None
    low: float | None = None
    high: float | None = None
    outside: bool | None = None


@dataclass(frozen=True)
class Comparison(Record):
    """Two runs scored on the same images (``pipeline.evaluate.compare``): metric rows with
    paired-bootstrap intervals, then cost rows; ``bootstrap`` holds the resampling settings."""

    label_a: str
    label_b: str
    run_a: str
    run_b: str
    source: str
    split: str
    images: int
    thresholds: list[float]
    rows: list[ComparisonRow]
    bootstrap: dict[str, Any]
    notes: list[str]

    def row(self, quantity: str) -> ComparisonRow:
        """The row of ``quantity`` (``METRIC_LABELS``' or ``COST_LABELS``' wording)."""
        return next(row for row in self.rows if row.quantity == quantity)

    @classmethod
    def from_dict(cls, data: dict) -> Comparison:
        return _from(cls, data, rows=lambda rows: [ComparisonRow.from_dict(r) for r in rows])


@dataclass(frozen=True)
class Evaluation:
    """One scored run at one threshold: metrics, intervals and costs (``evaluate`` makes it).

    ``metrics`` is the ``Metrics`` at that threshold; ``metric(name)`` reads one of its fields by
    name (for tables that list several). ``bootstrap`` holds the ``Intervals`` at that
    threshold when they were computed.
    """

    run_id: str
    framework: str
    trained_on: str
    source: str
    split: str
    img_size: int
    threshold_origin: str
    validation_threshold: float
    metrics: Metrics
    inference_ms_per_image: float | None
    parameters: int | None
    skipped: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    bootstrap: Intervals | None = None
    threshold_rule: dict | None = None  # pipeline.threshold.ThresholdChoice.to_dict()

    @property
    def threshold(self) -> float:
        return self.metrics.threshold

    def metric(self, name: str):
        return getattr(self.metrics, name)

    def summary(self) -> EvaluationSummary:
        """The figures at this threshold without curves or intervals: each of the summary's
        fields is this evaluation's or its metrics' of the same name."""
        return EvaluationSummary(
            **{
                name: getattr(self if hasattr(self, name) else self.metrics, name)
                for name in _known(EvaluationSummary)
            }
        )

    def to_dict(self) -> dict:
        """The JSON the CLI prints and the exports write (the layout they always had)."""
        data = {
            "run_id": self.run_id,
            "framework": self.framework,
            "trained_on": self.trained_on,
            "source": self.source,
            "split": self.split,
            "img_size": self.img_size,
            "threshold_origin": self.threshold_origin,
            "validation_threshold": self.validation_threshold,
            "threshold_rule": self.threshold_rule,
            **self.metrics.to_dict(),
            "costs": {
                "inference_ms_per_image": self.inference_ms_per_image,
                "parameters": self.parameters,
            },
            "skipped": self.skipped,
            "warnings": self.warnings,
        }
        if self.bootstrap is not None:
            data["bootstrap"] = self.bootstrap.to_dict()
        return data


@dataclass(frozen=True)
class EvaluationSummary(Record):
    """A run's figures at its own threshold, without curves or intervals
    (``Evaluation.summary``): what the Conclusion's table and the talk's report read, kept on
    disk as JSON (``pipeline.talk.conclusion.test_evaluation``)."""

    run_id: str
    framework: str
    source: str
    split: str
    img_size: int
    threshold: float
    threshold_origin: str
    n: int
    accuracy: float
    auc: float | None
    sensitivity: float | None
    specificity: float | None
    average_precision: float
    brier: float
    confusion_matrix: list[list[int]]
    per_class: dict[str, dict[str, float]]
    macro_avg: dict[str, float]
    warnings: list[str]
    inference_ms_per_image: float | None
    parameters: int | None
    extra: dict[str, Any] = field(default_factory=dict)


__all__ = [
    "Calibration",
    "Comparison",
    "ComparisonRow",
    "DeviceInfo",
    "EpochRecord",
    "Evaluation",
    "EvaluationSummary",
    "Interval",
    "Intervals",
    "Metrics",
    "PairedDifference",
    "RankingMetrics",
    "RunResult",
    "ThresholdMetrics",
    "Timings",
    "ValMetrics",
]
