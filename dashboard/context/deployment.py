"""Settings of a shared deployment (Streamlit Community Cloud): what visitors may start, and
how models are run.

    allow_training = false     # secret, or PNEUMOLAB_ALLOW_TRAINING=0: no training trigger
    model_backend = "onnx"     # secret, or PNEUMOLAB_MODEL_BACKEND=onnx: no framework loaded

Training is on by default (a machine of one's own). Either the variable or the secret saying
off is enough, as for ``allow_local_paths``: a deployment stays closed when only one was set.
With training off, the Training page, the Conclusion's "Train both runs", the Insights mini demo
and the warm-up's training step show why instead of a button; the command line
(``python -m pipeline.train``) keeps working for whoever runs the machine.

With the ``onnx`` backend the Evaluation and Predictions pages score and explain runs through
ONNX Runtime (``pipeline.onnx_model``), so the Streamlit process never holds TensorFlow or torch
for them: about 1.5 GB less at its peak (docs/cloud.md has the measurements).
"""

from __future__ import annotations

import importlib
import os

import streamlit as st

from pipeline import isolated

LOCAL_PATHS_VARIABLE = "PNEUMOLAB_ALLOW_LOCAL_PATHS"
LOCAL_PATHS_SECRET = "allow_local_paths"
OFF_WORDS = ("0", "false", "no", "off")


def secret(name: str, default):
    try:
        return st.secrets.get(name, default)
    except Exception:  # no secrets file at all is the normal local case
        return default


def local_paths_allowed() -> bool:
    """False when ``PNEUMOLAB_ALLOW_LOCAL_PATHS`` or the secret ``allow_local_paths`` says off.

    Either one is enough to turn paths off: a shared deployment stays closed even when only
    one of the two was set. Both unset (a machine of one's own) leaves them on.
    """
    words = (os.environ.get(LOCAL_PATHS_VARIABLE, ""), secret(LOCAL_PATHS_SECRET, True))
    return not any(str(word).strip().lower() in OFF_WORDS for word in words)


TRAINING_VARIABLE, TRAINING_SECRET = "PNEUMOLAB_ALLOW_TRAINING", "allow_training"
BACKEND_VARIABLE, BACKEND_SECRET = "PNEUMOLAB_MODEL_BACKEND", "model_backend"
BACKENDS = ("framework", "onnx")
TRAINING_OFF = (
    "Training is turned off on this shared deployment: one training takes 1 to 1.6 GB of memory "
    "and minutes of the few CPU cores every visitor shares, enough to stop the app for everyone. "
    "The runs shown here were trained beforehand. To train your own, run PneumoLab on your "
    "machine (`make run`), or `python -m pipeline.train` there."
)


def training_allowed() -> bool:
    """False when ``PNEUMOLAB_ALLOW_TRAINING`` or the secret ``allow_training`` says off."""
    words = (os.environ.get(TRAINING_VARIABLE, ""), secret(TRAINING_SECRET, True))
    return not any(str(word).strip().lower() in OFF_WORDS for word in words)


def model_backend() -> str:
    """``onnx`` or ``framework`` (the default): how pages run a trained model."""
    chosen = os.environ.get(BACKEND_VARIABLE) or str(secret(BACKEND_SECRET, "framework"))
    return chosen.strip().lower() if chosen.strip().lower() in BACKENDS else "framework"


def frameworks_may_load() -> bool:
    """Whether pages may import TensorFlow or torch into this process (not with ``onnx``)."""
    return model_backend() == "framework"


def with_frameworks(module: str, function: str, *args):
    """``module.function(*args)`` for work that imports TensorFlow or torch: in this process
    where frameworks may load, otherwise in a process of its own (``pipeline.isolated``), so that
    they never stay in a shared deployment's memory."""
    if frameworks_may_load():
        return getattr(importlib.import_module(module), function)(*args)
    return isolated.call(module, function, *args)


def training_off_notice() -> None:
    """The reason, where a training button would be."""
    import streamlit as st

    st.info(TRAINING_OFF, icon=":material/block:")
