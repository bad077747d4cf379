"""Training on several devices with the same engines: torch DDP and Keras MirroredStrategy.

PyTorch: start one process per device with ``torchrun``; each engine process finds its rank
in the environment torchrun sets, joins the process group (NCCL on GPUs, gloo on CPUs) and
wraps the model in DistributedDataParallel. Every rank sees its share of each global batch.

    torchrun --standalone --nproc_per_node=2 -m pipeline.training.distributed \
        --config config.json --workdir work/        # config.json with "replicas": 2

Keras: one process; ``MirroredStrategy`` copies the model onto ``replicas`` devices and splits
each global batch between them. Without GPUs the CPU is split into logical devices, which
must happen before TensorFlow runs any operation (docs/architecture.md):

    python -m pipeline.training.distributed --config config.json --workdir work/

This module's command line runs one engine in this process, without the run store (that is
``python -m pipeline.train``): it is what torchrun starts, and what the tests drive.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from pipeline import cli
from pipeline.frameworks import import_torch, torch_module
from pipeline.training.config import ConfigError


@dataclass(frozen=True)
class World:
    """This process's place among the training processes (one process: rank 0 of 1)."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0
    local_size: int = 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


# ---- PyTorch: DistributedDataParallel ----


def torch_world(replicas: int) -> World:
    """The world torchrun describes in the environment; checked against the config's replicas."""
    size = int(os.environ.get("WORLD_SIZE", "1"))
    if size != replicas:
        how = (
            f"start it with: torchrun --standalone --nproc_per_node={replicas} "
            f"-m pipeline.training.distributed ..."
            if replicas > 1
            else "set replicas to the WORLD_SIZE"
        )
        raise ConfigError(
            "replicas",
            f"the config asks for {replicas} torch process(es) but this one runs "
            f"in a world of {size}; {how}",
        )
    return World(
        int(os.environ.get("RANK", "0")),
        size,
        int(os.environ.get("LOCAL_RANK", "0")),
        int(os.environ.get("LOCAL_WORLD_SIZE", str(size))),
    )


def init_torch(world: World, device) -> None:
    """Join the process group (several processes only); share the cores between CPU ranks."""
    if world.size == 1:
        return
    torch, dist = import_torch(), torch_module("torch.distributed")
    if device.type == "cuda":
        torch.cuda.set_device(device.index)
    else:
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // world.local_size))
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo")


def shutdown_torch(world: World) -> None:
    if world.size == 1:
        return
    dist = torch_module("torch.distributed")
    if dist.is_initialized():
        dist.destroy_process_group()


def wrap_torch(model, world: World, device):
    """``model`` itself in one process, else a DistributedDataParallel around it."""
    if world.size == 1:
        return model
    return torch_module("torch.nn.parallel").DistributedDataParallel(
        model, device_ids=[device.index] if device.type == "cuda" else None
    )


def any_rank(flag: bool, world: World) -> bool:
    """True on every rank if it is true on any: all ranks stop at the same step, or none does."""
    if world.size == 1:
        return flag
    torch, dist = import_torch(), torch_module("torch.distributed")
    tensor = torch.tensor([int(flag)], device=_collective_device())
    dist.all_reduce(tensor, op=dist.ReduceOp.MAX)
    return bool(tensor.item())


def from_main(compute, world: World):
    """``compute()`` on rank 0, its (picklable) result on every rank; others wait for it."""
    if world.size == 1:
        return compute()
    dist = torch_module("torch.distributed")
    box = [compute() if world.is_main else None]
    dist.broadcast_object_list(box, src=0, device=_collective_device())
    return box[0]


def _collective_device():
    torch, dist = import_torch(), torch_module("torch.distributed")
    return (
        torch.device("cuda", torch.cuda.current_device())
        if dist.get_backend() == "nccl"
        else torch.device("cpu")
    )


# ---- Keras: MirroredStrategy ----


def keras_strategy(replicas: int, device):
    """The default strategy for one replica, else a MirroredStrategy over ``replicas`` devices:
    GPUs when the device is one, else that many logical CPUs (before any TensorFlow operation)."""
    from pipeline.frameworks import import_torch_then_tensorflow

    _, tf = import_torch_then_tensorflow()
    if replicas == 1:
        return tf.distribute.get_strategy()
    if device.type == "cuda":
        gpus = tf.config.list_logical_devices("GPU")
        if len(gpus) < replicas:
            raise ConfigError(
                "replicas", f"{replicas} replicas asked for, but TensorFlow sees {len(gpus)} GPU(s)"
            )
        return tf.distribute.MirroredStrategy([g.name for g in gpus[:replicas]])
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * replicas
        )
    except RuntimeError:
        logical = tf.config.list_logical_devices("CPU")
        if len(logical) != replicas:
            raise ConfigError(
                "replicas",
                "TensorFlow already ran in this process with another number of CPU "
                "devices; train with several replicas in a fresh process",
            ) from None
    names = [d.name for d in tf.config.list_logical_devices("CPU")]
    # NCCL, MirroredStrategy's default for reductions, is for GPUs only.
    return tf.distribute.MirroredStrategy(
        names, cross_device_ops=tf.distribute.ReductionToOneDevice()
    )


# ---- command line: one engine in this process ----


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser("pipeline.training.distributed", __doc__)
    parser.add_argument("--config", required=True, type=Path, help="a TrainConfig JSON file")
    parser.add_argument("--workdir", required=True, type=Path, help="where the weights go")
    parser.add_argument("--result", type=Path, help="write the result JSON here (rank 0)")
    args = cli.parse(parser, argv)

    from pipeline.training import train
    from pipeline.training.config import TrainConfig

    try:
        config = TrainConfig.from_json(args.config.read_text())
        outcome = train(config, args.workdir, _print_event, lambda: False)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if int(os.environ.get("RANK", "0")) == 0:
        text = json.dumps(outcome.to_dict(), indent=2)
        if args.result:
            args.result.write_text(text)
        else:
            print(text)
    return 0


def _print_event(event: dict) -> None:
    if event.get("event") == "epoch":
        print(json.dumps(event), file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
