"""``python -m pipeline.sweep`` on tiny real trainings (synthetic data, 32 px): every cell a
cached run (a second sweep trains nothing), the table's paired deltas and noise rule computed
from the runs' own figures, and the ablation benchmark writing what it wrote before."""

import json
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.runs import Run
from tests.helpers.configs import tiny_sets

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
TINY = tiny_sets(source=None, batch_size=None, augment=None)  # the sweep sets those


def sweep(*args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "pipeline.sweep", "--source", "synthetic", *TINY, *args]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep")
    grid = ["--framework", "torch", "--vary", "augment=none,light", "--seeds", "0,1"]
    first = sweep(*grid, "--json", "--out", str(out))
    again = sweep(*grid, "--json")
    return json.loads(first.stdout), first.stderr, json.loads(again.stdout), again.stderr, out


def test_every_cell_is_a_run_and_a_second_sweep_trains_nothing(swept, no_run_left_behind):
    report, _, again, again_log, out = swept
    cells = {(r["variant"], r["seed"]) for r in report["runs"]}
    assert cells == {(v, s) for v in ("quick augment=none", "quick augment=light") for s in (0, 1)}
    assert all(Run(r["run_id"]).state == "finished" for r in report["runs"])
    assert again["runs"] == report["runs"]  # the same runs, the same (cached) stress figures
    assert again_log.count("(cached)") == 4, again_log
    assert json.loads((out / "sweep.json").read_text()) == report
    assert (out / "sweep.md").read_text().startswith("| variant | framework |")


def test_paired_deltas_and_the_noise_rule_come_from_the_runs(swept):
    report, *_ = swept
    rows = {(r["variant"], r["seed"]): r for r in report["runs"]}
    delta = next(d for d in report["deltas"] if d["metric"] == "stress_auc")
    assert delta["variant"] == "quick augment=light" and delta["baseline"] == "quick augment=none"
    expected = [
        rows[("quick augment=light", s)]["stress_auc"]
        - rows[("quick augment=none", s)]["stress_auc"]
        for s in (0, 1)
    ]
    assert delta["values"] == pytest.approx(expected)
    noise = statistics.mean(
        statistics.stdev(rows[(v, s)]["stress_auc"] for s in (0, 1))
        for v in ("quick augment=none", "quick augment=light")
    )
    exceeds = abs(statistics.mean(expected)) > max(noise, statistics.stdev(expected))
    assert delta["verdict"] == ("exceeds noise" if exceeds else "within noise")
    summary = next(e for e in report["summary"] if e["variant"] == "quick augment=light")
    assert summary["stress_auc"] == pytest.approx(
        statistics.mean(rows[("quick augment=light", s)]["stress_auc"] for s in (0, 1))
    )


def test_the_ablation_benchmark_writes_what_it_wrote_before(tmp_path, no_run_left_behind):
    out = tmp_path / "ablation.json"
    command = [sys.executable, "-m", "benchmarks.generalisation_ablation", "--source", "synthetic",
               "--img-size", "32", "--epochs", "1", "--seeds", "0", "--frameworks", "torch",
               "--variants", "talk,label_smoothing", "--train", "--score", "--out", str(out)]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(out.read_text())
    assert set(report) == {"scale", "variants", "runs", "summary"}
    assert [(r["variant"], r["seed"]) for r in report["runs"]] == [
        ("talk", 0),
        ("label_smoothing", 0),
    ]
    assert list(report["runs"][0]) == [
        "variant", "framework", "seed", "run_id", "val_auc", "val_accuracy", "images_per_s",
        "total_seconds", "best_epoch", "stress_auc", "stress_accuracy", "threshold",
    ]  # fmt: skip
    table = subprocess.run(
        [sys.executable, "-m", "benchmarks.generalisation_ablation", "--source", "synthetic",
         "--table", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert "| `label_smoothing` | torch | 0 |" in table.stdout
