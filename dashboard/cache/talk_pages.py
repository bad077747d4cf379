"""The talk pages' computations on the active data, cached per source (shared with the warm-up)."""

from __future__ import annotations

import streamlit as st

from dashboard.cache.datasets import cached_arrays, cached_scan, source_fingerprint
from pipeline.talk import pipelines


@st.cache_data(show_spinner=False, max_entries=8)
def _normalised(spec: str, fingerprint: str) -> pipelines.Normalised:
    return pipelines.normalise(cached_arrays(spec).subset("train").images)


@st.cache_data(show_spinner=False, max_entries=8)
def _torch_stages(spec: str, fingerprint: str) -> pipelines.TorchStages:
    return pipelines.torch_stages(cached_scan(spec), cached_arrays(spec))


def normalised_train(spec: str) -> pipelines.Normalised:
    """``pipelines.normalise`` of the train split, recomputed when the source changes."""
    return _normalised(spec, source_fingerprint(spec))


def torch_stages(spec: str) -> pipelines.TorchStages:
    """``pipelines.torch_stages`` on the train split, recomputed when the source changes."""
    return _torch_stages(spec, source_fingerprint(spec))
