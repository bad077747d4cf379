"""Does data processing make a difference? One pair of runs, measured on the test split.

    with_processing, without = pair_configs(TrainConfig.from_preset("quick", source=src))
    pair = find_pair(base)                   # the two runs in the store (they may not exist yet)
    start_pair(base)                         # queue both (a finished or running one is reused)
    result = compare_pair(pair)              # PairResult: paired bootstrap of (with - without), the words

The two configs are the same model, size, epochs, seed and data, and differ in exactly two
settings: the talk's Transform + Sampler (the PyTorch pipeline's augmentation and its Normalize
with the training split's mean and std, computed in advance, and a WeightedRandomSampler:
``TALK_PIPELINES["torch"]``), against no augmentation, no normalisation and no class balancing.
Both are scored on the same test images; ``pipeline.evaluate.compare`` gives each difference a
95% paired-bootstrap interval, at each run's own validation threshold and at a fixed 0.5 (the
app's reference: the slides show no threshold), where class imbalance shows most (NORMAL recall).
The conclusion's sentences are derived from those intervals, never written in advance.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace

from pipeline.augment.spec import AugmentSpec
from pipeline.data import open_source
from pipeline.data.identity import dataset_identity
from pipeline.evaluate.compare import METRIC_LABELS
from pipeline.records import Comparison, ComparisonRow, EvaluationSummary, _from, _to
from pipeline.runs import ACTIVE, Run, read_json
from pipeline.runs.choice import runs_to_show
from pipeline.settings import atomic_write_bytes
from pipeline.talk.conclusion import cached_path, summary_of, warm_scored
from pipeline.training.config import TALK_PIPELINES, TrainConfig
from pipeline.training.queue import run_id_for, trigger

# the talk's Transform (augmentation + Normalize) and Sampler, as its PyTorch pipeline has them
WITH_PROCESSING = {
    "augment": TALK_PIPELINES["torch"].augment,
    "class_balancing": TALK_PIPELINES["torch"].class_balancing,
}
WITHOUT_PROCESSING = {"augment": AugmentSpec.preset("none"), "class_balancing": "none"}
PAIR_FIELDS = tuple(WITH_PROCESSING)
FIXED_THRESHOLD = 0.5
# what the verdict weighs: the ranking, and both recalls (a threshold trades one for the other)
HEADLINE = {
    "auc": "test AUC",
    "specificity": "NORMAL recall (specificity)",
    "sensitivity": "PNEUMONIA recall (sensitivity)",
}
OTHERS = {"accuracy": "accuracy"}


def pair_configs(base: TrainConfig) -> tuple[TrainConfig, TrainConfig]:
    """``base`` with processing (the talk's Transform + Sampler) and without (neither)."""
    return base.replace(**WITH_PROCESSING).validate(), base.replace(**WITHOUT_PROCESSING).validate()


def run_id_of(config: TrainConfig) -> str:
    """The id ``pipeline.training.queue.trigger`` gives ``config`` on its data today."""
    return run_id_for(config, dataset_identity(config.source).fingerprint)


@dataclass(frozen=True)
class Pair:
    with_processing: Run
    without_processing: Run

    @property
    def runs(self) -> tuple[Run, Run]:
        return self.with_processing, self.without_processing

    @property
    def finished(self) -> bool:
        return all(run.state == "finished" for run in self.runs)

    @property
    def active(self) -> bool:
        return any(run.state in ACTIVE for run in self.runs)


def find_pair(base: TrainConfig) -> Pair:
    """The pair's two runs for ``base`` (each may be missing, queued, running or finished)."""
    with_processing, without = pair_configs(base)
    return Pair(Run(run_id_of(with_processing)), Run(run_id_of(without)))


def start_pair(base: TrainConfig) -> list:
    """Trigger both runs, with processing first: ``queue.trigger`` outcomes (a config never trains twice)."""
    return [trigger(config) for config in pair_configs(base)]


def stored_pairs(source: str) -> list[Pair]:
    """The finished pairs a page shows for ``source``, newest first: runs whose settings, data and
    model code agree except in the two processing settings, which take the two values above.
    The source's own pairs; when it has none, the pairs trained on other data whose labels mean
    the same (``pipeline.runs.choice.runs_to_show``), each then scored on this source."""
    groups: dict[str, dict[str, Run]] = {}
    for run in _newest_first(runs_to_show(source).runs):  # a group's first complete pair wins
        config, data = run.config().to_dict(), run.data()
        side = _side(config)
        if side is None:
            continue
        rest = {k: v for k, v in config.items() if k not in (*PAIR_FIELDS, "source")}
        key = json.dumps([rest, run.data_key(), data.model_code_version], sort_keys=True)
        groups.setdefault(key, {}).setdefault(side, run)
    pairs = [Pair(group["with"], group["without"]) for group in groups.values() if len(group) == 2]
    return sorted(pairs, key=lambda p: max(r.status().ended or 0 for r in p.runs), reverse=True)


def _newest_first(runs: list[Run]) -> list[Run]:
    return sorted(runs, key=lambda run: run.status().ended or 0, reverse=True)


def _side(config: dict) -> str | None:
    for side, settings in (("with", WITH_PROCESSING), ("without", WITHOUT_PROCESSING)):
        if (
            config.get("augment") == settings["augment"].to_dict()
            and config.get("class_balancing") == settings["class_balancing"]
        ):
            return side
    return None


# ---- measuring ----


@dataclass(frozen=True)
class PairResult:
    """Both runs of a pair scored on the same test images (``measure_pair``): each comparison's
    ``a`` is the run with processing, ``b`` the one without, so differences read (with - without).
    ``verdict`` and ``conclusion`` are derived from the intervals, again on every read of the
    cache, so the words always follow the numbers and this code."""

    source: str
    framework: str
    runs: dict[str, str]  # "with", "without" -> run id
    settings: dict[str, dict]  # "with", "without": augment and balancing; "shared": the rest
    evaluations: dict[str, EvaluationSummary]  # "with", "without"
    at_validation_threshold: Comparison  # each run at its own validation threshold
    at_fixed_threshold: Comparison  # both at FIXED_THRESHOLD
    verdict: str | None = None  # helped, hurt, mixed or none
    conclusion: list[str] = field(default_factory=list)

    def at(self, threshold: str) -> Comparison:
        """The comparison at ``threshold``: "validation" or "fixed"."""
        return (
            self.at_validation_threshold if threshold == "validation" else self.at_fixed_threshold
        )

    def row(self, threshold: str, statistic: str) -> ComparisonRow:
        """The row of ``statistic`` (auc, specificity, ...) in one of the two comparisons."""
        return self.at(threshold).row(METRIC_LABELS[statistic])

    @classmethod
    def from_dict(cls, data: dict) -> PairResult:
        return _from(
            cls,
            data,
            evaluations=lambda sides: {
                side: EvaluationSummary.from_dict(summary) for side, summary in sides.items()
            },
            at_validation_threshold=Comparison.from_dict,
            at_fixed_threshold=Comparison.from_dict,
        )

    def to_dict(self) -> dict:
        """The JSON of ``python -m pipeline.talk pair`` and of the disk cache."""
        data = _to(self)  # fields in order, the comparisons as their records write them
        data["evaluations"] = {side: e.to_dict() for side, e in self.evaluations.items()}
        return data


def compare_pair(pair: Pair, source: str | None = None, loader=None) -> PairResult:
    """Both runs on the test split, compared with ``pipeline.evaluate.compare``; cached on disk."""
    if not pair.finished:
        states = ", ".join(f"{r.id} {r.state}" for r in pair.runs)
        raise ValueError(f"both runs must have finished before they can be compared ({states})")
    source = source or pair.with_processing.config().source
    key = (
        [r.id for r in pair.runs]
        + [r.status().updated for r in pair.runs]
        + [source, open_source(source).fingerprint()]
    )
    path = cached_path("pair", key)
    cached = read_json(path)
    if cached is not None:
        return _worded(PairResult.from_dict(cached))
    measured = measure_pair(pair, source, loader)
    # kept in the printed order, so a read from the cache prints what the measurement did
    atomic_write_bytes(path, json.dumps(measured.to_dict(), indent=2).encode())
    return measured


def measure_pair(pair: Pair, source: str, loader=None) -> PairResult:
    """Score both runs on the test split and compare them at both thresholds (the costly part)."""
    from pipeline.evaluate import compare

    with_scored, without_scored = (warm_scored(run.id, source, "test", loader) for run in pair.runs)
    return _worded(
        PairResult(
            source=source,
            framework=with_scored.framework,
            runs={"with": with_scored.run_id, "without": without_scored.run_id},
            settings={
                "with": _processing_settings(pair.with_processing),
                "without": _processing_settings(pair.without_processing),
                "shared": {
                    k: v
                    for k, v in pair.with_processing.config().to_dict().items()
                    if k not in PAIR_FIELDS
                },
            },
            evaluations={"with": summary_of(with_scored), "without": summary_of(without_scored)},
            at_validation_threshold=compare(with_scored, without_scored),
            at_fixed_threshold=compare(
                with_scored, without_scored, FIXED_THRESHOLD, FIXED_THRESHOLD
            ),
        )
    )


def _processing_settings(run: Run) -> dict:
    config = run.config()
    return {"augment": config.augment, "class_balancing": config.class_balancing}


def _worded(measured: PairResult) -> PairResult:
    return replace(measured, verdict=verdict(measured)[0], conclusion=conclusion(measured))


# ---- the words ----


def verdict(measured: PairResult) -> tuple[str, list[str], list[str]]:
    """``helped``, ``hurt``, ``mixed`` or ``none``, from the headline statistics whose 95% interval
    of (with - without) excludes zero; with the names of those that rose and those that fell."""
    rows = {name: measured.row("validation", name) for name in HEADLINE}
    better = [HEADLINE[n] for n, row in rows.items() if row.outside and row.difference > 0]
    worse = [HEADLINE[n] for n, row in rows.items() if row.outside and row.difference < 0]
    kinds = {
        (True, False): "helped",
        (False, True): "hurt",
        (True, True): "mixed",
        (False, False): "none",
    }
    kind = kinds[bool(better), bool(worse)]
    return kind, better, worse


def conclusion(measured: PairResult) -> list[str]:
    """Sentences that follow the measured intervals: the headline first, then each statistic."""
    kind, better, worse = verdict(measured)
    images = measured.at_validation_threshold.images
    headline = {
        "helped": f"On this data, processing helped: it raised {_join(better)} beyond the test split's noise.",
        "hurt": (
            f"On this data, processing did not help: {_join(worse)} came out lower with it, "
            "beyond the test split's noise."
        ),
        "mixed": f"On this data, processing traded one for the other: higher {_join(better)}, lower {_join(worse)}.",
        "none": (
            f"On this data and at these settings, processing made no difference larger than the noise "
            f"of the {images} test images in {_join(list(HEADLINE.values()))}."
        ),
    }[kind]
    fixed = measured.row("fixed", "specificity")
    fixed_sensitivity = measured.row("fixed", "sensitivity")
    if fixed.outside:  # where the imbalance bites: a fixed threshold, NORMAL recall
        headline += (
            f" At the fixed threshold {FIXED_THRESHOLD}, NORMAL recall went from {fixed.b:.3f} "
            f"without processing to {fixed.a:.3f} with it, and PNEUMONIA recall from "
            f"{fixed_sensitivity.b:.3f} to {fixed_sensitivity.a:.3f}."
        )
    sentences = [headline]
    sentences += [
        _describe(label, measured.row("validation", name))
        for name, label in {**HEADLINE, **OTHERS}.items()
    ]
    sentences.append(
        _describe(
            f"At the fixed threshold {FIXED_THRESHOLD} (the app's reference), NORMAL recall", fixed
        )
    )
    sentences.append(
        "One pair of runs with one seed: the intervals cover the sampling of test images, "
        "not the randomness of training. Train the pair with other seeds to see that part."
    )
    return sentences


def _describe(label: str, row: ComparisonRow) -> str:
    a, b, difference = row.a, row.b, row.difference
    if a is None or b is None or row.low is None:
        return f"{label}: cannot be measured on this test split (one class is missing)."
    figures = (
        f"{a:.3f} with processing, {b:.3f} without: {difference:+.3f} "
        f"(95% interval {row.low:+.3f} to {row.high:+.3f})"
    )
    if not row.outside:
        return f"{label}: {figures}, within the noise."
    return f"{label}: {figures}, {'higher' if difference > 0 else 'lower'} with processing."


def _join(names: list[str]) -> str:
    return " and ".join(names) if len(names) < 3 else ", ".join(names[:-1]) + " and " + names[-1]
