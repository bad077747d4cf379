"""What a good deep-learning framework must have, framework by framework.

The table is declarative: one ``Framework`` per column, each cell a short text, and each
framework names the documentation pages its cells come from. It holds no figure that cannot
be checked there (no star counts, no benchmark speeds). What can be checked on this machine -
the installed versions and whether a GPU is visible - is computed by ``this_machine`` instead,
and only when asked: the GPU check loads torch and TensorFlow (docs/architecture.md,
"Torch first", gives what that costs).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from importlib import metadata

FEATURES = {
    "gpu": "GPU and accelerators",
    "distributed": "Distributed training",
    "languages": "Languages",
    "os": "Operating systems",
    "model_zoo": "Pre-trained models",
    "autodiff": "Automatic differentiation",
    "community": "Community and governance",
}


@dataclass(frozen=True)
class Framework:
    name: str
    package: str  # the PyPI distribution, for the installed version
    cells: dict[str, str]  # FEATURES key -> text
    sources: tuple[str, ...]  # the pages the cells were taken from


FRAMEWORKS: tuple[Framework, ...] = (
    Framework(
        "Keras 3",
        "keras",
        {
            "gpu": "Those of its backend: TensorFlow, JAX or PyTorch",
            "distributed": "keras.distribution (data and model parallel, JAX backend); the backend's own "
            "tools otherwise (tf.distribute, torch DDP)",
            "languages": "Python; R through the keras3 package",
            "os": "Those of its backend",
            "model_zoo": "keras.applications (ImageNet weights), KerasHub",
            "autodiff": "The backend's (GradientTape, jax.grad, autograd); fit() hides it",
            "community": "Open source (Apache 2.0), developed by the Keras team at Google",
        },
        (
            "https://keras.io/getting_started/",
            "https://keras.io/api/distribution/",
            "https://keras.io/api/applications/",
            "https://keras.io/keras_hub/",
            "https://keras3.posit.co/",
        ),
    ),
    Framework(
        "TensorFlow",
        "tensorflow",
        {
            "gpu": "NVIDIA CUDA GPUs (Linux, WSL2), TPUs",
            "distributed": "tf.distribute: MirroredStrategy, MultiWorkerMirroredStrategy, TPUStrategy, "
            "ParameterServerStrategy",
            "languages": "Python, C++; JavaScript (TensorFlow.js); on-device runtime LiteRT (TF Lite)",
            "os": "Linux, macOS, Windows (GPU through WSL2); Android and iOS through LiteRT",
            "model_zoo": "TF Model Garden; TensorFlow Hub models, now on Kaggle Models",
            "autodiff": "tf.GradientTape (reverse mode), graphs compiled with tf.function",
            "community": "Open source (Apache 2.0), developed by Google",
        },
        (
            "https://www.tensorflow.org/install/pip",
            "https://www.tensorflow.org/guide/distributed_training",
            "https://www.tensorflow.org/api_docs",
            "https://www.tensorflow.org/guide/autodiff",
            "https://github.com/tensorflow/models",
        ),
    ),
    Framework(
        "PyTorch",
        "torch",
        {
            "gpu": "NVIDIA CUDA, AMD ROCm, Apple MPS",
            "distributed": "torch.distributed: DistributedDataParallel, FSDP, launched with torchrun",
            "languages": "Python; C++ (LibTorch)",
            "os": "Linux, macOS, Windows",
            "model_zoo": "torchvision.models (ImageNet weights), PyTorch Hub",
            "autodiff": "torch.autograd on a graph built as the code runs (define-by-run); torch.compile",
            "community": "Open source (BSD-3-Clause), governed by the PyTorch Foundation (Linux Foundation)",
        },
        (
            "https://pytorch.org/get-started/locally/",
            "https://pytorch.org/docs/stable/distributed.html",
            "https://pytorch.org/cppdocs/",
            "https://pytorch.org/vision/stable/models.html",
            "https://pytorch.org/foundation",
        ),
    ),
    Framework(
        "JAX",
        "jax",
        {
            "gpu": "NVIDIA CUDA GPUs, TPUs; AMD ROCm",
            "distributed": "Sharded arrays (jax.sharding, shard_map), multi-host with jax.distributed",
            "languages": "Python",
            "os": "Linux, macOS; Windows on CPU (GPU through WSL2)",
            "model_zoo": "None in JAX itself: through Flax or Keras 3",
            "autodiff": "jax.grad, jvp and vjp: forward and reverse mode, composable with jit and vmap",
            "community": "Open source (Apache 2.0), developed by Google",
        },
        (
            "https://docs.jax.dev/en/latest/installation.html",
            "https://docs.jax.dev/en/latest/sharded-computation.html",
            "https://docs.jax.dev/en/latest/automatic-differentiation.html",
        ),
    ),
    Framework(
        "Apache MXNet",
        "mxnet",
        {
            "gpu": "NVIDIA CUDA GPUs",
            "distributed": "KVStore (parameter servers), Horovod",
            "languages": "Python, C++, Scala, Java, Julia, R, Clojure, Perl",
            "os": "Linux, macOS, Windows",
            "model_zoo": "Gluon model zoo, GluonCV",
            "autodiff": "mxnet.autograd; hybridize() compiles to a graph",
            "community": "Retired: moved to the Apache Attic in 2023, no longer developed",
        },
        (
            "https://mxnet.apache.org/versions/1.9.1/",
            "https://attic.apache.org/projects/mxnet.html",
        ),
    ),
)


def comparison_rows() -> list[dict[str, str]]:
    """One row per feature, one column per framework (the page's table)."""
    return [
        {"feature": label, **{fw.name: fw.cells[key] for fw in FRAMEWORKS}}
        for key, label in FEATURES.items()
    ]


def installed_versions() -> dict[str, str | None]:
    """Each framework's installed version from the package metadata (nothing is imported), or None."""
    versions = {}
    for framework in FRAMEWORKS:
        try:
            versions[framework.name] = metadata.version(framework.package)
        except metadata.PackageNotFoundError:
            versions[framework.name] = None
    return versions


def visible_accelerators() -> dict[str, str]:
    """What torch and TensorFlow see here: loads both (torch first), so call it only when asked."""
    from pipeline.frameworks import import_torch_then_tensorflow

    torch, tensorflow = import_torch_then_tensorflow()
    cuda = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    mps = getattr(torch.backends, "mps", None)
    tf_gpus = [device.name for device in tensorflow.config.list_physical_devices("GPU")]
    return {
        "PyTorch": ", ".join(cuda)
        if cuda
        else ("Apple MPS" if mps and mps.is_available() else "CPU only"),
        "TensorFlow": ", ".join(tf_gpus) if tf_gpus else "CPU only",
        "Keras 3": f"as its backend ({_keras_backend()})",
    }


def _keras_backend() -> str:
    return os.environ.get("KERAS_BACKEND", "tensorflow")


def frameworks_loaded() -> bool:
    """Whether torch and TensorFlow are already in this process (the GPU check is then free)."""
    return "torch" in sys.modules and "tensorflow" in sys.modules
