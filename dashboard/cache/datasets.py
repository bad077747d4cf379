"""Data for pages, cached at the Streamlit boundary (pipeline/ never imports streamlit)."""

from __future__ import annotations

import streamlit as st

from pipeline.data import Scan, SplitArrays, load_all, open_source
from pipeline.data.summary import SUMMARY_SIZE, DataSummary, summarize_loaded


@st.cache_data(show_spinner=False, ttl=10)
def source_fingerprint(spec: str) -> str:
    """The source's fingerprint, rechecked every few seconds (files added or changed)."""
    return open_source(spec).fingerprint()


@st.cache_resource(show_spinner="Loading images...", max_entries=4)
def _loaded(spec: str, fingerprint: str, size: int) -> tuple[Scan, SplitArrays]:
    return load_all(spec, size)


@st.cache_data(show_spinner=False, max_entries=16)
def _summary(spec: str, fingerprint: str, size: int) -> DataSummary:
    scan, arrays = _loaded(spec, fingerprint, size)
    return summarize_loaded(scan, arrays, size)


def cached_summary(spec: str, size: int = SUMMARY_SIZE) -> DataSummary:
    """``pipeline.data.summary.summarize``, recomputed only when the source changes."""
    return _summary(spec, source_fingerprint(spec), size)


def cached_arrays(spec: str, size: int = SUMMARY_SIZE) -> SplitArrays:
    """All splits' pixels, shared read-only by every session (st.cache_resource: no copy)."""
    return _loaded(spec, source_fingerprint(spec), size)[1]


def cached_scan(spec: str) -> Scan:
    """The source's scan (records, skipped files, notes), shared like the arrays."""
    return _loaded(spec, source_fingerprint(spec), SUMMARY_SIZE)[0]
