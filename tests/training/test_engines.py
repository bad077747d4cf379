"""Training config and the two engines: real training at a tiny size, real weights on disk."""

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from pipeline.augment.spec import AugmentSpec
from pipeline.frameworks import import_keras, import_torch
from pipeline.training import Cancelled
from pipeline.training.config import PRESETS, ConfigError, TrainConfig
from pipeline.training.engines import common
from tests.helpers.configs import tiny_settings

torch = import_torch()
keras = import_keras()

# for TrainConfig() (no preset); each test sets its epochs
TINY = tiny_settings(epochs=None, width=0.5, augment="light")


# ---- config ----


def test_presets_are_valid_and_differ_where_they_should():
    for name in PRESETS:
        TrainConfig.from_preset(name).validate()
    quick, full = TrainConfig.from_preset("quick"), TrainConfig.from_preset("full")
    talk = TrainConfig.from_preset("talk")
    assert quick.img_size < full.img_size and quick.epochs < full.epochs
    # talk: each framework's pipeline as the talk shows it (tests/training/test_talk_preset.py)
    assert talk.img_size == 150 and talk.epochs == 12 and talk.checkpoint == "best"
    keras = TrainConfig.from_preset("talk", framework="keras")
    assert keras.augment == AugmentSpec.preset("talk") and talk.class_balancing == "sampler"
    assert full != talk and full.augment.contrast and full.augment.gamma
    assert TrainConfig.from_preset("quick", framework="keras", epochs=1).framework == "keras"


def test_json_round_trip_keeps_every_field():
    config = TrainConfig.from_preset(
        "full",
        framework="keras",
        source="/data/x",
        optimizer="adamw",
        weight_decay=0.01,
        augment=AugmentSpec.preset("strong"),
        replicas=2,
    )
    text = config.to_json()
    assert TrainConfig.from_json(text) == config
    assert json.loads(text)["augment"]["rotation"] == 30.0


def test_stable_hash_is_stable_across_processes_and_changes_with_any_field():
    config = TrainConfig.from_preset("quick", seed=7)
    code = (
        "from pipeline.training.config import TrainConfig; "
        "print(TrainConfig.from_preset('quick', seed=7).stable_hash())"
    )
    other_process = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert other_process.stdout.strip() == config.stable_hash()
    assert TrainConfig.from_json(config.to_json()).stable_hash() == config.stable_hash()
    assert config.replace(seed=8).stable_hash() != config.stable_hash()
    assert config.replace(augment="talk").stable_hash() != config.stable_hash()


@pytest.mark.parametrize(
    "field, value, fragment",
    [
        ("framework", "jax", "expected one of keras, torch"),
        ("source", " ", "empty"),
        ("img_size", 16, "outside the allowed range [32, 512]"),
        ("img_size", 64.0, "whole number"),
        ("epochs", 0, "outside the allowed range"),
        ("batch_size", 1, "outside the allowed range"),
        ("optimizer", "adagrad", "expected one of adam"),
        ("learning_rate", -0.1, "outside the allowed range"),
        ("learning_rate", float("nan"), "finite"),
        ("weight_decay", 0.01, "only with optimizer adamw"),
        ("lr_schedule", "linear", "expected one of constant, cosine, plateau"),
        ("early_stopping_patience", -1, "outside the allowed range"),
        ("class_balancing", "oversample", "expected one of none, class_weight, sampler"),
        ("seed", -3, "outside the allowed range"),
        ("device", "tpu", "expected one of auto, cpu, gpu"),
        ("mixed_precision", "yes", "true or false"),
        ("width", 0, "outside the allowed range"),
        ("replicas", 0, "outside the allowed range"),
    ],
)
def test_impossible_values_get_a_message_naming_the_field(field, value, fragment):
    with pytest.raises(ConfigError) as caught:
        TrainConfig.from_preset("quick", **{field: value}).validate()
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")
    assert fragment in caught.value.message


def test_batches_must_split_across_replicas():
    with pytest.raises(ConfigError, match="batch_size: 33 does not split evenly across 2 replicas"):
        TrainConfig(batch_size=33, replicas=2).validate()


def test_bad_json_and_bad_augmentation_name_the_field():
    with pytest.raises(ConfigError, match="^learning_rat: unknown setting"):
        TrainConfig.from_json('{"learning_rat": 0.1}')
    with pytest.raises(ConfigError, match=r"^augment\.rotation: 500 is outside"):
        TrainConfig.from_json('{"augment": {"rotation": 500}}')
    with pytest.raises(ConfigError, match="^augment.preset: unknown preset"):
        TrainConfig(augment="wild")
    with pytest.raises(ConfigError, match="^json: not valid JSON"):
        TrainConfig.from_json("{framework: torch}")
    with pytest.raises(ConfigError, match="^preset: unknown preset"):
        TrainConfig.from_preset("huge")


# ---- what both engines share ----


def test_epoch_order_shuffles_balances_and_shards():
    labels = np.array([0] * 25 + [1] * 75)
    config = TrainConfig(batch_size=10, class_balancing="sampler", seed=3)
    drawn = common.EpochOrder(labels, config).epoch(0)
    assert drawn.shape == (10, 10)
    assert 0.35 < labels[drawn].mean() < 0.65  # about half PNEUMONIA instead of three quarters
    shuffled = common.EpochOrder(labels, config.replace(class_balancing="none"))
    assert sorted(shuffled.epoch(0).ravel()) == list(range(100))
    assert not np.array_equal(shuffled.epoch(0), shuffled.epoch(1))
    halves = [
        common.EpochOrder(labels, config.replace(class_balancing="none"), rank, 2).epoch(4)
        for rank in (0, 1)
    ]
    assert halves[0].shape == (10, 5)
    assert np.array_equal(np.concatenate(halves, axis=1), shuffled.epoch(4))


def test_schedule_and_early_stopping():
    cosine = common.Schedule(
        TrainConfig(learning_rate=0.1, epochs=2, lr_schedule="cosine"), steps_per_epoch=5
    )
    assert cosine.rate(0, 0) == pytest.approx(0.1)
    assert cosine.rate(1, 0) == pytest.approx(0.05)
    assert cosine.rate(1, 4) < 0.003
    plateau = common.Schedule(
        TrainConfig(learning_rate=0.1, lr_schedule="plateau"), steps_per_epoch=5
    )
    for loss in (0.5, 0.6, 0.55):
        plateau.end_epoch(loss)
    assert plateau.rate(3, 0) == pytest.approx(0.05)

    stopping = common.EarlyStopping(patience=2)
    improved = [
        stopping.update(epoch, auc) for epoch, auc in enumerate([0.7, 0.8, 0.79, 0.8], start=1)
    ]
    assert improved == [True, True, False, False]
    assert stopping.should_stop and stopping.best_epoch == 2
    assert not common.EarlyStopping(patience=0).should_stop


def test_binary_metrics_and_the_threshold_rule():
    labels = np.array([0, 0, 0, 1, 1, 1])
    probabilities = np.array([0.1, 0.2, 0.7, 0.6, 0.8, 0.9])
    metrics = common.binary_metrics(labels, probabilities)
    assert metrics.auc == pytest.approx(8 / 9)
    assert metrics.accuracy == pytest.approx(5 / 6)
    assert metrics.loss == pytest.approx(-np.mean(np.log([0.9, 0.8, 0.3, 0.6, 0.8, 0.9])))
    assert not hasattr(metrics, "threshold")  # epochs report no threshold: one rule, at the end

    from pipeline.threshold import choose_threshold

    config = TrainConfig(class_balancing="class_weight")
    final = common.final_metrics(labels, probabilities, config, np.array([0, 1, 1, 1]))
    choice = choose_threshold(labels, probabilities, "class_weight", 0.75)
    assert final.threshold == choice.value and final.threshold_rule == choice.rule
    assert final.threshold_interval == [choice.low, choice.high]
    assert final.threshold_choice == choice.to_dict()
    assert (final.loss, final.accuracy, final.auc) == (metrics.loss, metrics.accuracy, metrics.auc)
    called = probabilities >= choice.value
    assert final.sensitivity == pytest.approx(called[labels == 1].mean())
    assert final.specificity == pytest.approx((~called[labels == 0]).mean())
    assert final.accuracy_at_threshold == pytest.approx(np.mean(called == (labels == 1)))


@pytest.mark.parametrize("normalization", ["none", "per_sample", "per_dataset"])
def test_validation_inputs_match_what_both_augmenters_give_without_randomness(normalization):
    from pipeline.augment.keras_builder import build_image_data_generator
    from pipeline.augment.stats import DatasetStats
    from pipeline.augment.torch_builder import build_torch_transform

    images = np.random.default_rng(1).integers(0, 256, (3, 20, 20), dtype=np.uint8)
    spec = AugmentSpec(normalization=normalization)
    stats = DatasetStats(mean=0.4, std=0.2, images=3, rescale=spec.rescale)
    ours = common.eval_inputs(images, spec, stats)
    transform = build_torch_transform(spec, stats)
    theirs = torch.stack([transform(torch.from_numpy(image)[None]) for image in images])[
        :, 0
    ].numpy()
    np.testing.assert_allclose(ours, theirs, atol=1e-5)
    generator = build_image_data_generator(spec, stats)
    keras_side = np.stack(
        [generator.standardize(image[..., None].astype(np.float32))[..., 0] for image in images]
    )
    np.testing.assert_allclose(ours, keras_side, atol=1e-5)


# ---- the engines, really training ----

STEP_KEYS = {"event", "epoch", "epochs", "step", "steps"}
EPOCH_KEYS = {
    "event",
    "epoch",
    "epochs",
    "train_loss",
    "train_accuracy",
    "train_auc",
    "val_loss",
    "val_accuracy",
    "val_auc",
    "seconds",
    "images_per_s",
}


@pytest.mark.slow
@pytest.mark.parametrize("framework, balancing", [("torch", "sampler"), ("keras", "class_weight")])
def test_engine_trains_reports_and_writes_weights_that_reload(framework, balancing, tmp_path):
    config = TrainConfig(framework=framework, epochs=2, class_balancing=balancing, **TINY)
    events = []
    outcome = common_engine(framework).train(config, tmp_path, events.append, lambda: False)

    steps = [e for e in events if e["event"] == "step"]
    epochs = [e for e in events if e["event"] == "epoch"]
    assert steps and all(set(e) >= STEP_KEYS and e["steps"] == 1200 // 32 for e in steps)
    assert [e["epoch"] for e in epochs] == [1, 2] and all(set(e) >= EPOCH_KEYS for e in epochs)
    assert all(
        0 <= e["val_auc"] <= 1 and e["images_per_s"] > 0 and math.isfinite(e["train_loss"])
        for e in epochs
    )

    assert [row.to_dict() for row in outcome.history] == [
        {k: v for k, v in e.items() if k != "event"} for e in epochs
    ]
    assert set(outcome.timings.to_dict()) >= {"seconds_per_epoch", "images_per_s", "total_seconds"}
    assert outcome.device.type == "cpu" and outcome.device.name
    assert outcome.parameters == (
        _torch_parameters(config) if framework == "torch" else _keras_parameters(config)
    )
    val = outcome.val.to_dict()
    assert val["images"] == 200 and 0 <= val["threshold"] <= 1
    low, high = val["threshold_interval"]
    assert val["threshold_rule"] and 0 <= low <= high <= 1
    assert val["threshold_choice"]["value"] == val["threshold"]

    # The weights kept are those of the best validation epoch, and they reload to the same metrics.
    best = outcome.best_epoch
    assert best == 1 + int(np.argmax([e["val_auc"] for e in epochs]))
    assert val["auc"] == pytest.approx(epochs[best - 1]["val_auc"], abs=1e-9)
    assert sorted(p.name for p in tmp_path.iterdir()) == [outcome.weights]
    reloaded = _reload_and_predict(framework, tmp_path / outcome.weights, config)
    assert common.binary_metrics(reloaded[1], reloaded[0]).auc == pytest.approx(
        val["auc"], abs=1e-6
    )


@pytest.mark.slow
@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_engine_stops_when_asked_and_writes_nothing(framework, tmp_path):
    asked = []

    def should_stop():
        asked.append(1)
        return len(asked) > 3

    with pytest.raises(Cancelled, match="cancelled in epoch 1, step 4"):
        common_engine(framework).train(
            TrainConfig(framework=framework, epochs=1, **TINY),
            tmp_path,
            lambda event: None,
            should_stop,
        )
    assert not any(tmp_path.iterdir())


def test_engine_refuses_a_gpu_it_does_not_have(tmp_path):
    if torch.cuda.is_available() or torch.backends.mps.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(ConfigError, match="^device: no GPU that torch can use"):
        common_engine("torch").train(
            TrainConfig(device="gpu", **TINY), tmp_path, print, lambda: False
        )


@pytest.mark.slow
@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_last_checkpoint_and_label_smoothing(framework, tmp_path):
    """checkpoint "last" keeps the final epoch's weights; label smoothing pulls the
    probabilities away from 0 and 1 (targets 0.05 and 0.95 with s = 0.1)."""
    config = TrainConfig(
        framework=framework,
        epochs=2,
        checkpoint="last",
        label_smoothing=0.1,
        **{**TINY, "early_stopping_patience": 0},
    )
    outcome = common_engine(framework).train(config, tmp_path, lambda e: None, lambda: False)
    assert outcome.best_epoch == 2
    assert outcome.val.auc == pytest.approx(outcome.history[-1].val_auc, abs=1e-9)


def test_later_settings_keep_the_ids_of_runs_trained_before_them():
    """mixup and weight averaging enter the run id only when switched on."""
    from pipeline.training.config import LATER_SETTINGS

    full = TrainConfig.from_preset("full")
    values = {k: v for k, v in full.to_dict().items() if k not in LATER_SETTINGS}
    canonical = json.dumps(values, sort_keys=True, separators=(",", ":"))
    import hashlib

    assert full.stable_hash() == hashlib.sha256(canonical.encode()).hexdigest()[:16]
    assert full.replace(mixup_alpha=0.2).stable_hash() != full.stable_hash()
    assert full.replace(ema_decay=0.99).stable_hash() != full.stable_hash()
    with pytest.raises(ConfigError, match="^ema_decay: .*checkpoint to 'last'"):
        TrainConfig(ema_decay=0.99).validate()  # talk keeps its best epoch
    with pytest.raises(ConfigError, match="^mixup_alpha:"):
        full.replace(mixup_alpha=-1.0).validate()


def test_mixup_draws_the_same_blend_for_both_engines():
    labels = np.array([0, 1, 1, 1, 0, 1, 1, 1])
    config = TrainConfig(mixup_alpha=0.4, seed=3)
    targets = common.Targets(labels, config)  # class weights "balanced": 2.0 and 2/3
    indices = np.arange(8)
    first, again = targets.step(1, 5, indices), targets.step(1, 5, indices)
    assert first.mix == again.mix and np.array_equal(first.pairing, again.pairing)
    assert targets.step(1, 6, indices).mix != first.mix  # a fresh draw each step
    y = labels.astype(np.float32)
    weight = np.where(labels == 0, 2.0, 2 / 3)
    mixed = first.mix * y + (1 - first.mix) * y[first.pairing]
    assert np.allclose(first.y, mixed)
    assert np.allclose(first.weight, first.mix * weight + (1 - first.mix) * weight[first.pairing])
    x = np.random.default_rng(0).random((8, 4, 4), dtype=np.float32)
    blended = first.blend(x)
    assert np.allclose(blended[2], first.mix * x[2] + (1 - first.mix) * x[first.pairing[2]])
    assert np.allclose(first.blend(torch.from_numpy(x)).numpy(), blended)  # torch alike
    unweighted = config.replace(mixup_alpha=0.0, class_balancing="none")
    plain = common.Targets(labels, unweighted).step(0, 0, indices)
    assert plain.blend(x) is x and np.array_equal(plain.y, y) and (plain.weight == 1).all()


def test_torch_weight_average_follows_keras_use_ema():
    """Keras: after each update avg = m avg + (1 - m) w, and avg = w after the first."""
    from pipeline.training.engines.torch_engine import _Average

    layer = torch.nn.Linear(2, 1)
    average = _Average(layer, 0.9)
    expected = None
    for value in (1.0, 3.0, -2.0):
        with torch.no_grad():
            layer.weight.fill_(value)
        average.update()
        expected = value if expected is None else 0.9 * expected + 0.1 * value
    average.finish()
    assert layer.weight.detach().numpy() == pytest.approx(np.full((1, 2), expected), abs=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_mixup_and_weight_averaging_train(framework, tmp_path):
    """Both ingredients train in both engines; the kept weights are the averaged ones, so the
    final validation differs from the last epoch's (which the live weights scored)."""
    config = TrainConfig(
        framework=framework, epochs=2, checkpoint="last", mixup_alpha=0.4, ema_decay=0.5, **TINY
    )
    outcome = common_engine(framework).train(config, tmp_path, lambda e: None, lambda: False)
    assert math.isfinite(outcome.history[-1].train_loss)
    assert outcome.val.loss != pytest.approx(outcome.history[-1].val_loss, abs=1e-9)


@pytest.mark.slow
def test_both_frameworks_learn_the_real_images(real_data, tmp_path):
    """One epoch at 48 px on the real training split: far better than chance on validation."""
    for framework in ("torch", "keras"):
        config = TrainConfig(
            framework=framework,
            source=str(real_data),
            img_size=48,
            epochs=1,
            augment="none",
            early_stopping_patience=0,
        )
        outcome = common_engine(framework).train(
            config, tmp_path / framework, lambda event: None, lambda: False
        )
        assert outcome.val.auc > 0.9, (framework, outcome.val)


# ---- helpers ----


def common_engine(framework):
    from pipeline.training import engine

    return engine(framework)


def _torch_parameters(config):
    from models.torch_cnn import PneumoniaCNN, count_parameters

    return count_parameters(PneumoniaCNN(config.img_size, 1, config.width))


def _keras_parameters(config):
    from models.keras_cnn import build_keras_cnn

    return build_keras_cnn(config.img_size, 1, config.width).count_params()


def _reload_and_predict(framework, path, config):
    from pipeline.data import load_split

    val = load_split(config.source, "val", config.img_size)
    x = common.eval_inputs(val.images, config.augment, None)
    if framework == "torch":
        from models.torch_cnn import load

        model = load(path, config.img_size, width=config.width)
        with torch.no_grad():
            probabilities = torch.sigmoid(model(torch.from_numpy(x)[:, None])).numpy()[:, 0]
    else:
        from models.keras_cnn import load

        probabilities = load(path).predict(x[..., None], verbose=0)[:, 0]
    return probabilities.astype(np.float64), val.labels
