"""The Conclusion's finding on the frameworks' gap: read from the summarised ablation, in words
that follow its verdicts (a difference counts only above the seed-to-seed spread)."""

import json

from benchmarks.framework_gap import report
from pipeline.talk.framework_gap import FINDING_FILE, GAP, IDENTICAL, load_finding


def ablation(talk_gap: list[float], fill_effect: list[float]) -> dict:
    """Scored ablation rows: three seeds, both frameworks, the talk's settings and black fill."""
    rows = []
    for seed, (gap, effect) in enumerate(zip(talk_gap, fill_effect)):
        base = 0.90 + 0.004 * seed
        for framework, value in (("torch", base), ("keras", base + gap)):
            rows.append(_row("talk", framework, seed, value))
            rows.append(_row("black_fill", framework, seed, value + effect))
    return {"scale": {"img_size": 64, "epochs": 5, "seeds": [0, 1, 2]}, "runs": rows}


def _row(variant, framework, seed, accuracy):
    return {
        "variant": variant,
        "framework": framework,
        "seed": seed,
        "val_auc": 0.99 + accuracy / 100,
        "val_accuracy": accuracy,
        "stress_auc": 0.98,
        "stress_accuracy": accuracy - 0.02,
    }


def test_a_gap_inside_the_seed_spread_reads_as_no_framework_difference(tmp_path):
    path = tmp_path / "gap.json"
    path.write_text(json.dumps(report(ablation([0.002, -0.003, 0.001], [-0.08, -0.07, -0.09]))))
    finding = load_finding(path)
    assert finding.seeds == (0, 1, 2)
    gap = finding.of(IDENTICAL, GAP, "stress_accuracy")
    assert gap.verdict == "within noise" and gap.n == 3
    fill = finding.of(finding.effects[0].change, "PyTorch", "stress_accuracy")
    assert fill.verdict == "exceeds noise" and fill.text().startswith("-8.0 ± 1.0 points")
    words = finding.sentences()
    assert "no framework difference" in words[0]
    assert any(
        "-8.0 ± 1.0 points in PyTorch" in line and "beyond the seed spread" in line
        for line in words
    )
    rows = finding.table()
    assert {row.framework for row in rows} == {"PyTorch", "Keras", GAP}


def test_no_file_means_no_finding(tmp_path):
    assert load_finding(tmp_path / "absent.json") is None


def test_the_shipped_finding_reads():
    finding = load_finding(FINDING_FILE)
    assert finding is not None and finding.sentences()
