"""Which device each framework trains on, and its name for people.

torch looks for CUDA, then Apple's MPS; TensorFlow for CUDA GPUs (it has no MPS backend in
the pinned build). ``device="gpu"`` insists on one and says so when there is none; ``"auto"``
falls back to the CPU; ``"cpu"`` hides the GPUs. Mixed precision is only ever turned on for a
GPU: on this 2-core Xeon (AVX-512 BF16, no AMX) torch's bfloat16 autocast trained no faster
than float32 (45 against 43 images per CPU-second at 150 px), so it would cost precision for nothing.
"""

from __future__ import annotations

import platform
import sys
from dataclasses import asdict, dataclass

from pipeline.machine import cpu_name, machine_id, usable_cores
from pipeline.training.config import ConfigError

__all__ = ["cpu_name", "machine_id", "usable_cores"]


@dataclass(frozen=True)
class Device:
    type: str  # "cpu", "cuda" or "mps"
    name: str  # e.g. "NVIDIA H100 80GB HBM3" or "Intel(R) Xeon(R) Processor (2 cores)"
    index: int = 0

    @property
    def is_gpu(self) -> bool:
        return self.type in ("cuda", "mps")

    def as_dict(self) -> dict:
        return asdict(self)


def torch_device(requested: str, local_rank: int = 0) -> Device:
    """The torch device for ``requested`` ("auto", "cpu" or "gpu"); ``local_rank`` picks the GPU."""
    from pipeline.frameworks import import_torch

    torch = import_torch()

    if requested != "cpu":
        if torch.cuda.is_available():
            index = local_rank % torch.cuda.device_count()
            return Device("cuda", torch.cuda.get_device_name(index), index)
        if torch.backends.mps.is_available():
            return Device("mps", "Apple GPU (MPS)")
        if requested == "gpu":
            raise ConfigError(
                "device",
                "no GPU that torch can use (CUDA or Apple MPS) was found; "
                "use device 'auto' or 'cpu'",
            )
    return Device("cpu", cpu_name())


def keras_device(requested: str) -> Device:
    """The TensorFlow device for ``requested``; call before TensorFlow runs any operation."""
    from pipeline.frameworks import import_torch_then_tensorflow

    _, tf = import_torch_then_tensorflow()
    gpus = tf.config.list_physical_devices("GPU")
    if requested == "cpu" and gpus:
        try:
            tf.config.set_visible_devices([], "GPU")
        except RuntimeError:
            raise ConfigError(
                "device",
                "TensorFlow already uses the GPU in this process; "
                "train on the CPU in a fresh process",
            ) from None
        gpus = []
    if gpus:
        details = tf.config.experimental.get_device_details(gpus[0])
        return Device("cuda", details.get("device_name", gpus[0].name))
    if requested == "gpu":
        raise ConfigError(
            "device", "no GPU that TensorFlow can use (CUDA) was found; use device 'auto' or 'cpu'"
        )
    return Device("cpu", cpu_name())


def nvidia_gpus() -> list[str]:
    """Names of the NVIDIA GPUs ``nvidia-smi`` lists, without loading a framework (for pages)."""
    import shutil
    import subprocess

    if not shutil.which("nvidia-smi"):
        return []
    try:
        listing = subprocess.run(
            ["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.strip() for line in listing.stdout.splitlines() if line.strip()]


def apple_gpu() -> bool:
    """Apple silicon, where torch trains on MPS (TensorFlow here has no MPS backend)."""
    return sys.platform == "darwin" and platform.machine() == "arm64"


def device_line(gpus: list[str]) -> str:
    """What the trainings of this machine run on, in one line (Markdown), without loading a
    framework: ``gpus`` as ``nvidia_gpus()`` lists them."""
    if gpus:
        more = f" (and {len(gpus) - 1} more)" if len(gpus) > 1 else ""
        return f"Device: **{gpus[0]}**{more}, CUDA, for both frameworks"
    if apple_gpu():
        return f"Device: **Apple GPU (MPS)** for PyTorch, **CPU** for Keras - {cpu_name()}"
    return f"Device: **CPU** - {cpu_name()}"


def check_gpu_available(config, gpus: list[str]):
    """``config``, or ConfigError for ``device="gpu"`` on a machine whose GPUs (``gpus``, as
    ``nvidia_gpus()`` lists them) its framework cannot use: refused before it is queued."""
    from pipeline.frameworks import FRAMEWORK_NAMES

    usable = gpus or (config.framework == "torch" and apple_gpu())
    if config.device == "gpu" and not usable:
        raise ConfigError(
            "device",
            f"this machine has no GPU that {FRAMEWORK_NAMES[config.framework]} can use; "
            "choose auto or cpu",
        )
    return config
