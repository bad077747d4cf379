"""The ablation table: per variant and framework, mean and seed sd, and paired deltas judged
against the noise.

Rows are ``SweepRow`` records (the JSON ``runs`` rows: ``{"variant", "framework", "seed",
"run_id", "val_auc", ..., "stress_auc", "stress_accuracy"}``). A variant's effect is paired by
seed (the same seed with and without the change: ``paired``). The noise rule (issue 11's ablation): an effect counts
("exceeds noise") only when its mean is larger than both the seed-to-seed sd of the metric
(pooled over the variants: ``seed_noise``) and the sd of the paired differences themselves;
"within noise" otherwise, and one seed has no spread to judge against.
"""

from __future__ import annotations

import statistics
from dataclasses import MISSING, asdict, dataclass, fields

from pipeline.sweep.runs import CellScore

SUMMARY_KEYS = ("val_auc", "val_accuracy", "stress_auc", "stress_accuracy", "images_per_s")
DELTA_KEYS = ("stress_auc", "stress_accuracy", "val_auc", "val_accuracy")
ONE_SEED = "one seed: no spread to judge against"


@dataclass(frozen=True)
class SweepRow:
    """One finished cell: its variant, framework and seed, and its run's figures (a JSON
    ``runs`` row, ``to_dict``)."""

    variant: str
    framework: str
    seed: int
    score: CellScore

    def figure(self, name: str) -> float | None:
        """One of the run's figures (``SUMMARY_KEYS``, ``DELTA_KEYS``); None where not scored."""
        return getattr(self.score, name)

    @classmethod
    def from_dict(cls, row: dict) -> SweepRow:
        """A ``runs`` row as a sweep or the ablation wrote it (a figure it lacks reads as None)."""
        score = {
            f.name: row.get(f.name, None if f.default is MISSING else f.default)
            for f in fields(CellScore)
        }
        return cls(row["variant"], row["framework"], row["seed"], CellScore(**score))

    def to_dict(self) -> dict:
        cell = {"variant": self.variant, "framework": self.framework, "seed": self.seed}
        return cell | self.score.to_dict()


@dataclass(frozen=True)
class SeedSpread:
    """Values over seeds (one figure, or paired differences): their mean, sample sd (None with
    one value), count and the values themselves."""

    mean: float
    std: float | None
    n: int
    values: list[float]

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class SweepSummary:
    """A variant and framework over its seeds: each figure that some seed has, its mean and sd."""

    variant: str
    framework: str
    seeds: int
    figures: dict[str, SeedSpread]  # SUMMARY_KEYS' names, in that order

    def to_dict(self) -> dict:
        entry = {"variant": self.variant, "framework": self.framework, "seeds": self.seeds}
        for key, figure in self.figures.items():
            entry |= {key: figure.mean, f"{key}_std": figure.std}
        return entry


@dataclass(frozen=True)
class SweepDelta:
    """A variant against its baseline on one framework and metric: the paired differences'
    spread and the noise rule's verdict."""

    variant: str
    baseline: str
    framework: str
    metric: str
    effect: SeedSpread
    verdict: str

    def to_dict(self) -> dict:
        judged = {"variant": self.variant, "baseline": self.baseline, "framework": self.framework}
        return judged | {"metric": self.metric, **self.effect.to_dict(), "verdict": self.verdict}


def summary(rows: list[SweepRow]) -> list[SweepSummary]:
    """Mean and spread (sample sd) over seeds per variant and framework."""
    groups: dict[tuple[str, str], list[SweepRow]] = {}
    for row in rows:
        groups.setdefault((row.variant, row.framework), []).append(row)
    table = []
    for (variant, framework), members in groups.items():
        figures = {}
        for key in SUMMARY_KEYS:
            values = [m.figure(key) for m in members if m.figure(key) is not None]
            if values:
                figures[key] = spread(values)
        table.append(SweepSummary(variant, framework, len(members), figures))
    return table


def paired(
    rows: list[SweepRow], framework: str, variant: str, base: str, metric: str
) -> list[float]:
    """``variant`` minus ``base`` on ``metric``, seed by seed (seeds both have)."""
    by_seed = {
        (r.variant, r.seed): r.figure(metric)
        for r in rows
        if r.framework == framework and r.figure(metric) is not None
    }
    seeds = sorted(s for v, s in by_seed if v == variant and (base, s) in by_seed)
    return [by_seed[(variant, s)] - by_seed[(base, s)] for s in seeds]


def seed_noise(rows: list[SweepRow], framework: str, metric: str) -> float | None:
    """The seed-to-seed sd of ``metric``, pooled over the variants (mean of their sds)."""
    groups: dict[str, list[float]] = {}
    for r in rows:
        if r.framework == framework and r.figure(metric) is not None:
            groups.setdefault(r.variant, []).append(r.figure(metric))
    sds = [statistics.stdev(v) for v in groups.values() if len(v) > 1]
    return statistics.mean(sds) if sds else None


def spread(values: list[float]) -> SeedSpread:
    return SeedSpread(
        mean=statistics.mean(values),
        std=statistics.stdev(values) if len(values) > 1 else None,
        n=len(values),
        values=values,
    )


def verdict(effect: SeedSpread, noise: float | None) -> str:
    """'exceeds noise' when the mean effect is larger than the seed spread and than the
    spread of the paired differences; 'within noise' otherwise; ``ONE_SEED`` without spread."""
    if effect.n < 2 or noise is None or effect.std is None:
        return ONE_SEED
    return "exceeds noise" if abs(effect.mean) > max(noise, effect.std) else "within noise"


def deltas(rows: list[SweepRow], variants: list[str], baseline_of) -> list[SweepDelta]:
    """Each variant against its baseline (``baseline_of(variant)``), per framework and metric:
    the paired differences' mean, sd, n and values, and the noise rule's verdict."""
    out = []
    frameworks = sorted({r.framework for r in rows}, key=_framework_order)
    for variant in variants:
        base = baseline_of(variant)
        for framework in frameworks:
            for metric in DELTA_KEYS:
                differences = (
                    [] if variant == base else paired(rows, framework, variant, base, metric)
                )
                if not differences:
                    continue
                effect = spread(differences)
                judged = verdict(effect, seed_noise(rows, framework, metric))
                out.append(SweepDelta(variant, base, framework, metric, effect, judged))
    return out


def markdown(rows: list[SweepRow], variants: list[str], baseline_of) -> str:
    """The table as docs/robust_recipe.md has it (mean ± sd over seeds, the paired effect on the
    stress mean against the baseline), with the noise rule's verdict on the stress-mean AUC."""
    lines = [
        "| variant | framework | seeds | val AUC | val accuracy | stress-mean AUC | "
        "stress-mean accuracy | paired Δ stress-mean AUC | paired Δ stress-mean accuracy "
        "(points) | images/s | Δ AUC vs noise |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    judged = {(d.variant, d.framework, d.metric): d for d in deltas(rows, variants, baseline_of)}
    for variant in variants:
        for framework in ("torch", "keras"):
            group = [r for r in rows if r.variant == variant and r.framework == framework]
            if group:
                lines.append(_line(rows, group, variant, framework, baseline_of(variant), judged))
    return "\n".join(lines)


def _line(rows, group, variant, framework, base, judged) -> str:
    seeds = ",".join(str(r.seed) for r in sorted(group, key=lambda r: r.seed))

    def values(key: str) -> list:
        return [r.figure(key) for r in group]

    effect = {
        key: [] if variant == base else paired(rows, framework, variant, base, key)
        for key in ("stress_auc", "stress_accuracy")
    }
    auc = judged.get((variant, framework, "stress_auc"))
    return (
        f"| `{variant}` | {framework} | {seeds} | {_mean_sd(values('val_auc'))} | "
        f"{_mean_sd(values('val_accuracy'), digits=3)} | "
        f"{_mean_sd(values('stress_auc'))} | "
        f"{_mean_sd(values('stress_accuracy'), digits=3)} | "
        f"{_mean_sd(effect['stress_auc'], sign='+')} | "
        f"{_mean_sd(effect['stress_accuracy'], 100, 1, '+')} | "
        f"{_mean_sd(values('images_per_s'), digits=0)} | "
        f"{auc.verdict if auc else ('baseline' if variant == base else '-')} |"
    )


def _mean_sd(values: list, scale: float = 1.0, digits: int = 4, sign: str = "") -> str:
    values = [v * scale for v in values if v is not None]
    if not values:
        return "-"
    mean = f"{statistics.mean(values):{sign}.{digits}f}"
    return mean if len(values) == 1 else f"{mean} ± {statistics.stdev(values):.{digits}f}"


def _framework_order(framework: str) -> int:
    return ("torch", "keras").index(framework) if framework in ("torch", "keras") else 2
