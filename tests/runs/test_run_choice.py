"""Which runs a results page shows for a source (pipeline/runs/choice.py), what it says they rest
on (pipeline/runs/provenance.py), and how the Conclusion ranks figures with noise in mind.

Runs are real folders of the run store, written as training writes them; the sources are real
image folders."""

from __future__ import annotations

from dataclasses import replace

import pytest

from pipeline.data import canonical_source
from pipeline.data.identity import CHEST_XRAY, SYNTHETIC, dataset_identity
from pipeline.machine import machine_id
from pipeline.runs import Run, RunData, write_json
from pipeline.runs.choice import partner, runs_to_show
from pipeline.runs.provenance import provenance
from pipeline.talk.conclusion import (
    FrameworkRow,
    SeedSpread,
    SpeedOverSeeds,
    better_framework,
)
from pipeline.training.config import TrainConfig
from tests.helpers.imagetree import kaggle_tree


def stored(run_id: str, source: str, identity, framework: str, seed: int = 0, auc=0.9, **settings):
    config = TrainConfig.from_preset(
        "quick", framework=framework, seed=seed, source=source, **settings
    )
    run = Run(run_id)
    run.path.mkdir(parents=True, exist_ok=True)
    write_json(run.path / "config.json", config.to_dict())
    data = RunData(source=source, fingerprint="f")
    write_json(run.path / "data.json", (data.identified(identity) if identity else data).to_dict())
    result = {
        "history": [],
        "val": {"auc": auc, "accuracy": auc},
        "timings": {},
        "device": {"type": "cpu", "name": "test CPU"},
        "weights": None,
    }
    write_json(run.path / "result.json", result)
    run.set_status("finished", created=float(int(run_id, 16)), ended=float(int(run_id, 16)))
    return run


@pytest.fixture
def sources(tmp_path, monkeypatch):
    monkeypatch.setenv("PNEUMOLAB_CACHE", str(tmp_path / "cache"))
    trained = kaggle_tree(tmp_path / "kermany", per_class=(20, 44), broken=False)
    other = kaggle_tree(
        tmp_path / "other", splits=("train", "test"), per_class=(10, 20), broken=False
    )
    return canonical_source(str(trained)), canonical_source(str(other))


def test_own_runs_first_else_the_best_that_share_the_labels(sources):
    kermany, other = sources
    identity = dataset_identity(kermany)
    assert identity.label_space == CHEST_XRAY
    single = stored(f"{1:016x}", kermany, identity, "torch", auc=0.99)  # one seed, best AUC
    group = [
        stored(f"{i + 2:016x}", kermany, identity, f, seed=s, auc=0.95, epochs=5)
        for i, (f, s) in enumerate([(f, s) for f in ("torch", "keras") for s in (0, 1, 2)])
    ]
    demo = dataset_identity("synthetic")
    assert demo.label_space == SYNTHETIC
    stored(f"{20:016x}", "synthetic", demo, "torch", auc=0.999)

    own = runs_to_show(kermany, "torch")
    assert own.own and [r.id for r in own.runs][:3] == [r.id for r in group[:3]]
    assert single.id in [r.id for r in own.runs]

    borrowed = runs_to_show(other, "torch")
    assert not borrowed.own and "kermany" in borrowed.reason
    # the seed group trained in both frameworks ranks above one better single run
    assert [r.id for r in borrowed.runs] == [r.id for r in group[:3]] + [single.id]
    assert f"{20:016x}" not in [r.id for r in borrowed.runs]  # synthetic labels mean another thing

    assert [r.id for r in runs_to_show("synthetic").runs] == [f"{20:016x}"]


def test_one_frameworks_list_keeps_the_order_of_both(sources):
    """A page's default (the first of both frameworks' ranking that is of its framework) and the
    warm-up's (the first of that framework's list) must be the same run: a group trained in both
    frameworks outranks a larger group trained in one, in each framework's list too."""
    kermany, _ = sources
    identity = dataset_identity(kermany)
    alone = [
        stored(f"{i + 1:016x}", kermany, identity, "keras", seed=i, auc=0.99) for i in range(3)
    ]
    both = [
        stored(f"{i + 10:016x}", kermany, identity, f, seed=0, auc=0.9, epochs=5)
        for i, f in enumerate(("keras", "torch"))
    ]
    ranked = [r.id for r in runs_to_show(kermany).runs]
    for framework in ("keras", "torch"):
        runs = [r.id for r in runs_to_show(kermany, framework).runs]
        assert runs == [r for r in ranked if r in runs]
    assert runs_to_show(kermany, "keras").runs[0].id == both[0].id
    assert {r.id for r in runs_to_show(kermany, "keras").runs} == {r.id for r in alone + both[:1]}


def test_nothing_to_show_says_why_in_one_sentence(sources):
    _, other = sources
    shown = runs_to_show(other)
    assert shown.runs == [] and not shown.own
    assert shown.reason.count(".") == 0 and "labels" in shown.reason


def test_the_partner_is_the_other_framework_trained_alike(sources):
    kermany, _ = sources
    identity = dataset_identity(kermany)
    keras = stored(f"{1:016x}", kermany, identity, "keras", seed=1, epochs=5)
    other_settings = stored(f"{2:016x}", kermany, identity, "torch", seed=1)
    alike = stored(f"{3:016x}", kermany, identity, "torch", seed=1, epochs=5)
    assert partner(keras, [other_settings, alike, keras]).id == alike.id
    assert partner(keras, [other_settings, keras]).id == other_settings.id
    assert partner(keras, [keras]) is None


def test_provenance_says_trained_on_what_and_scored_on_which_split(sources):
    kermany, other = sources
    run = stored(f"{1:016x}", kermany, dataset_identity(kermany), "torch")
    elsewhere = provenance(run.id, other, "test")
    assert elsewhere.label == "trained on kermany · scored on other's test split"
    assert elsewhere.cross_source and not elsewhere.carved  # other/ has a test folder of its own
    home = provenance(run.id, kermany, "test")
    assert home.label == "trained and scored on kermany (test split)"
    assert home.carved and not home.cross_source  # kermany/ has no test folder: carved, flatters
    assert home.trained_where.endswith("machine not recorded")
    write_json(run.path / "status.json", {**run.status().to_dict(), "machine": machine_id()})
    assert provenance(run.id, kermany, "test").trained_where.endswith("this machine")


def test_a_framework_gap_within_the_seed_spread_or_across_machines_is_not_ranked():
    values = {"keras": 0.970, "torch": 0.965}
    row = FrameworkRow("test AUC", values, "f", "higher", 3)
    seeds = {"keras": 3, "torch": 3}
    assert better_framework(row) == "keras"
    wide = SeedSpread({"keras": 0.006, "torch": 0.002}, seeds)
    assert better_framework(replace(row, over_seeds=wide)) is None
    narrow = SeedSpread({"keras": 0.001, "torch": 0.002}, seeds)
    assert better_framework(replace(row, over_seeds=narrow)) == "keras"
    means = {"keras": 40.0, "torch": 80.0}
    one_seed = SpeedOverSeeds({"keras": None, "torch": None}, {"keras": 1, "torch": 1}, means)
    speed = FrameworkRow("seconds per epoch", means, "f", "lower", 1, one_seed, ranked=True)
    assert better_framework(speed) == "keras"
    assert better_framework(replace(speed, ranked=False)) is None


def test_a_pages_default_is_the_first_its_source_ranks_else_the_first_given(sources):
    from pipeline.runs.choice import default_run

    kermany, other = sources
    identity = dataset_identity(kermany)
    worse = stored(f"{30:016x}", kermany, identity, "torch", auc=0.8)
    better = stored(f"{31:016x}", kermany, identity, "torch", auc=0.95)
    demo = stored(f"{32:016x}", "synthetic", dataset_identity("synthetic"), "torch")

    assert default_run([worse, better, demo], kermany).id == better.id  # ranked first
    assert default_run([worse, better, demo], other).id == better.id  # shares the labels
    assert default_run([worse, demo], None).id == worse.id  # no source: the first given
    # none of the given runs is ranked for this source (synthetic labels): the first given
    assert default_run([demo, worse], "synthetic").id == demo.id
    assert default_run([worse], "synthetic").id == worse.id
