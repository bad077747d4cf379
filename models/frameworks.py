"""Loading the deep-learning frameworks: torch always before TensorFlow.

In one process, ``import tensorflow`` followed by ``import torch`` (or ``import torchvision``)
ends in a segmentation fault (exit 139) with the versions pinned here, while torch and
torchvision first and TensorFlow second all work (docs/architecture.md, "Torch first"). This
module is the one place that imports them: everything else, the models included, gets a framework
from ``import_torch()``, ``import_torch_then_tensorflow()`` or ``import_keras()``, and an
import-linter contract in pyproject.toml fails CI on any other ``import torch`` / ``tensorflow`` /
``keras``. It lives in ``models/``, the lowest layer, so the models can use it;
``pipeline.frameworks`` re-exports it.

It also sets how torch's OpenMP threads wait, which must happen before torch loads: by
default they spin, and on a shared machine (other processes on the same cores, as on
Streamlit Cloud or a busy CI runner) a spinning thread burns the time slice its partner
needs (measured in docs/architecture.md, "Torch first"). An ``OMP_WAIT_POLICY`` already in the
environment is left as it is.

TensorFlow's C++ start-up lines (oneDNN notices, "failed call to cuInit" on a machine without a
GPU) alarm a user on a CPU machine and say nothing useful: ``quiet_tensorflow()`` hides them, and
the CLIs and the training worker call it unless ``--verbose``.

Nothing is imported at module level, so importing this file costs nothing: pages that need
no framework never pay the seconds and the memory of loading both.
"""

from __future__ import annotations

import contextlib
import os
import sys

# Set by quiet_tensorflow() (CLIs, workers), inherited by the workers a command starts. Only then
# is stderr discarded while TensorFlow loads: never in the Streamlit server, whose other threads
# write there too.
QUIET_VARIABLE = "PNEUMOLAB_QUIET_TENSORFLOW"


def import_torch():
    """``torch`` (and torchvision), or RuntimeError if TensorFlow came first (see above)."""
    if "tensorflow" in sys.modules and "torchvision" not in sys.modules:
        import_torch_then_tensorflow()  # raises with the explanation
    _prefer_passive_threads()
    import torch
    import torchvision  # noqa: F401

    return torch


def import_torch_then_tensorflow():
    """``(torch, tensorflow)``, imported in the only order that does not crash.

    torchvision is loaded too, before TensorFlow, since loading it afterwards crashes as well.
    Raises RuntimeError instead of crashing when TensorFlow is already loaded without them:
    importing them then would kill the whole process.
    """
    missing = [name for name in ("torch", "torchvision") if name not in sys.modules]
    if "tensorflow" in sys.modules and missing:
        raise RuntimeError(
            f"TensorFlow was imported before {' and '.join(missing)} in this process; importing "
            "them now would crash it (segmentation fault). Import torch first, e.g. through "
            "pipeline.frameworks.import_torch_then_tensorflow()."
        )
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # hide TF's start-up banner, keep errors
    _prefer_passive_threads()
    # the order is the point: torch and torchvision, then TensorFlow (isort must not sort it)
    # isort: off
    import torch
    import torchvision  # noqa: F401

    with _stderr_discarded(os.environ.get(QUIET_VARIABLE) == "1" and _tf_log_level() >= 1):
        import tensorflow
    # isort: on

    return torch, tensorflow


def import_keras():
    """``keras`` (3.x, TensorFlow backend), with torch loaded first."""
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import_torch_then_tensorflow()
    import keras

    return keras


def import_tensorflow():
    """``tensorflow``, with torch loaded first."""
    return import_torch_then_tensorflow()[1]


def torch_module(name: str):
    """A submodule of torch or torchvision (``"torch.distributed"``, ``"torchvision.transforms.v2"``),
    loaded after torch, so the order above holds whatever module asks first."""
    import importlib

    if name.split(".")[0] not in ("torch", "torchvision"):
        raise ValueError(f"{name!r} is not part of torch or torchvision")
    import_torch()
    return importlib.import_module(name)


def image_data_generator_class():
    """The legacy ``ImageDataGenerator`` class (Keras 3 no longer exports it from
    ``keras.preprocessing.image``; ``tf.keras.preprocessing.image`` still has it), torch first."""
    return import_tensorflow().keras.preprocessing.image.ImageDataGenerator


def quiet_tensorflow(verbose: bool | None = None) -> None:
    """Hide TensorFlow's C++ log lines (level 3: errors included, which on a CPU machine are only
    "failed call to cuInit"); Python exceptions still say what went wrong. ``verbose`` keeps them.
    Takes effect only before TensorFlow loads. The level is set, not defaulted: a process that
    loaded TensorFlow itself (the Streamlit server, a test run) has level 2 in its environment,
    which shows the cuInit error, and the workers it starts inherit that environment.
    ``verbose=None`` (a training worker) follows the command that started it."""
    if verbose is None:
        verbose = os.environ.get(QUIET_VARIABLE) == "0"
    if verbose:
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "0"  # here and in the workers this process starts
        os.environ[QUIET_VARIABLE] = "0"
    else:
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
        os.environ[QUIET_VARIABLE] = "1"


def _tf_log_level() -> int:
    level = os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0")
    return int(level) if level.isdigit() else 0


@contextlib.contextmanager
def _stderr_discarded(discard: bool):
    """File descriptor 2 pointed at /dev/null while TensorFlow loads, when ``discard`` (a
    quiet command line or worker): its C++ logging writes two lines there before it reads
    ``TF_CPP_MIN_LOG_LEVEL`` ("All log
    messages before absl::InitializeLog()...", "Could not find cuda drivers..."). Python
    exceptions are not written there; they propagate as usual."""
    if not discard:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _prefer_passive_threads() -> None:
    """OpenMP threads that sleep instead of spinning (see above); only before torch loads."""
    if "torch" not in sys.modules:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def loaded() -> dict[str, bool]:
    """Which frameworks this process has already paid for (for memory / start-up notes)."""
    return {name: name in sys.modules for name in ("torch", "tensorflow", "keras")}
