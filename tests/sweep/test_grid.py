"""The sweep's grid: flags and files expand to the cells asked for, bad grids are refused with a
message, and the issue-11 ablation is one grid whose configs (so run ids) are those it trained."""

import argparse
import json

import pytest

from benchmarks import generalisation_ablation
from pipeline.augment.spec import AugmentSpec
from pipeline.sweep.grid import (
    GridError,
    expand,
    grid_from_flags,
    grid_from_json,
    parse_assignment,
    parse_setting,
)
from pipeline.training.config import TrainConfig


def test_flags_expand_to_every_preset_combination_framework_and_seed():
    grid = grid_from_flags(
        "synthetic",
        ("torch", "keras"),
        ("full",),
        [("img_size", [160, 224]), ("epochs", [16])],
        (0, 1, 2),
    )
    cells = expand(grid)
    assert [v.name for v in grid.variants] == [
        "full img_size=160 epochs=16",
        "full img_size=224 epochs=16",
    ]
    assert len(cells) == 2 * 2 * 3
    assert {(c.variant, c.framework, c.seed) for c in cells} == {
        (v.name, f, s) for v in grid.variants for f in ("torch", "keras") for s in (0, 1, 2)
    }
    first = cells[0]
    assert first.config == TrainConfig.from_preset(
        "full", framework=first.framework, source="synthetic", seed=0, img_size=160, epochs=16
    )
    assert grid.baseline_of("full img_size=224 epochs=16") == "full img_size=160 epochs=16"


def test_a_preset_per_framework_resolves_for_each_and_augment_fields_replace_one_field():
    grid = grid_from_flags(
        "synthetic", ("torch", "keras"), ("talk",), [("augment.rotation", [5, 10])], (0,)
    )
    configs = {(c.variant, c.framework): c.config for c in expand(grid)}
    keras = configs[("talk augment.rotation=5", "keras")]
    torch = configs[("talk augment.rotation=5", "torch")]
    assert keras.augment.rotation == 5.0 and torch.augment.rotation == 5.0
    assert (
        keras.class_balancing == TrainConfig.from_preset("talk", framework="keras").class_balancing
    )
    assert (
        torch.class_balancing == TrainConfig.from_preset("talk", framework="torch").class_balancing
    )
    assert keras.augment.zoom == AugmentSpec.preset("talk").zoom  # the rest of the spec stays


def test_a_spec_file_is_a_value_of_augment(tmp_path):
    spec = AugmentSpec.preset("robust").replace(rotation=12)
    (tmp_path / "best.json").write_text(spec.to_json())
    grid = grid_from_flags(
        "synthetic",
        ("torch",),
        ("full",),
        [("augment", ["robust", str(tmp_path / "best.json")])],
        (0,),
    )
    assert [c.config.augment for c in expand(grid)] == [AugmentSpec.preset("robust"), spec]
    broken = grid_from_flags(
        "synthetic", ("torch",), ("full",), [("augment", [str(tmp_path / "gone.json")])], (0,)
    )
    with pytest.raises(GridError, match="cannot read the spec file"):
        expand(broken)


def test_a_grid_file_is_the_same_grid_as_its_flags():
    flags = grid_from_flags(
        "synthetic", ("torch",), ("quick",), [("epochs", [1, 2])], (0, 1), {"img_size": 32}
    )
    text = json.dumps(
        {
            "source": "synthetic",
            "frameworks": ["torch"],
            "seeds": [0, 1],
            "preset": "quick",
            "settings": {"img_size": 32},
            "variants": {
                "quick epochs=1": {"changes": {"epochs": 1}},
                "quick epochs=2": {"changes": {"epochs": 2}},
            },
        }
    )
    from_file = grid_from_json(text)
    assert [c.config for c in expand(from_file)] == [c.config for c in expand(flags)]
    assert grid_from_json(text, source="medmnist:28").source == "medmnist:28"


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: grid_from_flags("synthetic", ("jax",), ("quick",), [], (0,)), "unknown framework"),
        (lambda: grid_from_flags("synthetic", ("torch",), ("quick",), [], (0, 0)), "repeated"),
        (
            lambda: grid_from_flags("synthetic", ("torch",), ("quick",), [], (0,), baseline="x"),
            "no variant",
        ),
        (lambda: grid_from_json("[1, 2]"), "not a grid"),
        (lambda: grid_from_json('{"variants": {}}'), "not a grid"),
    ],
)
def test_a_grid_that_cannot_run_is_refused_with_what_is_wrong(make, words):
    with pytest.raises(GridError, match=words):
        make()


def test_impossible_settings_name_the_variant():
    grid = grid_from_flags("synthetic", ("torch",), ("quick",), [("img_size", [8])], (0,))
    with pytest.raises(GridError, match="quick img_size=8.*img_size"):
        expand(grid)


def test_settings_read_numbers_and_words():
    assert parse_setting("img_size=160,224") == ("img_size", [160, 224])
    assert parse_setting("augment=talk,robust") == ("augment", ["talk", "robust"])
    assert parse_assignment("mixed_precision=false") == ("mixed_precision", False)
    for bad in ("img_size", "=3", "epochs="):
        with pytest.raises(ValueError, match="SETTING=VALUE"):
            parse_setting(bad)
    with pytest.raises(ValueError, match="one value"):
        parse_assignment("epochs=1,2")


def test_the_ablation_is_one_grid_with_longer_and_the_keras_half():
    args = argparse.Namespace(
        source="synthetic",
        img_size=96,
        epochs=6,
        seeds=[0, 1],
        frameworks=["torch", "keras"],
        variants=list(generalisation_ablation.VARIANTS),
    )
    grid = generalisation_ablation.grid(args)
    cells = {(c.variant, c.framework, c.seed): c.config for c in expand(grid)}
    assert len(cells) == len(generalisation_ablation.VARIANTS) * 2 * 2
    longer = cells[("longer", "keras", 1)]
    assert longer == TrainConfig().replace(
        framework="keras",
        source="synthetic",
        img_size=96,
        epochs=12,
        seed=1,
        checkpoint="last",
        early_stopping_patience=0,
    )
    assert cells[("talk", "torch", 0)] == TrainConfig().replace(
        source="synthetic", img_size=96, epochs=6, seed=0
    )  # the runs the ablation trained before keep their ids
    assert grid.baseline_of("ema") == "last_epoch" and grid.baseline_of("mixup") == "talk"
