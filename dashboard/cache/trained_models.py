"""Trained models for pages, loaded once per process and shared by every page and session."""

from __future__ import annotations

import streamlit as st

from pipeline.runs import Run


def updated(run_id: str) -> float:
    """When the run last changed: part of every cache key, so a retrained run is reloaded."""
    return Run(run_id).status().updated or 0.0


def model_of(run_id: str):
    """The run's model from the shared cache: the one loader every page and the warm-up pass to
    ``pipeline.talk`` (``loader=model_of``) and call themselves."""
    return loaded_model(run_id, updated(run_id))


@st.cache_resource(show_spinner="Loading the model...", max_entries=6)
def loaded_model(run_id: str, stamp: float):
    """A run's model (``pipeline.inference.load_run_model``: safe loading, torch before TensorFlow).

    ``stamp`` changes when the run is trained again, so a new model replaces the cached one.
    On a shared deployment (``model_backend`` "onnx") the model runs under ONNX Runtime and no
    framework is loaded into this process.
    """
    from dashboard.context.deployment import model_backend
    from pipeline.inference import load_run_model

    return load_run_model(run_id, backend=model_backend())
