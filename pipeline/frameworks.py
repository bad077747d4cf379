"""Loading the deep-learning frameworks: torch always before TensorFlow.

In one process, ``import tensorflow`` followed by ``import torch`` (or ``import torchvision``)
ends in a segmentation fault (exit 139) with the versions pinned here, while torch and
torchvision first and TensorFlow second all work (FIELD_NOTES, "TensorFlow and torch in one
process"; the torchvision case was seen by the augmentation studio). This module is the one place that
knows it: anything that needs TensorFlow or Keras imports it through
``import_torch_then_tensorflow()`` or ``import_keras()``.

It also sets how torch's OpenMP threads wait, which must happen before torch loads: by
default they spin, and on a shared machine (other processes on the same cores, as on
Streamlit Cloud or a busy CI runner) a spinning thread burns the time slice its partner
needs. Measured here at load ~9 on 2 cores, talk CNN at 64 px: 8 images/s with spinning
threads, 50-63 with passive ones (``OMP_WAIT_POLICY=PASSIVE``), 46 with one thread.
An ``OMP_WAIT_POLICY`` already in the environment is left as it is.

Nothing is imported at module level, so importing this file costs nothing: pages that need
no framework never pay the ~13 s and ~1.5 GB of loading both.
"""

from __future__ import annotations

import os
import sys


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
    import torch
    import torchvision  # noqa: F401  (must precede TensorFlow too)
    import tensorflow

    return torch, tensorflow


def import_keras():
    """``keras`` (3.x, TensorFlow backend), with torch loaded first."""
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import_torch_then_tensorflow()
    import keras

    return keras


def _prefer_passive_threads() -> None:
    """OpenMP threads that sleep instead of spinning (see above); only before torch loads."""
    if "torch" not in sys.modules:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def loaded() -> dict[str, bool]:
    """Which frameworks this process has already paid for (for memory / start-up notes)."""
    return {name: name in sys.modules for name in ("torch", "tensorflow", "keras")}
