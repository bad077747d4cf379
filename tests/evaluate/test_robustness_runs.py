"""Stress, ensemble and shortcut check on real tiny runs (two torch seeds, trained here once)."""

import json

import numpy as np
import pytest

from tests.helpers.cli import ROOT, evaluate_cli
from tests.helpers.configs import tiny

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def seed_group() -> list[str]:
    from pipeline.training.queue import trigger, wait

    # batch 24: a setting no other test trains, so the seed group holds exactly these two runs
    # whatever trained before in the session (the run store is shared by the whole session)
    ids = []
    for seed in (0, 1):
        outcome = trigger(tiny("torch", seed, batch_size=24))
        assert wait(outcome.run, poll_s=0.3).status == "finished"
        ids.append(outcome.run.id)
    return ids


def test_cli_stress_adds_the_issues_fields_and_is_deterministic_and_cached(seed_group):
    from pipeline.evaluate.stress import cache_file, stress_run
    from pipeline.inference import load_run_model

    run = seed_group[0]
    printed = json.loads(
        evaluate_cli("--run", run, "--split", "val", "--stress", "--json", "--no-bootstrap").stdout
    )
    assert len(printed["stress"]) == 36
    assert set(printed["stress"][0]) == {"shift", "severity", "auc", "accuracy"}
    assert printed["stress_mean"]["accuracy"] == pytest.approx(
        np.mean([row["accuracy"] for row in printed["stress"]])
    )
    assert cache_file(run, "synthetic", "val").is_file()
    again = stress_run(
        load_run_model(run), "synthetic", "val"
    )  # computed anew, not read from the cache
    assert again.to_json()["stress"] == printed["stress"]


def test_cli_ensemble_scores_the_mean_probability_of_the_seed_group(seed_group):
    from pipeline.evaluate import score_run

    printed = json.loads(
        evaluate_cli("--run", seed_group[0], "--ensemble", "--json", "--no-bootstrap").stdout
    )
    assert printed["run_id"] == "ensemble:" + "+".join(r[:8] for r in seed_group)
    members = [score_run(r, "synthetic", "test") for r in seed_group]
    mean = np.mean([m.probabilities for m in members], axis=0)
    from sklearn.metrics import roc_auc_score

    assert printed["auc"] == pytest.approx(roc_auc_score(members[0].labels, mean))
    assert printed["threshold"] == printed["threshold_rule"]["value"]


def test_shortcut_check_cli_reports_every_region_over_the_test_split(seed_group):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "pipeline.explain.shortcuts", "--run", seed_group[0], "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    printed = json.loads(result.stdout)
    regions = {row["region"]: row for row in printed["regions"]}
    assert set(regions) == {"border", "corners", "markers", "above the lungs", "off the lungs"}
    for row in regions.values():
        assert 0 <= row["mean_mass"] <= 1 and 0 <= row["area"] <= 1
    assert len(printed["most_off_lung"]) == 8
    assert printed["images"] > 0
