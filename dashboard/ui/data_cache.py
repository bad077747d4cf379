"""Data for pages, cached at the Streamlit boundary (pipeline/ never imports streamlit)."""

from __future__ import annotations

import streamlit as st

from pipeline.data import SplitArrays, load_all, open_source
from pipeline.data.summary import SUMMARY_SIZE, summarize


@st.cache_data(show_spinner=False, ttl=10)
def source_fingerprint(spec: str) -> str:
    """The source's fingerprint, rechecked every few seconds (files added or changed)."""
    return open_source(spec).scan().fingerprint


@st.cache_data(show_spinner="Reading the data source...", max_entries=8)
def _summary(spec: str, fingerprint: str, size: int) -> dict:
    return summarize(spec, size)


def cached_summary(spec: str, size: int = SUMMARY_SIZE) -> dict:
    """``pipeline.data.summary.summarize``, recomputed only when the source changes."""
    return _summary(spec, source_fingerprint(spec), size)


@st.cache_resource(show_spinner="Loading images...", max_entries=4)
def _arrays(spec: str, fingerprint: str, size: int) -> SplitArrays:
    return load_all(spec, size)[1]


def cached_arrays(spec: str, size: int = SUMMARY_SIZE) -> SplitArrays:
    """All splits' pixels, shared read-only by every session (st.cache_resource: no copy)."""
    return _arrays(spec, source_fingerprint(spec), size)
