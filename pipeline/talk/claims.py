"""The Conclusion's three comparisons, each over seeds and judged by one noise rule (issue 20).

    found = claims(source)                 # Claims: as_given, same_processing, framework_gap
    found.to_dict()                        # what ``python -m pipeline.talk claims --json`` prints

1. **The two pipelines as given**: the talk's Keras pipeline against its PyTorch pipeline, each
   as its slides show it (the ``talk`` preset resolved per framework: ImageDataGenerator and no
   class balancing; Normalize with a precomputed mean and std and a WeightedRandomSampler).
2. **The same processing in both**: the ``full`` preset, identical in both frameworks.
3. **The framework gap**: what each difference between the pipelines is worth, from the
   ablation over seeds (``pipeline.talk.framework_gap``, docs/results/framework_gap.json).

(1) and (2) read seed groups (seeds 0, 1, 2 by default) from the run store: the finished runs on
``source`` whose settings are the preset's except the seed and the hardware. Every figure is a
mean over seeds, and a Keras - PyTorch difference counts only when it exceeds the seed-to-seed
spread: ``pipeline.evaluate.seeds.compare_spreads``, the rule the Evaluation page and the
Conclusion's seed table use. With one seed on a side the spread is unknown and the verdict says
so. A side with seeds missing names the command that trains them; nothing here trains.
"""

from __future__ import annotations

import dataclasses
import json
import shlex
from collections.abc import Callable
from dataclasses import dataclass

from pipeline.evaluate.seeds import Spread, Verdict, compare_spreads, summarise
from pipeline.frameworks import FRAMEWORK_NAMES, FRAMEWORKS
from pipeline.runs import ACTIVE, Run, all_runs, finished_runs
from pipeline.runs.choice import runs_to_show
from pipeline.talk import conclusion, framework_gap
from pipeline.training.config import (
    PER_RUN_FIELDS,
    ConfigError,
    TrainConfig,
    config_differences,
)

SEEDS = (0, 1, 2)
AS_GIVEN, SAME_PROCESSING, FRAMEWORK_GAP = "as_given", "same_processing", "framework_gap"
PRESET_OF = {AS_GIVEN: "talk", SAME_PROCESSING: "full"}
TITLES = {
    AS_GIVEN: "The two pipelines as given",
    SAME_PROCESSING: "The same processing in both",
    FRAMEWORK_GAP: "The framework gap",
}
QUESTIONS = {
    AS_GIVEN: "The talk's Keras pipeline (ImageDataGenerator, no class balancing) against its "
    "PyTorch pipeline (Normalize with a mean and std computed in advance, WeightedRandomSampler): "
    "what the talk compared.",
    SAME_PROCESSING: "Keras against PyTorch with identical processing (the `full` preset in both): "
    "what is left of the difference when only the framework differs.",
    FRAMEWORK_GAP: "Each difference between the frameworks' pipelines, switched on one at a time "
    "with everything else equal, over seeds: which one moves the figures.",
}
RULE = (
    "A difference counts only when it exceeds the seed-to-seed spread (the larger of the two "
    "sides' standard deviations over seeds); with one seed on a side the spread is unknown."
)
Loader = Callable[[str], object]  # run id -> a loaded model (the page passes its cached one)


@dataclass(frozen=True)
class Side:
    """One framework's seed group of a preset on a source: what is finished, what is not."""

    framework: str
    preset: str
    seeds_wanted: tuple[int, ...]
    run_ids: tuple[str, ...]  # finished, in seed order
    seeds: tuple[int, ...]  # the seeds of ``run_ids``
    under_way: tuple[str, ...]  # queued or running runs of the missing seeds
    command: str | None  # trains the missing seeds; None when none is missing

    @property
    def missing(self) -> tuple[int, ...]:
        return tuple(seed for seed in self.seeds_wanted if seed not in self.seeds)

    @property
    def label(self) -> str:
        return FRAMEWORK_NAMES.get(self.framework, self.framework)

    def describe(self) -> str:
        seeds = ", ".join(map(str, self.seeds)) or "none"
        return f"{self.label}, `{self.preset}`: {len(self.seeds)} seed(s) finished ({seeds})"


@dataclass(frozen=True)
class Claim:
    """One of the three comparisons: its sides, the verdict per figure, and its words."""

    key: str
    title: str
    question: str
    status: str  # "measured", "incomplete" (seeds missing), "missing" (nothing to compare)
    sentences: tuple[str, ...]
    sides: tuple[Side, ...] = ()  # Keras, then PyTorch; empty for the framework gap
    differences: tuple[dict, ...] = ()  # {"setting", "keras", "torch"}: besides the framework
    verdicts: tuple[Verdict, ...] = ()
    gap: framework_gap.GapFinding | None = None

    @property
    def beyond_noise(self) -> tuple[Verdict, ...]:
        return tuple(v for v in self.verdicts if v.within_noise is False)

    def to_dict(self) -> dict:
        return {
            **dataclasses.asdict(self),
            "sides": [
                {**dataclasses.asdict(side), "missing": list(side.missing)} for side in self.sides
            ],
        }


@dataclass(frozen=True)
class Claims:
    source: str
    rule: str
    claims: tuple[Claim, ...]

    def of(self, key: str) -> Claim:
        return next(claim for claim in self.claims if claim.key == key)

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "rule": self.rule,
            "claims": [claim.to_dict() for claim in self.claims],
        }


# ---- which runs ----


def pipeline_settings(config: dict) -> str:
    """A config's pipeline: every setting but the per-run ones (framework aside), as one key."""
    kept = {k: v for k, v in config.items() if k == "framework" or k not in PER_RUN_FIELDS}
    return json.dumps(kept, sort_keys=True)


def _key(config: dict) -> str | None:
    """``pipeline_settings`` of a run's config read as today's TrainConfig (later settings at
    their defaults); None for a config this code cannot read."""
    try:
        return pipeline_settings(TrainConfig.from_dict(config).to_dict())
    except (ConfigError, TypeError, ValueError):
        return None


def side(
    source: str,
    framework: str,
    preset: str,
    seeds: tuple[int, ...] = SEEDS,
    overrides: dict | None = None,
) -> Side:
    """``framework``'s seed group of ``preset`` (with ``overrides``) on ``source``: the newest
    finished run of each seed whose pipeline is the preset's, the runs under way, and the
    command that trains the rest."""
    target = _target(preset, framework, source, overrides)
    wanted = pipeline_settings(target.to_dict())
    by_seed: dict[int, Run] = {}
    for run in _candidates(framework, source, wanted):
        by_seed.setdefault(int(run.config().seed or 0), run)
    found = sorted(by_seed)
    missing = [seed for seed in seeds if seed not in by_seed]
    under_way = tuple(
        run.id
        for run in all_runs()
        if run.state in ACTIVE
        and run.config().source == source
        and int(run.config().seed or 0) in missing
        and _key(run.config().to_dict()) == wanted
    )
    options = "".join(
        f" --{name.replace('_', '-')} {shlex.quote(str(value))}"
        for name, value in (overrides or {}).items()
    )
    command = (
        f"python -m pipeline.train --framework {framework} --source {shlex.quote(source)} "
        f"--preset {preset}{options} --seeds {','.join(map(str, missing))}"
        if missing
        else None
    )
    return Side(
        framework,
        preset,
        tuple(seeds),
        tuple(by_seed[seed].id for seed in found),
        tuple(found),
        under_way,
        command,
    )


def _candidates(framework: str, source: str, wanted) -> list[Run]:
    """Runs of the preset's pipeline: the source's own (newest first); where it has none, those
    of the best dataset whose labels mean the same (``pipeline.runs.choice``), one dataset only."""
    own = [
        run for run in finished_runs(framework, source) if _key(run.config().to_dict()) == wanted
    ]
    if own:
        return own
    shared = [
        r for r in runs_to_show(source, framework).runs if _key(r.config().to_dict()) == wanted
    ]
    return [run for run in shared if run.data_key() == shared[0].data_key()] if shared else []


# ---- the comparisons ----


def group_claim(
    key: str,
    source: str,
    loader: Loader | None = None,
    seeds: tuple[int, ...] = SEEDS,
    overrides: dict | None = None,
) -> Claim:
    """Comparison (1) or (2): both frameworks' seed groups of the key's preset, every figure's
    mean over seeds, and ``compare_spreads``' verdict on each. ``overrides`` (settings such as
    a smaller size or fewer epochs) apply to both sides alike."""
    preset = PRESET_OF[key]
    sides = tuple(side(source, framework, preset, seeds, overrides) for framework in FRAMEWORKS)
    configs = [_target(preset, f, source, overrides).to_dict() for f in FRAMEWORKS]
    differences = tuple(
        {"setting": row.setting, "keras": row.a, "torch": row.b}
        for row in config_differences(*configs)
        if row.setting != "framework"
    )
    common = dict(
        key=key, title=TITLES[key], question=QUESTIONS[key], sides=sides, differences=differences
    )
    if any(not s.run_ids for s in sides):
        return Claim(status="missing", sentences=tuple(_missing_words(sides)), **common)
    figures = _figures(source, loader)
    summaries = {s.framework: summarise(_Group(s.run_ids), figures) for s in sides}
    verdicts = tuple(
        compare_spreads(name, summaries["keras"][name], summaries["torch"][name])
        for name in summaries["keras"]
        if name in summaries["torch"]
    )
    status = "incomplete" if any(s.missing for s in sides) else "measured"
    words = [_headline(key, verdicts)] + [_verdict_words(key, v) for v in verdicts]
    if status == "incomplete":
        words += _missing_words(sides)
    return Claim(status=status, sentences=tuple(words), verdicts=verdicts, **common)


def gap_claim() -> Claim:
    """Comparison (3): the ablation's finding, as ``pipeline.talk.framework_gap`` reads it."""
    finding = framework_gap.load_finding()
    common = dict(key=FRAMEWORK_GAP, title=TITLES[FRAMEWORK_GAP], question=QUESTIONS[FRAMEWORK_GAP])
    if finding is None:
        return Claim(
            status="missing",
            sentences=(
                "Not measured here: `python -m benchmarks.generalisation_ablation --seeds 0,1,2 "
                "--train`, then `--score` and `python -m benchmarks.framework_gap` "
                "(docs/robust_recipe.md).",
            ),
            **common,
        )
    basis = (
        f"Measured once for the project on the real training X-rays ({finding.img_size} px, "
        f"{finding.epochs} epochs, seeds {', '.join(map(str, finding.seeds))}), not on the "
        "source chosen here; each effect is paired by seed."
    )
    return Claim(status="measured", sentences=(*finding.sentences(), basis), gap=finding, **common)


def claims(
    source: str,
    loader: Loader | None = None,
    seeds: tuple[int, ...] = SEEDS,
    overrides: dict | None = None,
) -> Claims:
    """The three comparisons on ``source``, in the talk's order."""
    return Claims(
        source,
        RULE,
        (
            group_claim(AS_GIVEN, source, loader, seeds, overrides),
            group_claim(SAME_PROCESSING, source, loader, seeds, overrides),
            gap_claim(),
        ),
    )


# ---- helpers ----


def _target(preset: str, framework: str, source: str, overrides: dict | None) -> TrainConfig:
    return TrainConfig.from_preset(
        preset, framework=framework, source=source, **(overrides or {})
    ).validate()


@dataclass(frozen=True)
class _Group:
    """What ``pipeline.evaluate.seeds.summarise`` reads of a seed group."""

    run_ids: tuple[str, ...]


def _figures(source: str, loader: Loader | None):
    """One run's figures: ``conclusion.seed_figures`` (cached on disk, shared with the
    Conclusion's seed table)."""
    return lambda run_id: conclusion.seed_figures(Run(run_id), source, loader).named()


SIDE_WORDS = {AS_GIVEN: "pipeline", SAME_PROCESSING: ""}


def _names(key: str) -> tuple[str, str]:
    suffix = f" {SIDE_WORDS[key]}" if SIDE_WORDS.get(key) else ""
    return f"Keras{suffix}", f"PyTorch{suffix}"


def _headline(key: str, verdicts: tuple[Verdict, ...]) -> str:
    keras, torch = _names(key)
    unknown = [v.quantity for v in verdicts if v.within_noise is None]
    beyond = [v for v in verdicts if v.within_noise is False]
    if unknown:
        return (
            f"{TITLES[key]}: one seed on a side, so the seed-to-seed spread is unknown and no "
            "difference can be told from noise yet."
        )
    if not beyond:
        return (
            f"{TITLES[key]}: every figure is within the seed-to-seed spread; the seeds cannot "
            f"tell the {keras} from the {torch}."
        )
    parts = [
        f"{keras if v.difference > 0 else torch} ahead on {v.quantity} ({v.difference:+.3f}, "
        f"spread {v.noise:.3f})"
        for v in beyond
    ]
    within = len(verdicts) - len(beyond)
    return f"{TITLES[key]}: beyond the seed-to-seed spread: {'; '.join(parts)}" + (
        f"; the other {within} figure(s) within it." if within else "."
    )


def _verdict_words(key: str, verdict: Verdict) -> str:
    keras, torch = _names(key)
    figures = (
        f"{verdict.quantity}: {keras} {_spread(verdict.keras)}, {torch} {_spread(verdict.torch)}"
    )
    if verdict.within_noise is None:
        return f"{figures}; one seed on a side: spread unknown."
    where = "within" if verdict.within_noise else "beyond"
    return (
        f"{figures}; Keras - PyTorch {verdict.difference:+.3f}, {where} the seed-to-seed "
        f"spread ({verdict.noise:.3f})."
    )


def _spread(value: Spread) -> str:
    return value.short(3) + f" (n = {value.n})"


def _missing_words(sides: tuple[Side, ...]) -> list[str]:
    words = []
    for s in sides:
        if not s.missing:
            continue
        seeds = ", ".join(map(str, s.missing))
        line = f"{s.label}, preset `{s.preset}`: seed(s) {seeds} not finished on this source"
        line += f" ({len(s.under_way)} under way)." if s.under_way else "."
        words.append(line)
    return words
