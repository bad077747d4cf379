"""The ablation table's arithmetic on given rows: paired by seed, judged by the noise rule."""

import pytest

from pipeline.sweep.table import (
    ONE_SEED,
    SweepRow,
    deltas,
    markdown,
    paired,
    seed_noise,
    summary,
)


def rows(values: dict[str, list[float]]) -> list[SweepRow]:
    return [
        SweepRow.from_dict(
            {
                "variant": variant,
                "framework": "torch",
                "seed": seed,
                "stress_auc": value,
                "val_auc": value,
                "val_accuracy": 0.9,
                "images_per_s": 100.0,
            }
        )
        for variant, per_seed in values.items()
        for seed, value in enumerate(per_seed)
    ]


def test_a_paired_effect_is_per_seed_and_only_over_shared_seeds():
    table = rows({"base": [0.80, 0.90, 0.85], "change": [0.82, 0.93]})
    assert paired(table, "torch", "change", "base", "stress_auc") == pytest.approx([0.02, 0.03])


def test_the_noise_rule_needs_the_effect_above_both_spreads():
    seeds_apart = rows({"base": [0.80, 0.90, 0.85], "change": [0.81, 0.91, 0.86]})
    judged = {d.metric: d for d in deltas(seeds_apart, ["base", "change"], lambda v: "base")}
    # +0.01 every seed: no spread of its own, but the seeds differ by 0.05: within noise
    assert judged["stress_auc"].effect.mean == pytest.approx(0.01)
    assert seed_noise(seeds_apart, "torch", "stress_auc") == pytest.approx(0.05)
    assert judged["stress_auc"].verdict == "within noise"
    clear = rows({"base": [0.80, 0.82, 0.81], "change": [0.90, 0.93, 0.91]})
    judged = {d.metric: d for d in deltas(clear, ["base", "change"], lambda v: "base")}
    assert judged["stress_auc"].verdict == "exceeds noise"
    one = rows({"base": [0.80], "change": [0.90]})
    assert deltas(one, ["base", "change"], lambda v: "base")[0].verdict == ONE_SEED


def test_summary_and_markdown_give_mean_and_seed_sd():
    table = rows({"base": [0.80, 0.90], "change": [0.85, 0.95]})
    entry = next(e for e in summary(table) if e.variant == "change")
    assert entry.figures["stress_auc"].mean == pytest.approx(0.90) and entry.seeds == 2
    assert entry.to_dict()["stress_auc"] == entry.figures["stress_auc"].mean
    text = markdown(table, ["base", "change"], lambda v: "base")
    assert "| `change` | torch | 0,1 | 0.9000 ± 0.0707 |" in text
    assert "+0.0500 ± 0.0000" in text and text.splitlines()[2].endswith("| baseline |")
