"""Training the talk's CNN with Keras 3: ``compile`` and ``fit``, as in the keras.io examples.

Augmentation is the legacy ``ImageDataGenerator`` the spec builds (what the talk used),
applied per image inside a ``PyDataset`` that also decides which images each step sees
(shuffle or class-balanced draws, shared with the torch engine). ``fit`` runs that dataset
through ``tf.data`` with prefetching, so the next batch is augmented while this one trains.
A callback does the rest at the same points as the torch loop: learning rate per step,
cancellation and progress, validation metrics and early stopping per epoch.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from pipeline.frameworks import import_keras
from pipeline.preprocessing import Preprocessing
from pipeline.records import RunResult
from pipeline.training import devices, distributed
from pipeline.training.config import TrainConfig
from pipeline.training.engines import common

keras = import_keras()

WEIGHTS_FILE = "model.keras"
AUC_THRESHOLDS = 1000  # Keras's AUC is bucketed; 1,000 buckets are within ~1e-4 of the exact value


def train(config: TrainConfig, workdir: Path, report, should_stop) -> RunResult:
    """Train ``config``; see ``pipeline.training.train`` for the arguments and the result."""
    from pipeline.augment.keras_builder import build_image_data_generator

    started = time.monotonic()
    config.validate()
    device = devices.keras_device(config.device)  # both before TensorFlow runs anything
    strategy = distributed.keras_strategy(config.replicas, device)
    keras.utils.set_random_seed(config.seed)  # Python, NumPy (ImageDataGenerator draws) and TF
    precision = _precision(config, device)
    keras.mixed_precision.set_global_policy(precision)
    try:
        data = common.load_data(config)
        order = common.EpochOrder(data.train_labels, config)
        batches = AugmentedBatches(
            data.train_images,
            order,
            build_image_data_generator(config.augment, data.stats),
            common.Targets(data.train_labels, config),
        )
        val_x = common.eval_inputs(data.val_images, config.augment, data.stats)[..., None]
        with strategy.scope():
            model = compiled_model(config, device)
        loop = _EngineCallback(
            config,
            order.steps,
            val_x,
            data.val_labels,
            common.Progress(report, should_stop, config.epochs, order.steps),
        )
        model.fit(batches, epochs=config.epochs, callbacks=[loop], verbose=0)

        if config.checkpoint == "best":  # else the weights of the last epoch stay
            model.set_weights(loop.best_weights)
        val = common.final_metrics(
            data.val_labels, predict(model, val_x), config, data.train_labels
        )
        save(model, workdir)
        return common.result(
            loop.history,
            val,
            device.as_dict(),
            model.count_params(),
            WEIGHTS_FILE,
            loop.stopping.best_epoch if config.checkpoint == "best" else len(loop.history),
            started,
            loop.first_step,
            replicas=strategy.num_replicas_in_sync,
            mixed_precision=precision,
            inference=Preprocessing.for_training(config, data.stats, val),
        )
    finally:
        keras.mixed_precision.set_global_policy("float32")


def compiled_model(config: TrainConfig, device: devices.Device):
    """The talk's CNN, compiled with the configured optimiser, loss and metrics (inside the
    distribution strategy's scope when there is one)."""
    from models.keras_cnn import build_keras_cnn

    model = build_keras_cnn(config.img_size, 1, config.width)
    model.compile(
        optimizer=_optimizer(config),
        loss=keras.losses.BinaryCrossentropy(label_smoothing=config.label_smoothing),
        metrics=[
            keras.metrics.BinaryAccuracy(name="accuracy"),
            keras.metrics.AUC(num_thresholds=AUC_THRESHOLDS, name="auc"),
        ],
        jit_compile=device.is_gpu,  # XLA: faster on a GPU, slower on a CPU (docs/architecture.md)
    )
    return model


def save(model, workdir: Path) -> None:
    """The model's weights file, written whole or not at all (``common.save_weights``)."""
    scratch = workdir / f"unsaved-{WEIGHTS_FILE}"  # Model.save takes a .keras path, not a buffer
    workdir.mkdir(parents=True, exist_ok=True)
    model.save(scratch)
    common.save_weights(workdir / WEIGHTS_FILE, scratch.read_bytes())
    scratch.unlink()


def predict(model, x: np.ndarray, batch_size: int = common.EVAL_BATCH) -> np.ndarray:
    """Probabilities of PNEUMONIA for (N, S, S, 1) float inputs."""
    return model.predict(x, batch_size=batch_size, verbose=0)[:, 0].astype(np.float64)


class AugmentedBatches(keras.utils.PyDataset):
    """Batches of augmented images: the generator's ``random_transform`` and ``standardize``
    per image, exactly what ``ImageDataGenerator.flow`` does, on the images ``order`` picks,
    with the step's targets and loss weights (class weights, mixup: ``common.Targets``)."""

    def __init__(self, images: np.ndarray, order: common.EpochOrder, generator, targets):
        super().__init__()  # one worker: tf.data's prefetch already overlaps it with training
        self.images, self.order, self.generator = images, order, generator
        self.targets = targets
        self.epoch = 0
        self.steps = order.epoch(0)

    def __len__(self) -> int:
        return self.order.steps

    def __getitem__(self, step: int):
        indices = self.steps[step]
        x = np.empty((len(indices), *self.images.shape[1:], 1), dtype=np.float32)
        for slot, index in enumerate(indices):
            image = self.images[index][..., None].astype(np.float32)
            x[slot] = self.generator.standardize(self.generator.random_transform(image))
        targets = self.targets.step(self.epoch, step, indices)
        return targets.blend(x), targets.y, targets.weight

    def on_epoch_end(self):
        self.epoch += 1
        self.steps = self.order.epoch(self.epoch)


class _EngineCallback(keras.callbacks.Callback):
    """Learning rate, cancellation and progress per step; validation, history and early
    stopping per epoch: the same points at which the torch loop does them."""

    def __init__(
        self, config: TrainConfig, steps: int, val_x, val_labels, progress: common.Progress
    ):
        super().__init__()
        self.config, self.steps, self.val_x, self.val_labels = config, steps, val_x, val_labels
        self.progress = progress
        self.schedule = common.Schedule(config, steps)
        self.stopping = common.EarlyStopping(config.early_stopping_patience)
        self.history: list[dict] = []
        self.best_weights = None
        self.first_step = None

    def on_train_begin(self, logs=None):
        self.best_weights = self.model.get_weights()

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
        self.epoch_started = time.monotonic()

    def on_train_batch_begin(self, batch, logs=None):
        self.progress.step(self.epoch, batch)
        self.first_step = self.first_step or time.monotonic()
        self.model.optimizer.learning_rate = self.schedule.rate(self.epoch, batch)

    def on_epoch_end(self, epoch, logs=None):
        train_seconds = time.monotonic() - self.epoch_started
        train = common.BinaryMetrics(
            float(logs["loss"]), float(logs["accuracy"]), float(logs["auc"])
        )
        val = common.binary_metrics(self.val_labels, predict(self.model, self.val_x))
        self.schedule.end_epoch(val.loss)
        if self.stopping.update(epoch + 1, val.auc):
            self.best_weights = self.model.get_weights()
        record = common.epoch_record(
            epoch + 1,
            self.config.epochs,
            train,
            val,
            time.monotonic() - self.epoch_started,
            train_seconds,
            self.steps * self.config.batch_size,
            self.schedule.rate(epoch, self.steps),
        )
        self.history.append(record)
        self.progress.epoch(record)
        if self.stopping.should_stop:
            self.model.stop_training = True


def _optimizer(config: TrainConfig):
    """The configured optimiser; momentum and rho as the torch engine sets them. With
    ``ema_decay``, ``fit`` ends by putting the averaged weights in the model."""
    lr = config.learning_rate
    average = {"use_ema": True, "ema_momentum": config.ema_decay} if config.ema_decay else {}
    if config.optimizer == "adam":
        return keras.optimizers.Adam(lr, **average)
    if config.optimizer == "adamw":
        return keras.optimizers.AdamW(lr, weight_decay=config.weight_decay, **average)
    if config.optimizer == "rmsprop":
        return keras.optimizers.RMSprop(lr, rho=0.9, **average)
    return keras.optimizers.SGD(lr, momentum=0.9, **average)


def _precision(config: TrainConfig, device: devices.Device) -> str:
    """The Keras dtype policy: mixed precision on a GPU only (bfloat16 where it has it)."""
    if not (config.mixed_precision and device.is_gpu):
        return "float32"
    from pipeline.frameworks import import_torch_then_tensorflow

    _, tf = import_torch_then_tensorflow()
    gpu = tf.config.list_physical_devices("GPU")[0]
    capability = tf.config.experimental.get_device_details(gpu).get("compute_capability", (0, 0))
    return "mixed_bfloat16" if capability >= (8, 0) else "mixed_float16"
