"""Training the talk's CNN with PyTorch: an explicit loop, as in the torchvision references.

Speed on CPU comes from the layout, not from more code: the model and every batch are
channels-last (oneDNN's fast convolution layout here), the images stay uint8 in memory until
a batch is built, and augmentation is the ``torchvision.transforms.v2`` pipeline the spec
builds, run per image in this process (a worker process would fight the training for the two
cores). Under ``torchrun`` the same loop trains with DistributedDataParallel.
"""

from __future__ import annotations

import copy
import dataclasses
import io
import time
from pathlib import Path

import numpy as np

from pipeline.frameworks import import_torch
from pipeline.preprocessing import Preprocessing
from pipeline.records import EpochRecord, RunResult, ValMetrics
from pipeline.training import devices, distributed
from pipeline.training.config import TrainConfig
from pipeline.training.engines import common

torch = import_torch()

WEIGHTS_FILE = "model.pt"
GPU_LOADER_WORKERS = 6  # augmenting ~1,500 images/s per worker at 150 px keeps a GPU fed


def train(config: TrainConfig, workdir: Path, report, should_stop) -> RunResult:
    """Train ``config``; see ``pipeline.training.train`` for the arguments and the result."""
    from models.torch_cnn import PneumoniaCNN, count_parameters
    from pipeline.augment.torch_builder import build_torch_transform

    started = time.monotonic()
    config.validate()
    world = distributed.torch_world(config.replicas)
    device = devices.torch_device(config.device, world.local_rank)
    distributed.init_torch(world, device)
    try:
        # Each rank draws its own augmentations; DDP gives every rank rank 0's initial weights.
        torch.manual_seed(config.seed + world.rank)
        data = common.load_data(config)
        augment = build_torch_transform(config.augment, data.stats)
        order = common.EpochOrder(data.train_labels, config, world.rank, world.size)
        val_x = torch.from_numpy(
            common.eval_inputs(data.val_images, config.augment, data.stats)
        ).unsqueeze(1)
        model = PneumoniaCNN(config.img_size, 1, config.width)
        parameters = count_parameters(model)
        loop = _Loop(model, config, device, world, common.Targets(data.train_labels, config))
        progress = common.Progress(
            report if world.is_main else _ignore, should_stop, config.epochs, order.steps
        )
        history, stopping = train_epochs(loop, data, order, augment, val_x, progress)
        val = _finish(loop, data, val_x, workdir)
        return common.result(
            history,
            val,
            device.as_dict(),
            parameters,
            WEIGHTS_FILE,
            stopping.best_epoch if config.checkpoint == "best" else len(history),
            started,
            loop.first_step,
            replicas=world.size,
            mixed_precision=loop.precision.name,
            inference=Preprocessing.for_training(config, data.stats, val),
        )
    finally:
        distributed.shutdown_torch(world)


def train_epochs(
    loop: _Loop,
    data: common.Data,
    order: common.EpochOrder,
    augment,
    val_x,
    progress: common.Progress,
) -> tuple[list[EpochRecord], common.EarlyStopping]:
    """Every epoch (a training pass, then validation) until the last one or early stopping; the
    model is left with the best epoch's weights when the config keeps the best."""
    config, steps = loop.config, order.steps
    schedule = common.Schedule(config, steps)
    stopping = common.EarlyStopping(config.early_stopping_patience)
    history, best_state = [], copy.deepcopy(loop.model.state_dict())
    for epoch in range(config.epochs):
        epoch_started = time.monotonic()
        batches = _batches(data.train_images, order.epoch(epoch), augment, loop.device)
        train_metrics = loop.train_epoch(epoch, batches, schedule, progress, progress.should_stop)
        train_seconds = time.monotonic() - epoch_started
        val = loop.validate(val_x, data.val_labels)
        schedule.end_epoch(val.loss)
        if stopping.update(epoch + 1, val.auc):
            best_state = copy.deepcopy(loop.model.state_dict())
        record = common.epoch_record(
            epoch + 1,
            config.epochs,
            train_metrics,
            val,
            time.monotonic() - epoch_started,
            train_seconds,
            steps * config.batch_size,
            schedule.rate(epoch, steps),
        )
        history.append(record)
        progress.epoch(record)
        if stopping.should_stop:
            break
    if config.checkpoint == "best":  # else the weights of the last epoch stay
        loop.model.load_state_dict(best_state)
    return history, stopping


def _finish(loop: _Loop, data: common.Data, val_x, workdir: Path) -> ValMetrics:
    """The final model (with ema_decay: the averaged weights replace the last ones) saved by
    rank 0; its validation metrics, with the threshold the one rule chooses."""
    loop.average.finish()
    val = common.final_metrics(
        data.val_labels,
        distributed.from_main(lambda: predict(loop.model, val_x, loop.device), loop.world),
        loop.config,
        data.train_labels,
    )
    if loop.world.is_main:
        buffer = io.BytesIO()
        torch.save(_cpu_state(loop.model), buffer)
        common.save_weights(workdir / WEIGHTS_FILE, buffer.getvalue())
    return val


class _Loop:
    """The model on its device (channels-last, wrapped in DDP under torchrun), its optimiser
    and precision: one training epoch and one validation pass at a time."""

    def __init__(
        self, model, config: TrainConfig, device: devices.Device, world, targets: common.Targets
    ):
        self.device, self.world = _torch_device(device), world
        self.model = model.to(self.device, memory_format=torch.channels_last)
        self.trained = distributed.wrap_torch(self.model, world, device)
        self.optimizer = _optimizer(self.model, config)
        self.average = _Average(self.model, config.ema_decay)
        self.precision = _Precision(config, device)
        self.targets, self.config = targets, config
        self.smoothing = config.label_smoothing
        self.first_step = None

    def train_epoch(
        self, epoch: int, batches, schedule: common.Schedule, progress: common.Progress, should_stop
    ) -> common.BinaryMetrics:
        """One pass over ``batches``; the epoch's loss, accuracy and AUC on what it trained on."""
        self.trained.train()
        losses, probabilities, labels = [], [], []
        for step, (x, indices) in enumerate(batches):
            progress.step(epoch, step, distributed.any_rank(should_stop(), self.world))
            self.first_step = self.first_step or time.monotonic()
            targets = self.targets.step(epoch, step, np.asarray(indices))
            x = targets.blend(x.to(self.device, non_blocking=True))
            x = x.contiguous(memory_format=torch.channels_last)
            y = torch.from_numpy(targets.y).to(self.device)
            weight = torch.from_numpy(targets.weight).to(self.device)
            for group in self.optimizer.param_groups:
                group["lr"] = schedule.rate(epoch, step)
            self.optimizer.zero_grad(set_to_none=True)
            with self.precision.autocast():
                logits = self.trained(x).squeeze(1).float()
            target = y * (1.0 - self.smoothing) + 0.5 * self.smoothing  # as Keras smooths
            per_image = torch.nn.functional.binary_cross_entropy_with_logits(
                logits, target, reduction="none"
            )
            loss = (per_image * weight).mean()
            self.precision.step(loss, self.optimizer)
            self.average.update()
            losses.append(loss.item())
            probabilities.append(torch.sigmoid(logits.detach()).cpu().numpy())
            labels.append(targets.labels)
        metrics = common.binary_metrics(np.concatenate(labels), np.concatenate(probabilities))
        # the (class-weighted) loss that was minimised; under DDP: rank 0's share of the epoch
        return dataclasses.replace(metrics, loss=float(np.mean(losses)))

    def validate(self, x, labels: np.ndarray) -> common.BinaryMetrics:
        """Validation metrics, computed on rank 0 and shared so every rank decides alike."""
        return distributed.from_main(
            lambda: common.binary_metrics(labels, predict(self.model, x, self.device)), self.world
        )


def predict(model, x, device, batch_size: int = common.EVAL_BATCH) -> np.ndarray:
    """Probabilities of PNEUMONIA for (N, 1, S, S) float inputs, in eval mode."""
    model.eval()
    out = []
    with torch.inference_mode():
        for start in range(0, len(x), batch_size):
            batch = (
                x[start : start + batch_size]
                .to(device)
                .contiguous(memory_format=torch.channels_last)
            )
            out.append(torch.sigmoid(model(batch).float()).squeeze(1).cpu().numpy())
    return np.concatenate(out)


def _batches(images: np.ndarray, steps: np.ndarray, augment, device: torch.device):
    """(augmented batch, indices) for each step's indices. On the CPU in this process: the
    training already keeps every core busy. On a GPU, worker processes augment ahead of it."""
    batches = _StepBatches(images, steps, augment)
    if device.type == "cpu":
        return (batches[step] for step in range(len(batches)))
    workers = max(1, min(GPU_LOADER_WORKERS, devices.usable_cores() - 1))
    return torch.utils.data.DataLoader(
        batches, batch_size=None, num_workers=workers, pin_memory=device.type == "cuda"
    )


class _StepBatches(torch.utils.data.Dataset):
    """Step ``s`` of an epoch: uint8 (B, S, S) -> the spec's transform per image -> float (B, 1, S, S)."""

    def __init__(self, images: np.ndarray, steps: np.ndarray, augment):
        self.images, self.steps, self.augment = images, steps, augment

    def __len__(self) -> int:
        return len(self.steps)

    def __getitem__(self, step: int):
        indices = self.steps[step]
        pixels = torch.from_numpy(self.images[indices]).unsqueeze(1)
        return torch.stack([self.augment(image) for image in pixels]), indices


def _torch_device(device: devices.Device) -> torch.device:
    return (
        torch.device(device.type, device.index)
        if device.type == "cuda"
        else torch.device(device.type)
    )


def _optimizer(model, config: TrainConfig):
    """The configured optimiser, with Keras's defaults where torch's differ (epsilon, rho)."""
    params, lr = model.parameters(), config.learning_rate
    if config.optimizer == "adam":
        return torch.optim.Adam(params, lr, eps=1e-7)
    if config.optimizer == "adamw":
        return torch.optim.AdamW(params, lr, eps=1e-7, weight_decay=config.weight_decay)
    if config.optimizer == "rmsprop":
        return torch.optim.RMSprop(params, lr, alpha=0.9, eps=1e-7)
    return torch.optim.SGD(params, lr, momentum=0.9)


class _Average:
    """Keras's optimiser option ``use_ema`` in torch, step for step: after each update
    average = decay x average + (1 - decay) x weight, starting from the first step's weights.
    Trainable parameters only: BatchNorm's running statistics stay the live ones, as in Keras."""

    def __init__(self, model, decay: float):
        self.parameters = list(model.parameters()) if decay else []
        self.decay = decay
        self.average = None

    def update(self) -> None:
        if not self.parameters:
            return
        with torch.no_grad():
            if self.average is None:
                self.average = [p.detach().clone() for p in self.parameters]
                return
            torch._foreach_mul_(self.average, self.decay)
            torch._foreach_add_(self.average, self.parameters, alpha=1.0 - self.decay)

    def finish(self) -> None:
        """Put the averaged weights into the model (Keras does this at the end of ``fit``)."""
        if self.average is None:
            return
        with torch.no_grad():
            for parameter, average in zip(self.parameters, self.average):
                parameter.copy_(average)


class _Precision:
    """float32 on CPU; on a GPU with ``mixed_precision``, bfloat16 autocast where supported,
    else float16 with a gradient scaler."""

    def __init__(self, config: TrainConfig, device: devices.Device):
        self.device_type = device.type
        self.dtype = None
        if config.mixed_precision and device.type == "cuda":
            self.dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        self.scaler = torch.amp.GradScaler("cuda") if self.dtype == torch.float16 else None
        self.name = {
            None: "float32",
            torch.bfloat16: "mixed_bfloat16",
            torch.float16: "mixed_float16",
        }[self.dtype]

    def autocast(self):
        return torch.autocast(self.device_type, dtype=self.dtype, enabled=self.dtype is not None)

    def step(self, loss, optimizer) -> None:
        if self.scaler is None:
            loss.backward()
            optimizer.step()
            return
        self.scaler.scale(loss).backward()
        self.scaler.step(optimizer)
        self.scaler.update()


def _cpu_state(model) -> dict:
    return {name: value.detach().cpu() for name, value in model.state_dict().items()}


def _ignore(event: dict) -> None:
    """Progress of ranks other than 0 is not reported (rank 0 speaks for all)."""
