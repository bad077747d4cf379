"""The talk's "in a nutshell" slide, rebuilt from a measurement: what the Transform (augmentation
and normalisation) and the Sampler (class balancing) of the talk's PyTorch pipeline did,
according to the Conclusion's pair of runs (``pipeline.talk.processing_pair.compare_pair``).

    summary = nutshell(compare_pair(pair, source))

The two ingredients are read from the runs' own settings, and each effect is a measured
(with - without) difference with its 95% paired-bootstrap interval; the headline is the pair's
own verdict. Nothing is carried over from the slide's words.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.augment.spec import FIELDS
from pipeline.talk.processing_pair import FIXED_THRESHOLD, PairResult

BALANCING = {
    "class_weight": "class weights: each NORMAL image counts more in the loss",
    "sampler": "a WeightedRandomSampler: NORMAL images drawn as often as PNEUMONIA ones",
    "none": "none: images in their natural proportion",
}
# choice values in words (the rest read as they are)
VALUE_WORDS = {
    "per_dataset": "the training split's mean and std, computed in advance",
    "per_sample": "each image to mean 0, std 1",
}
EFFECTS = (  # (threshold, statistic, label)
    ("validation", "auc", "Test AUC"),
    ("fixed", "specificity", f"NORMAL recall at {FIXED_THRESHOLD}"),
    ("fixed", "sensitivity", f"PNEUMONIA recall at {FIXED_THRESHOLD}"),
    ("validation", "specificity", "NORMAL recall, run's threshold"),
)


@dataclass(frozen=True)
class Effect:
    label: str
    with_processing: float | None
    without: float | None
    difference: float | None
    low: float | None
    high: float | None
    beyond_noise: bool


@dataclass(frozen=True)
class Nutshell:
    transform: list[str]  # the augmentation's and normalisation's settings, in words
    balancing: str
    effects: list[Effect]
    verdict: str  # helped, hurt, mixed, none
    headline: str
    images: int
    framework: str
    runs: dict[str, str]


def transform_words(augment: dict, baseline: dict) -> list[str]:
    """The augmentation's settings that differ from the run without processing, with the spec's labels."""
    words = []
    for field in FIELDS:
        value = augment.get(field.name)
        if value == baseline.get(field.name):
            continue
        shown = VALUE_WORDS.get(value, value) if isinstance(value, str) else value
        words.append(
            f"{field.label}: {'yes' if value is True else f'{value:g}' if isinstance(value, float) else shown}"
        )
    return words


def nutshell(measured: PairResult) -> Nutshell:
    settings = measured.settings["with"]
    effects = []
    for threshold, statistic, label in EFFECTS:
        row = measured.row(threshold, statistic)
        effects.append(
            Effect(label, row.a, row.b, row.difference, row.low, row.high, bool(row.outside))
        )
    return Nutshell(
        transform=transform_words(settings["augment"], measured.settings["without"]["augment"]),
        balancing=BALANCING.get(settings["class_balancing"], settings["class_balancing"]),
        effects=effects,
        verdict=measured.verdict,
        headline=measured.conclusion[0],
        images=measured.at_validation_threshold.images,
        framework=measured.framework,
        runs=measured.runs,
    )
