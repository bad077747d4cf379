"""The data-source selector in the sidebar: one active source per browser session.

Home.py draws it before running the page, so it sits on every page. Pages read the
choice with ``active_source()``. The default comes from ``PNEUMOLAB_DATA`` or the
``PNEUMOLAB_DATA`` secret, else the built-in synthetic demo.
"""

from __future__ import annotations

import os

import streamlit as st

from pipeline.data import DEFAULT_SOURCE, SourceError, canonical_source, open_source

SESSION_KEY = "source"
CHOICES = {
    "Demo (synthetic)": "synthetic",
    "Folder or CSV on this machine": "path",
    "MedMNIST download": "medmnist",
    "MedMNIST .npz file": "npz",
}
MEDMNIST_SIZES = (28, 64, 128, 224)


def default_source() -> str:
    """``PNEUMOLAB_DATA`` from the environment or st.secrets, else the synthetic demo."""
    if os.environ.get("PNEUMOLAB_DATA"):
        return os.environ["PNEUMOLAB_DATA"]
    try:
        return str(st.secrets.get("PNEUMOLAB_DATA", DEFAULT_SOURCE))
    except Exception:  # no secrets file at all is the normal local case
        return DEFAULT_SOURCE


def active_source() -> str:
    """The source string this session works on."""
    if SESSION_KEY not in st.session_state:
        st.session_state[SESSION_KEY] = canonical_source(default_source())
    return st.session_state[SESSION_KEY]


@st.cache_data(show_spinner=False, ttl=30)
def check_source(spec: str) -> str | None:
    """None if ``spec`` opens and lists images, else the message saying what is wrong."""
    try:
        open_source(spec).scan()
    except (SourceError, OSError, ValueError) as error:
        return str(error)
    return None


def _kind_of(spec: str) -> str:
    if spec == "synthetic":
        return "synthetic"
    if spec.startswith("medmnist:"):
        return "medmnist" if spec.removeprefix("medmnist:").isdigit() else "npz"
    return "path"


def _candidate(kind: str, current: str) -> str | None:
    """The source string the widgets describe, or None while it is incomplete."""
    if kind == "synthetic":
        return "synthetic"
    if kind == "medmnist":
        size = st.sidebar.selectbox("Image size", MEDMNIST_SIZES, index=2, key="source_medmnist_size")
        return f"medmnist:{size}"
    default = current if _kind_of(current) == kind else ""
    label = "Folder or CSV path" if kind == "path" else ".npz path"
    text = st.sidebar.text_input(label, value=default.removeprefix("medmnist:"), key=f"source_{kind}_path",
                                 placeholder="/data/chest_xray" if kind == "path" else "/data/pneumoniamnist_128.npz",
                                 help="Kaggle layout (train/val/test with NORMAL and PNEUMONIA), class folders, "
                                      "or a CSV of filename,label. Press Enter to apply.")
    text = text.strip()
    if not text:
        return None
    return f"medmnist:{text}" if kind == "npz" else text


def source_sidebar() -> str:
    """Draw the selector; switch the session's source only to one that works."""
    current = active_source()
    st.sidebar.header("Data source")
    kinds = list(CHOICES.values())
    label = st.sidebar.selectbox("Source", list(CHOICES), index=kinds.index(_kind_of(current)), key="source_kind")
    candidate = _candidate(CHOICES[label], current)
    candidate = canonical_source(candidate) if candidate else None
    if candidate and candidate != current:
        with st.sidebar:
            with st.spinner("Checking the source..."):
                problem = check_source(candidate)
        if problem:
            st.sidebar.error(f"{problem}\n\nStill using: {current}")
        else:
            st.session_state[SESSION_KEY] = current = candidate
    st.sidebar.caption(f"Active: `{current}`")
    return current
