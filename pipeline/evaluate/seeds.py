"""Seed groups: runs whose settings differ only in the seed, read as one result with a spread.

    groups = seed_groups(finished)                      # [SeedGroup], biggest first
    spread([0.91, 0.93, 0.92])                          # Spread: mean 0.92, sd 0.01, 3 seeds
    verdict = compare_spreads("accuracy", keras, torch) # is Keras vs PyTorch beyond the noise?

A single run is one draw: its seed fixes the initial weights, the order of the images and the
augmentation. Two frameworks' runs differ by that draw as well as by the framework, so a
difference between them counts only when it exceeds the seed-to-seed spread (the larger of the
two frameworks' standard deviations over seeds). With one seed on either side the spread is
unknown, and the verdict says so instead of guessing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.runs import all_runs
from pipeline.runs.choice import settings_key

FRAMEWORK_LABELS = {"keras": "Keras", "torch": "PyTorch"}
IGNORED = ("seed",)  # the one setting a seed group's runs may differ in


@dataclass(frozen=True)
class SeedGroup:
    """Finished runs with one config except the seed, on one dataset (same training images)."""

    key: str  # hash of the config without the seed or source path, and the data's identity
    framework: str
    source: str
    settings_key: str  # as ``key`` but without the framework: pairs Keras with PyTorch
    run_ids: tuple[str, ...]  # sorted by seed
    seeds: tuple[int, ...]

    @property
    def size(self) -> int:
        return len(self.run_ids)

    def describe(self) -> str:
        seeds = ", ".join(str(s) for s in self.seeds)
        return (
            f"{FRAMEWORK_LABELS.get(self.framework, self.framework)}, "
            f"{self.size} seed{'s' if self.size != 1 else ''} ({seeds})"
        )


def seed_groups(runs) -> list[SeedGroup]:
    """The seed groups among ``runs`` (``pipeline.runs.Run``; pass finished ones): groups of one
    included, the biggest and then the newest first. Two runs with the same seed and settings
    have the same id, so a group never holds a seed twice."""
    members: dict[str, list] = {}
    for run in runs:
        members.setdefault(settings_key(run, IGNORED), []).append(run)
    groups = []
    for key, found in members.items():
        found.sort(key=lambda run: run.config().seed or 0)
        config = found[0].config()
        groups.append(
            SeedGroup(
                key=key,
                framework=config.framework or "",
                source=config.source or "",
                settings_key=settings_key(found[0], ("seed", "framework")),
                run_ids=tuple(run.id for run in found),
                seeds=tuple(int(run.config().seed or 0) for run in found),
            )
        )
    newest = {g.key: max(_updated(r) for r in members[g.key]) for g in groups}
    return sorted(groups, key=lambda g: (-g.size, -newest[g.key]))


def finished_seed_groups() -> list[SeedGroup]:
    """The seed groups of every finished run in the store."""
    return seed_groups(run for run in all_runs() if run.state == "finished")


def group_of(run_id: str, groups: list[SeedGroup]) -> SeedGroup | None:
    return next((group for group in groups if run_id in group.run_ids), None)


def partner(group: SeedGroup, groups: list[SeedGroup]) -> SeedGroup | None:
    """The other framework's group trained with the same settings, if there is one."""
    return next(
        (
            other
            for other in groups
            if other.settings_key == group.settings_key and other.framework != group.framework
        ),
        None,
    )


def compared_groups(run_id: str, groups: list[SeedGroup]) -> list[SeedGroup]:
    """The run's group, then the other framework's group with the same settings when there is
    one: what a page compares. Empty when the run is in no group."""
    group = group_of(run_id, groups)
    if group is None:
        return []
    other = partner(group, groups)
    return [group] if other is None else [group, other]


# ---- spread and the verdict ----


@dataclass(frozen=True)
class Spread:
    mean: float
    sd: float | None  # sample standard deviation over seeds (None with one seed)
    n: int
    values: tuple[float, ...]

    def short(self, digits: int = 3) -> str:
        """Mean ± sd, for a table whose rows already say how many seeds."""
        if self.sd is None:
            return f"{self.mean:.{digits}f}"
        return f"{self.mean:.{digits}f} ± {self.sd:.{digits}f}"

    def text(self, digits: int = 3) -> str:
        if self.sd is None:
            return f"{self.mean:.{digits}f} (1 seed: spread unknown)"
        return f"{self.mean:.{digits}f} ± {self.sd:.{digits}f} ({self.n} seeds)"


def spread(values) -> Spread:
    """Mean and sample standard deviation of one figure over a group's seeds."""
    values = tuple(float(v) for v in values if v is not None)
    if not values:
        raise ValueError("no values to summarise")
    sd = float(np.std(values, ddof=1)) if len(values) > 1 else None
    return Spread(float(np.mean(values)), sd, len(values), values)


@dataclass(frozen=True)
class Verdict:
    quantity: str
    keras: Spread
    torch: Spread
    difference: float  # Keras minus PyTorch, of the means
    noise: float | None  # the larger seed standard deviation (None: unknown)
    within_noise: bool | None  # None: cannot tell (one seed on a side)
    sentence: str


def compare_spreads(quantity: str, keras: Spread, torch: Spread) -> Verdict:
    """Keras vs PyTorch on one figure, judged against the seed-to-seed spread."""
    difference = keras.mean - torch.mean
    if keras.sd is None or torch.sd is None:
        sentence = (
            f"{quantity}: Keras {keras.mean:.3f}, PyTorch {torch.mean:.3f}; with one seed on a "
            "side the seed-to-seed spread is unknown, so this difference cannot be told from "
            "noise."
        )
        return Verdict(quantity, keras, torch, difference, None, None, sentence)
    noise = max(keras.sd, torch.sd)
    within = abs(difference) <= noise
    leader = "Keras" if difference > 0 else "PyTorch"
    if within:
        sentence = (
            f"{quantity}: Keras - PyTorch = {difference:+.3f}, within the seed-to-seed spread "
            f"({noise:.3f}): no framework is better on this figure."
        )
    else:
        sentence = (
            f"{quantity}: {leader} is ahead by {abs(difference):.3f}, more than the seed-to-seed "
            f"spread ({noise:.3f})."
        )
    return Verdict(quantity, keras, torch, difference, noise, within, sentence)


def _updated(run) -> float:
    return float(run.status().updated or 0.0)


# ---- a group's figures, and the pair of groups to compare ----


def summarise(group: SeedGroup, figures) -> dict[str, Spread]:
    """Each figure's spread over the group: ``figures(run_id)`` gives one run's {name: value}."""
    per_run = [figures(run_id) for run_id in group.run_ids]
    names = [name for name in per_run[0] if all(p.get(name) is not None for p in per_run)]
    return {name: spread([p[name] for p in per_run]) for name in names}


def verdicts(keras: dict[str, Spread], torch: dict[str, Spread]) -> list[Verdict]:
    """``compare_spreads`` for every figure both groups have."""
    return [compare_spreads(name, keras[name], torch[name]) for name in keras if name in torch]


def framework_pair(groups: list[SeedGroup]) -> tuple[SeedGroup, SeedGroup] | None:
    """The Keras and PyTorch groups with the same settings and the most seeds on both sides
    (``groups`` is newest-first within a size, so ties go to the newest), else None."""
    pairs = [
        (group, other)
        for group in groups
        if group.framework == "keras" and (other := partner(group, groups)) is not None
    ]
    return max(pairs, key=lambda pair: min(pair[0].size, pair[1].size), default=None)
