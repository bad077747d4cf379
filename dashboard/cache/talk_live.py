"""The cached work of the talk slides added for issue 20: the built models, the MNIST example's
two runs, and the measured reports. Defined once here so that a warm-up can fill the same caches.
"""

from __future__ import annotations

import json

import streamlit as st

from dashboard.context.deployment import frameworks_may_load
from pipeline import isolated
from pipeline.runs import Run
from pipeline.talk import architecture, mnist_example, talk_report


@st.cache_data(show_spinner=False, max_entries=4)
def built_architecture(img_size: int = architecture.DEFAULT_SIZE) -> architecture.Architecture:
    """Both models described: from the disk cache, else built here, or in a child process where
    frameworks may not load into this one (a shared deployment)."""
    found = architecture.cached(img_size)
    if found is not None:
        return found
    if frameworks_may_load():
        return architecture.architecture(img_size)
    text = isolated.call("pipeline.talk.architecture", "build_and_store", img_size)
    return architecture.Architecture.from_dict(json.loads(text))


@st.cache_data(show_spinner=False, max_entries=8)
def mnist_runs(epochs: int, seed: int) -> mnist_example.MnistComparison:
    """The talk's MNIST example twice, the Keras logs growing in the page while they train.

    The logs are drawn from inside the cached function on purpose: on a later call Streamlit
    replays those updates, so a rerun shows the same logs without training again.
    """
    talk, fixed = st.columns(2)
    boxes = {"talk": talk.empty(), "fixed": fixed.empty()}
    return mnist_example.compare_runs(
        epochs,
        seed,
        on_log=lambda which, text: boxes[which].code(text, language=None, wrap_lines=True),
    )


@st.cache_data(show_spinner=False, max_entries=16)
def measured_report(run_id: str, stamp: float, source: str) -> talk_report.Report:
    """A run's report on the test split (the Conclusion's evaluation, cached on disk too)."""
    from dashboard.cache.trained_models import model_of

    return talk_report.measured(Run(run_id), source, loader=model_of)
