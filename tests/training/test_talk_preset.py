"""The ``talk`` preset resolves per framework (issue 20): each framework's pipeline as the talk's
slides show it, every value marked as the slides' or the app's choice, printed by
``python -m pipeline.train --show-config`` without training or touching the run store; the
ids of every run trained before (``quick``, ``full`` and the defaults) unchanged."""

import dataclasses
import json

import pytest

from pipeline.augment.spec import FIELDS, AugmentSpec
from pipeline.commands.train import main as train_main
from pipeline.runs import all_runs
from pipeline.talk.processing_pair import WITH_PROCESSING, WITHOUT_PROCESSING, pair_configs
from pipeline.training.config import (
    APP,
    ORIGINS,
    OVERRIDDEN,
    PER_RUN,
    PER_RUN_FIELDS,
    PRESETS,
    SLIDE,
    TALK_PIPELINES,
    TALK_SETTINGS,
    TrainConfig,
    flat_settings,
    setting_origins,
    talk_settings,
)

# stable_hash of the presets that existing runs (shipped, `full` seed groups) were trained from,
# as they were before the talk preset resolved per framework: their run ids must not move
HASHES_BEFORE = {"quick": "1c36edf590146f88", "full": "31a2abb91be60e78"}
DEFAULTS_HASH = "8becc4d6005c2c6c"  # TrainConfig(): the `talk` preset before issue 20


def origin_of(framework: str) -> dict[str, tuple]:
    return {s.name: (s.value, s.origin) for s in talk_settings(framework)}


def test_each_framework_resolves_to_its_own_pipeline():
    keras = TrainConfig.from_preset("talk", framework="keras")
    torch = TrainConfig.from_preset("talk", framework="torch")
    assert (keras, torch) == (TALK_PIPELINES["keras"], TALK_PIPELINES["torch"])
    assert keras.framework == "keras" and torch.framework == "torch"
    # Keras: ImageDataGenerator, rescale only, no class balancing (none on its slides)
    assert keras.augment == AugmentSpec.preset("talk")
    assert keras.augment.normalization == "none" and keras.class_balancing == "none"
    # PyTorch: the same geometry, Normalize with the training split's statistics, the sampler
    assert torch.augment == AugmentSpec.preset("talk").replace(normalization="per_dataset")
    assert torch.class_balancing == "sampler"
    different = {
        row
        for row, value in flat_settings(keras.to_dict()).items()
        if flat_settings(torch.to_dict())[row] != value
    }
    assert different == {"framework", "augment.normalization", "class_balancing"}
    for config in (keras, torch):  # what the talk's pages have always trained at
        assert (config.img_size, config.epochs, config.batch_size) == (150, 12, 32)
        config.validate()
    # an override still applies on top, and the framework picks the pipeline
    assert TrainConfig.from_preset("talk", framework="keras", epochs=2).epochs == 2
    assert TrainConfig.from_preset("talk") == torch == PRESETS["talk"]  # torch: the default


def test_the_origins_say_which_values_are_the_slides():
    keras, torch = origin_of("keras"), origin_of("torch")
    assert keras["class_balancing"] == ("none", SLIDE)
    assert keras["augment.normalization"] == ("none", SLIDE)
    assert keras["augment.rescale"] == (1 / 255, SLIDE)
    assert torch["class_balancing"] == ("sampler", SLIDE)
    assert torch["augment.normalization"] == ("per_dataset", SLIDE)
    # the issue: the slides give neither 150 px, 12 epochs nor the augmentation's values
    for name in ("img_size", "epochs", "augment.rotation", "augment.zoom", "augment.width_shift"):
        assert keras[name][1] == torch[name][1] == APP, name
    assert {s.origin for s in TALK_SETTINGS} <= {SLIDE, APP}
    assert all(s.note for s in TALK_SETTINGS)


@pytest.mark.parametrize("framework", ["keras", "torch"])
def test_every_setting_has_exactly_one_value_and_origin_per_framework(framework):
    names = [s.name for s in talk_settings(framework)]
    assert len(names) == len(set(names))
    fields = {f.name for f in dataclasses.fields(TrainConfig)} - {"augment", *PER_RUN_FIELDS}
    assert set(names) == fields | {f"augment.{f.name}" for f in FIELDS}
    rows = setting_origins(TALK_PIPELINES[framework], "talk")
    assert [r.setting for r in rows[:-1]] == list(
        flat_settings(TALK_PIPELINES[framework].to_dict())
    )
    assert rows[-1].setting == "threshold" and rows[-1].origin == APP
    assert {r.origin for r in rows} <= set(ORIGINS) and OVERRIDDEN not in {r.origin for r in rows}
    assert {r.setting for r in rows if r.origin == PER_RUN} == set(PER_RUN_FIELDS)


def test_an_overridden_value_is_marked_as_set_for_this_run():
    rows = {
        r.setting: r
        for r in setting_origins(
            TrainConfig.from_preset("talk", framework="torch", epochs=3), "talk"
        )
    }
    assert rows["epochs"].origin == OVERRIDDEN and "12" in rows["epochs"].note
    assert rows["class_balancing"].origin == SLIDE
    quick = {r.setting: r for r in setting_origins(TrainConfig.from_preset("quick"), "quick")}
    assert quick["img_size"].origin == APP and "threshold" not in quick


def test_existing_run_ids_do_not_move():
    for name, expected in HASHES_BEFORE.items():
        for framework in ("keras", "torch"):
            config = TrainConfig.from_preset(name, framework=framework)
            assert config.replace(framework="torch").stable_hash() == expected, name
    assert TrainConfig().stable_hash() == DEFAULTS_HASH
    assert TrainConfig.from_dict(TrainConfig().to_dict()) == TrainConfig()  # old configs read alike


def test_the_nutshell_pair_is_the_talks_transform_and_sampler():
    with_processing, without = pair_configs(TrainConfig.from_preset("quick"))
    assert with_processing.augment == TALK_PIPELINES["torch"].augment == WITH_PROCESSING["augment"]
    assert with_processing.class_balancing == "sampler"
    assert without.augment == AugmentSpec() and without.class_balancing == "none"
    assert WITHOUT_PROCESSING["augment"].normalization == "none"
    assert with_processing.img_size == without.img_size == PRESETS["quick"].img_size


# ---- --show-config ----


def show(capsys, *args: str) -> dict:
    assert train_main(["--preset", "talk", "--show-config", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("framework", ["keras", "torch"])
def test_show_config_prints_the_resolved_config_and_trains_nothing(capsys, framework):
    before = [run.id for run in all_runs()]
    printed = show(capsys, "--framework", framework, "--source", "/no/such/folder")
    assert set(printed) == {"preset", "framework", "config", "config_hash", "settings"}
    config = TrainConfig.from_dict(printed["config"])
    assert config == TALK_PIPELINES[framework].replace(source="/no/such/folder")
    assert printed["config_hash"] == config.stable_hash()
    rows = [row.to_dict() for row in setting_origins(config, "talk")]
    assert printed["settings"] == json.loads(json.dumps(rows))
    assert all(set(row) == {"setting", "value", "origin", "note"} for row in printed["settings"])
    assert [run.id for run in all_runs()] == before  # no run queued, the source never read


def test_show_config_with_seeds_and_options(capsys):
    printed = show(capsys, "--framework", "keras", "--seeds", "0,1,2", "--epochs", "2")
    assert [item["config"]["seed"] for item in printed["configs"]] == [0, 1, 2]
    assert len({item["config_hash"] for item in printed["configs"]}) == 3
    epochs = next(r for r in printed["configs"][0]["settings"] if r["setting"] == "epochs")
    assert (epochs["value"], epochs["origin"]) == (2, OVERRIDDEN)
    assert train_main(["--framework", "torch", "--preset", "talk", "--show-config"]) == 0
    text = capsys.readouterr().out
    assert "talk preset, torch, seed 0" in text and "class_balancing" in text and SLIDE in text
    assert train_main(["--framework", "torch", "--show-config", "--epochs", "0"]) == 2
