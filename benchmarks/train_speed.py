"""Training speed of the talk's CNN in each framework, in images per second.

    python -m benchmarks.train_speed                        # 150 px, both frameworks, real data
    python -m benchmarks.train_speed --size 64 --steps 30 --frameworks torch
    python -m benchmarks.train_speed --ablations --json     # and what each speed setting gives
    python -m benchmarks.train_speed --size 64 --setting mixup_alpha=0.2   # an ingredient's cost

For each framework, in a fresh process (so that thread settings and imports do not leak):

- ``in_memory``: the engine's training step on batches already in memory as float tensors
  (no augmentation, no batch building): the limit for this model on this machine;
- ``pipeline``: the engine itself (``pipeline.training.train``) on the real training images,
  the configured augmentation included, timed between its per-step cancellation checks and
  stopped after ``--steps`` measured steps;
- ``ratio``: pipeline / in_memory (the data pipeline should cost at most 20 %).

``--ablations`` also times the in-memory step with each speed setting turned back: torch
without channels-last, with spinning OpenMP threads, with the talk's Conv-ReLU-BN-Pool block
order, with ``torch.compile``; Keras with XLA (``jit_compile=True``) and with the talk's order.
The machine's load average is printed next to the figures: other processes on the same cores
lower every figure here, so compare figures taken together.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = str(ROOT.parent / "shared" / "data" / "chest_xray")
WARMUP_STEPS = 3


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--frameworks", default="torch,keras")
    parser.add_argument("--size", type=int, default=150)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument(
        "--steps", type=int, default=20, help="measured steps per figure (after warm-up)"
    )
    parser.add_argument("--source", default=DEFAULT_SOURCE)
    parser.add_argument(
        "--augment", default="talk", help="augmentation preset of the pipeline figure"
    )
    parser.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="a TrainConfig field for the pipeline figure (JSON value), e.g. ema_decay=0.99",
    )
    parser.add_argument("--ablations", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--child", help=argparse.SUPPRESS
    )  # "framework:figure[:variant]", run in a subprocess
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args)))
        return 0

    figures = {
        "size": args.size,
        "batch_size": args.batch_size,
        "steps": args.steps,
        "settings": settings_of(args),
        "cpu_cores": os.cpu_count(),
        "load_before": os.getloadavg()[0],
    }
    for framework in args.frameworks.split(","):
        row = {
            "in_memory": run_child(args, f"{framework}:in_memory"),
            "pipeline": run_child(args, f"{framework}:pipeline"),
        }
        row["ratio"] = round(row["pipeline"]["images_per_s"] / row["in_memory"]["images_per_s"], 3)
        if args.ablations:
            for variant in ABLATIONS[framework]:
                row[f"in_memory {variant}"] = run_child(args, f"{framework}:in_memory:{variant}")
        figures[framework] = row
        if not args.json:
            print(_line(framework, row), flush=True)
    figures["load_after"] = os.getloadavg()[0]
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(
            f"load average (1 min): {figures['load_before']:.1f} before, {figures['load_after']:.1f} after, "
            f"on {figures['cpu_cores']} cores"
        )
    return 0


ABLATIONS = {
    "torch": ["channels_first", "spinning_threads", "talk_block_order", "torch_compile"],
    "keras": ["xla", "talk_block_order"],
}


def settings_of(args) -> dict:
    """``--setting field=value`` pairs; weight averaging keeps the last weights, so it brings
    ``checkpoint="last"`` along."""
    settings = {}
    for item in args.setting:
        field, _, value = item.partition("=")
        settings[field] = json.loads(value)
    if settings.get("ema_decay"):
        settings.setdefault("checkpoint", "last")
    return settings


def run_child(args, what: str) -> dict:
    env = dict(os.environ)
    if what.endswith(":spinning_threads"):
        env["OMP_WAIT_POLICY"] = "ACTIVE"
    command = [
        sys.executable,
        __file__,
        "--child",
        what,
        "--size",
        str(args.size),
        "--batch-size",
        str(args.batch_size),
        "--steps",
        str(args.steps),
        "--source",
        args.source,
        "--augment",
        args.augment,
        *(f"--setting={item}" for item in args.setting),
    ]
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
    if done.returncode != 0:
        return {
            "error": done.stderr.strip().splitlines()[-1]
            if done.stderr.strip()
            else f"exit {done.returncode}"
        }
    return json.loads(done.stdout.strip().splitlines()[-1])


def _line(framework: str, row: dict) -> str:
    parts = [f"{framework:5s}"]
    for name, figure in row.items():
        if isinstance(figure, dict):
            if "error" in figure:
                parts.append(f"{name}: failed ({figure['error']})")
            else:
                parts.append(
                    f"{name}: {figure['images_per_s']} images/s ({figure['images_per_cpu_s']} per CPU-s)"
                )
        else:
            parts.append(f"{name}: {figure}")
    return " | ".join(parts)


# ---- in the child process ----


def child(args) -> dict:
    framework, figure, *variant = args.child.split(":")
    variant = variant[0] if variant else ""
    if figure == "pipeline":
        return pipeline_figure(framework, args)
    if framework == "torch":
        return torch_in_memory(args, variant)
    return keras_in_memory(args, variant)


def _now() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _timed(step_times: list[tuple[float, float]], batch_size: int, steps: int) -> dict:
    """images/s over the last ``steps`` intervals between step starts, in wall-clock time and
    per CPU-second of this process (all its threads): the second is what other processes on
    the same cores take away least from."""
    measured = step_times[-(steps + 1) :]
    seconds = measured[-1][0] - measured[0][0]
    cpu_seconds = measured[-1][1] - measured[0][1]
    images = batch_size * (len(measured) - 1)
    return {
        "images_per_s": round(images / seconds, 1),
        "images_per_cpu_s": round(images / cpu_seconds, 1),
        "seconds_per_step": round(seconds / (len(measured) - 1), 4),
        "load": round(os.getloadavg()[0], 1),
    }


def torch_in_memory(args, variant: str) -> dict:
    from pipeline.frameworks import import_torch

    torch = import_torch()
    from models.torch_cnn import PneumoniaCNN

    model = (
        _talk_order_torch(args.size) if variant == "talk_block_order" else PneumoniaCNN(args.size)
    )
    layout = torch.contiguous_format if variant == "channels_first" else torch.channels_last
    model = model.to(memory_format=layout).train()
    forward = torch.compile(model) if variant == "torch_compile" else model
    optimizer = torch.optim.Adam(model.parameters(), 1e-3, eps=1e-7)
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(args.batch_size, 1, args.size, args.size, generator=generator).contiguous(
        memory_format=layout
    )
    y = torch.randint(0, 2, (args.batch_size,), generator=generator).float()
    starts = []
    for _ in range(WARMUP_STEPS + args.steps + 1):
        starts.append(_now())
        optimizer.zero_grad(set_to_none=True)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(forward(x).squeeze(1), y)
        loss.backward()
        optimizer.step()
        loss.item()
    return _timed(starts, args.batch_size, args.steps)


def _talk_order_torch(size: int):
    """The same layers in the order Conv -> ReLU -> BatchNorm -> MaxPool, for comparison only."""
    from collections import OrderedDict

    from torch import nn

    from models import BASE_FILTERS, BATCH_NORM_BLOCKS, feature_size

    layers, channels = OrderedDict(), 1
    for block, filters in enumerate(BASE_FILTERS, start=1):
        layers[f"conv{block}"] = nn.Conv2d(channels, filters, 3, padding="same")
        layers[f"relu{block}"] = nn.ReLU(inplace=True)
        if block in BATCH_NORM_BLOCKS:
            layers[f"bn{block}"] = nn.BatchNorm2d(filters, eps=1e-3)
        layers[f"pool{block}"] = nn.MaxPool2d(2)
        channels = filters
    layers["head"] = nn.Sequential(
        nn.Dropout(0.2),
        nn.Flatten(),
        nn.Linear(channels * feature_size(size) ** 2, 128),
        nn.ReLU(),
        nn.Dropout(0.2),
        nn.Linear(128, 1),
    )
    return nn.Sequential(layers)


def keras_in_memory(args, variant: str) -> dict:
    import numpy as np

    from pipeline.frameworks import import_keras

    keras = import_keras()
    from models.keras_cnn import build_keras_cnn

    model = (
        _talk_order_keras(keras, args.size)
        if variant == "talk_block_order"
        else build_keras_cnn(args.size)
    )
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.BinaryCrossentropy(),
        metrics=[
            keras.metrics.BinaryAccuracy(name="accuracy"),
            keras.metrics.AUC(num_thresholds=1000),
        ],
        jit_compile=variant == "xla",
    )
    import tensorflow as tf

    rng = np.random.default_rng(0)
    count = args.batch_size * (WARMUP_STEPS + args.steps + 1)
    x = rng.random((count, args.size, args.size, 1), dtype=np.float32)
    y = rng.integers(0, 2, count).astype(np.float32)
    # Batches as tensors already (a NumPy array given to fit is sliced and converted per step).
    batches = tf.data.Dataset.from_tensor_slices((x, y)).batch(args.batch_size).prefetch(2)
    starts = []
    timer = keras.callbacks.LambdaCallback(
        on_train_batch_begin=lambda batch, logs: starts.append(_now())
    )
    model.fit(batches, epochs=1, verbose=0, callbacks=[timer])
    return _timed(starts, args.batch_size, args.steps)


def _talk_order_keras(keras, size: int):
    from models import BASE_FILTERS, BATCH_NORM_BLOCKS

    layers = keras.layers
    model = keras.Sequential([keras.Input((size, size, 1))])
    for block, filters in enumerate(BASE_FILTERS, start=1):
        model.add(layers.Conv2D(filters, 3, padding="same", activation="relu"))
        if block in BATCH_NORM_BLOCKS:
            model.add(layers.BatchNormalization(momentum=0.9, epsilon=1e-3))
        model.add(layers.MaxPool2D(2))
    for layer in (
        layers.Dropout(0.2),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.2),
        layers.Dense(1, activation="sigmoid"),
    ):
        model.add(layer)
    return model


def pipeline_figure(framework: str, args) -> dict:
    """The engine on the real data, stopped (as a cancel) after the measured steps."""
    import tempfile

    from pipeline.training import Cancelled, train
    from pipeline.training.config import TrainConfig

    config = TrainConfig(
        framework=framework,
        source=args.source,
        img_size=args.size,
        epochs=1,
        batch_size=args.batch_size,
        augment=args.augment,
        early_stopping_patience=0,
        **settings_of(args),
    )
    starts = []

    def should_stop() -> bool:
        starts.append(_now())
        return len(starts) > WARMUP_STEPS + args.steps + 1

    with tempfile.TemporaryDirectory() as workdir:
        try:
            train(config, Path(workdir), lambda event: None, should_stop)
        except Cancelled:
            pass
    return _timed(starts, args.batch_size, args.steps)


if __name__ == "__main__":
    sys.exit(main())
