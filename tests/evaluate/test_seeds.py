"""Seed groups and the within-noise verdict (pipeline/evaluate/seeds.py); the split-basis wording
(pipeline/evaluate/basis.py). Runs are real folders of the run store, written as training does."""

import pytest

from pipeline.data import open_source
from pipeline.evaluate.basis import CARVED, GENERATED, OWN, source_basis, split_basis
from pipeline.evaluate.seeds import compare_spreads, group_of, partner, seed_groups, spread
from pipeline.runs import Run, write_json
from pipeline.training.config import TrainConfig
from tests.helpers.imagetree import kaggle_tree


def stored_run(run_id: str, fingerprint: str = "f1", **settings) -> Run:
    config = TrainConfig.from_preset("quick", **settings)
    run = Run(run_id)
    run.path.mkdir(parents=True, exist_ok=True)
    write_json(run.path / "config.json", config.to_dict())
    write_json(run.path / "data.json", {"fingerprint": fingerprint})
    run.set_status("finished")
    return run


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("PNEUMOLAB_CACHE", str(tmp_path))
    runs = [
        stored_run(f"{i:016x}", framework="keras", seed=seed)
        for i, seed in ((1, 2), (2, 0), (3, 1))
    ]
    runs += [stored_run(f"{i:016x}", framework="torch", seed=seed) for i, seed in ((4, 0), (5, 1))]
    runs.append(stored_run(f"{6:016x}", framework="torch", seed=0, epochs=5))  # other settings
    runs.append(stored_run(f"{7:016x}", framework="keras", seed=0, fingerprint="f2"))  # other data
    return runs


def test_runs_that_differ_only_in_the_seed_form_one_group_sorted_by_seed(store):
    groups = seed_groups(store)
    assert [g.size for g in groups] == [3, 2, 1, 1]
    keras = groups[0]
    assert keras.framework == "keras" and keras.seeds == (0, 1, 2)
    assert keras.run_ids == (f"{2:016x}", f"{3:016x}", f"{1:016x}")
    assert group_of(f"{5:016x}", groups).seeds == (0, 1)
    assert partner(keras, groups) is groups[1]  # same settings, other framework
    lonely = group_of(f"{6:016x}", groups)
    assert lonely.size == 1 and partner(lonely, groups) is None
    assert partner(group_of(f"{7:016x}", groups), groups) is None  # other data: no partner
    assert keras.describe() == "Keras, 3 seeds (0, 1, 2)"


def test_spread_is_the_sample_standard_deviation_and_one_seed_has_none():
    s = spread([0.91, 0.93, 0.95])
    assert s.mean == pytest.approx(0.93) and s.sd == pytest.approx(0.02) and s.n == 3
    assert s.text() == "0.930 ± 0.020 (3 seeds)"
    assert spread([0.9]).sd is None and "spread unknown" in spread([0.9]).text()
    with pytest.raises(ValueError):
        spread([])


def test_a_difference_within_the_seed_spread_is_called_noise_and_one_beyond_it_is_not():
    within = compare_spreads("accuracy", spread([0.90, 0.93, 0.96]), spread([0.89, 0.91, 0.93]))
    assert within.within_noise is True and within.noise == pytest.approx(0.03)
    assert "within the seed-to-seed spread" in within.sentence
    beyond = compare_spreads("accuracy", spread([0.92, 0.93, 0.94]), spread([0.86, 0.87, 0.88]))
    assert beyond.within_noise is False and "Keras is ahead by 0.060" in beyond.sentence
    assert spread([0.92, 0.94]).short() == "0.930 ± 0.014" and spread([0.9]).short() == "0.900"
    unknown = compare_spreads("AUC", spread([0.96]), spread([0.95, 0.94]))
    assert unknown.within_noise is None and "cannot be told from noise" in unknown.sentence


def test_the_split_basis_names_a_carved_test_split_and_a_folder_of_its_own(tmp_path):
    own = kaggle_tree(tmp_path / "own", splits=("train", "val", "test"), broken=False)
    carved = kaggle_tree(tmp_path / "carved", splits=("train",), broken=False)
    basis = split_basis(open_source(str(carved)).scan(), "test")
    assert basis.kind == CARVED and basis.flatters
    assert (
        "carved out of the same pool" in basis.sentence and "usually score lower" in basis.sentence
    )
    basis = split_basis(open_source(str(own)).scan(), "test")
    assert basis.kind == OWN and not basis.flatters and "used as it is" in basis.sentence
    assert source_basis("synthetic").kind == GENERATED
