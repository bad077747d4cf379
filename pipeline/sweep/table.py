"""The ablation table: per variant and framework, mean and seed sd, and paired deltas judged
against the noise.

Rows are the JSON ``runs`` rows: ``{"variant", "framework", "seed", "run_id", "val_auc", ...,
"stress_auc", "stress_accuracy"}``. A variant's effect is paired by seed (the same seed with
and without the change: ``paired``). The noise rule (issue 11's ablation): an effect counts
("exceeds noise") only when its mean is larger than both the seed-to-seed sd of the metric
(pooled over the variants: ``seed_noise``) and the sd of the paired differences themselves;
"within noise" otherwise, and one seed has no spread to judge against.
"""

from __future__ import annotations

import statistics

SUMMARY_KEYS = ("val_auc", "val_accuracy", "stress_auc", "stress_accuracy", "images_per_s")
DELTA_KEYS = ("stress_auc", "stress_accuracy", "val_auc", "val_accuracy")
ONE_SEED = "one seed: no spread to judge against"


def summary(rows: list[dict]) -> list[dict]:
    """Mean and spread (sample sd) over seeds per variant and framework."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        groups.setdefault((row["variant"], row["framework"]), []).append(row)
    table = []
    for (variant, framework), members in groups.items():
        entry = {"variant": variant, "framework": framework, "seeds": len(members)}
        for key in SUMMARY_KEYS:
            values = [m[key] for m in members if m.get(key) is not None]
            if values:
                entry[key] = statistics.mean(values)
                entry[f"{key}_std"] = statistics.stdev(values) if len(values) > 1 else None
        table.append(entry)
    return table


def paired(rows: list[dict], framework: str, variant: str, base: str, metric: str) -> list[float]:
    """``variant`` minus ``base`` on ``metric``, seed by seed (seeds both have)."""
    by_seed = {
        (r["variant"], r["seed"]): r[metric]
        for r in rows
        if r["framework"] == framework and r.get(metric) is not None
    }
    seeds = sorted(s for v, s in by_seed if v == variant and (base, s) in by_seed)
    return [by_seed[(variant, s)] - by_seed[(base, s)] for s in seeds]


def seed_noise(rows: list[dict], framework: str, metric: str) -> float | None:
    """The seed-to-seed sd of ``metric``, pooled over the variants (mean of their sds)."""
    groups: dict[str, list[float]] = {}
    for r in rows:
        if r["framework"] == framework and r.get(metric) is not None:
            groups.setdefault(r["variant"], []).append(r[metric])
    sds = [statistics.stdev(v) for v in groups.values() if len(v) > 1]
    return statistics.mean(sds) if sds else None


def spread(values: list[float]) -> dict:
    return {
        "mean": statistics.mean(values),
        "std": statistics.stdev(values) if len(values) > 1 else None,
        "n": len(values),
        "values": values,
    }


def verdict(effect: dict, noise: float | None) -> str:
    """'exceeds noise' when the mean effect is larger than the seed spread and than the
    spread of the paired differences; 'within noise' otherwise; ``ONE_SEED`` without spread."""
    if effect["n"] < 2 or noise is None or effect["std"] is None:
        return ONE_SEED
    return "exceeds noise" if abs(effect["mean"]) > max(noise, effect["std"]) else "within noise"


def deltas(rows: list[dict], variants: list[str], baseline_of) -> list[dict]:
    """Each variant against its baseline (``baseline_of(variant)``), per framework and metric:
    the paired differences' mean, sd, n and values, and the noise rule's verdict."""
    out = []
    frameworks = sorted({r["framework"] for r in rows}, key=_framework_order)
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
                effect["verdict"] = verdict(effect, seed_noise(rows, framework, metric))
                out.append(
                    {
                        "variant": variant,
                        "baseline": base,
                        "framework": framework,
                        "metric": metric,
                        **effect,
                    }
                )
    return out


def markdown(rows: list[dict], variants: list[str], baseline_of) -> str:
    """The table as docs/robust_recipe.md has it (mean ± sd over seeds, the paired effect on the
    stress mean against the baseline), with the noise rule's verdict on the stress-mean AUC."""
    lines = [
        "| variant | framework | seeds | val AUC | val accuracy | stress-mean AUC | "
        "stress-mean accuracy | paired Δ stress-mean AUC | paired Δ stress-mean accuracy "
        "(points) | images/s | Δ AUC vs noise |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    judged = {
        (d["variant"], d["framework"], d["metric"]): d for d in deltas(rows, variants, baseline_of)
    }
    for variant in variants:
        for framework in ("torch", "keras"):
            group = [r for r in rows if r["variant"] == variant and r["framework"] == framework]
            if group:
                lines.append(_line(rows, group, variant, framework, baseline_of(variant), judged))
    return "\n".join(lines)


def _line(rows, group, variant, framework, base, judged) -> str:
    seeds = ",".join(str(r["seed"]) for r in sorted(group, key=lambda r: r["seed"]))
    values = {key: [r.get(key) for r in group] for key in group[0]}
    effect = {
        key: [] if variant == base else paired(rows, framework, variant, base, key)
        for key in ("stress_auc", "stress_accuracy")
    }
    auc = judged.get((variant, framework, "stress_auc"))
    return (
        f"| `{variant}` | {framework} | {seeds} | {_mean_sd(values['val_auc'])} | "
        f"{_mean_sd(values['val_accuracy'], digits=3)} | "
        f"{_mean_sd(values.get('stress_auc', []))} | "
        f"{_mean_sd(values.get('stress_accuracy', []), digits=3)} | "
        f"{_mean_sd(effect['stress_auc'], sign='+')} | "
        f"{_mean_sd(effect['stress_accuracy'], 100, 1, '+')} | "
        f"{_mean_sd(values['images_per_s'], digits=0)} | "
        f"{auc['verdict'] if auc else ('baseline' if variant == base else '-')} |"
    )


def _mean_sd(values: list, scale: float = 1.0, digits: int = 4, sign: str = "") -> str:
    values = [v * scale for v in values if v is not None]
    if not values:
        return "-"
    mean = f"{statistics.mean(values):{sign}.{digits}f}"
    return mean if len(values) == 1 else f"{mean} ± {statistics.stdev(values):.{digits}f}"


def _framework_order(framework: str) -> int:
    return ("torch", "keras").index(framework) if framework in ("torch", "keras") else 2
