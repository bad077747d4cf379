"""The data-source selector in the sidebar, which changes the session's source
(``dashboard/context/source.py``; pages read it with ``active_source()``).

Home.py draws it before running the page, so it sits on every page.

A shared deployment turns local paths off (``PNEUMOLAB_ALLOW_LOCAL_PATHS=0`` or the secret
``allow_local_paths = false``): visitors then get the demo and the MedMNIST download only,
never a file or folder of the server. A path is only ever opened and read, never run.
"""

from __future__ import annotations

import streamlit as st

from dashboard.context.deployment import (
    LOCAL_PATHS_SECRET,
    LOCAL_PATHS_VARIABLE,
    local_paths_allowed,
)
from dashboard.context.source import (
    LOCAL_KINDS,
    SESSION_KEY,
    active_source,
    kind_of,
    refused_default,
)
from pipeline.data import SourceError, canonical_source, open_source
from pipeline.data.images import code_span

CHOICES = {
    "Demo (synthetic)": "synthetic",
    "Folder or CSV on this machine": "path",
    "MedMNIST download": "medmnist",
    "MedMNIST .npz file": "npz",
}
MEDMNIST_SIZES = (28, 64, 128, 224)


@st.cache_data(show_spinner=False, ttl=30)
def check_source(spec: str) -> str | None:
    """None if ``spec`` opens and lists images, else the message saying what is wrong."""
    try:
        open_source(spec).scan()
    except (SourceError, OSError, ValueError) as error:
        return str(error)
    return None


def _candidate(kind: str, current: str) -> str | None:
    """The source string the widgets describe, or None while it is incomplete."""
    if kind == "synthetic":
        return "synthetic"
    if kind == "medmnist":
        size = st.sidebar.selectbox(
            "Image size", MEDMNIST_SIZES, index=2, key="source_medmnist_size"
        )
        return f"medmnist:{size}"
    default = current if kind_of(current) == kind else ""
    label = "Folder or CSV path" if kind == "path" else ".npz path"
    text = st.sidebar.text_input(
        label,
        value=default.removeprefix("medmnist:"),
        key=f"source_{kind}_path",
        placeholder="/data/chest_xray" if kind == "path" else "/data/pneumoniamnist_128.npz",
        help="Kaggle layout (train/val/test with NORMAL and PNEUMONIA), class folders, "
        "or a CSV of filename,label. Press Enter to apply.",
    )
    text = text.strip()
    if not text:
        return None
    return f"medmnist:{text}" if kind == "npz" else text


def source_sidebar() -> str:
    """Draw the selector; switch the session's source only to one that works."""
    current = active_source()
    st.sidebar.header("Data source")
    if refused_default():
        st.sidebar.error(
            f"PNEUMOLAB_DATA names a file or folder on the server, and this deployment turns "
            f"local paths off ({LOCAL_PATHS_VARIABLE}=0 or {LOCAL_PATHS_SECRET} = false in the "
            "secrets): the demo data is used instead. Set PNEUMOLAB_DATA to `synthetic` or "
            "`medmnist:128`."
        )
    allowed = local_paths_allowed()
    choices = {label: kind for label, kind in CHOICES.items() if allowed or kind not in LOCAL_KINDS}
    kinds = list(choices.values())
    label = st.sidebar.selectbox(
        "Source", list(choices), index=kinds.index(kind_of(current)), key="source_kind"
    )
    candidate = _candidate(choices[label], current)
    candidate = canonical_source(candidate) if candidate else None
    if candidate and candidate != current:
        with st.sidebar, st.spinner("Checking the source..."):
            problem = check_source(candidate)
        if problem:
            st.sidebar.error(f"{problem}\n\nStill using: {current}")
        else:
            st.session_state[SESSION_KEY] = current = candidate
    st.sidebar.caption(f"Active: {code_span(current)}")
    return current
