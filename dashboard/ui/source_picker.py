"""The data-source selector in the sidebar: one active source per browser session.

Home.py draws it before running the page, so it sits on every page. Pages read the
choice with ``active_source()``. The default comes from ``PNEUMOLAB_DATA`` or the
``PNEUMOLAB_DATA`` secret, else the built-in synthetic demo.

A shared deployment turns local paths off (``PNEUMOLAB_ALLOW_LOCAL_PATHS=0`` or the secret
``allow_local_paths = false``): visitors then get the demo and the MedMNIST download only,
never a file or folder of the server. A path is only ever opened and read, never run.
"""

from __future__ import annotations

import os

import streamlit as st

from pipeline.data import DEFAULT_SOURCE, SourceError, canonical_source, open_source
from pipeline.data.images import code_span

SESSION_KEY = "source"
CHOICES = {
    "Demo (synthetic)": "synthetic",
    "Folder or CSV on this machine": "path",
    "MedMNIST download": "medmnist",
    "MedMNIST .npz file": "npz",
}
LOCAL_KINDS = ("path", "npz")  # sources that read a file or folder of the machine the app runs on
MEDMNIST_SIZES = (28, 64, 128, 224)
LOCAL_PATHS_VARIABLE = "PNEUMOLAB_ALLOW_LOCAL_PATHS"
LOCAL_PATHS_SECRET = "allow_local_paths"
OFF_WORDS = ("0", "false", "no", "off")


def _secret(name: str, default):
    try:
        return st.secrets.get(name, default)
    except Exception:  # no secrets file at all is the normal local case
        return default


def default_source() -> str:
    """``PNEUMOLAB_DATA`` from the environment or st.secrets, else the synthetic demo."""
    if os.environ.get("PNEUMOLAB_DATA"):
        return os.environ["PNEUMOLAB_DATA"]
    return str(_secret("PNEUMOLAB_DATA", DEFAULT_SOURCE))


def local_paths_allowed() -> bool:
    """False when ``PNEUMOLAB_ALLOW_LOCAL_PATHS`` or the secret ``allow_local_paths`` says off.

    Either one is enough to turn paths off: a shared deployment stays closed even when only
    one of the two was set. Both unset (a machine of one's own) leaves them on.
    """
    words = (os.environ.get(LOCAL_PATHS_VARIABLE, ""), _secret(LOCAL_PATHS_SECRET, True))
    return not any(str(word).strip().lower() in OFF_WORDS for word in words)


def is_local(spec: str) -> bool:
    return _kind_of(spec) in LOCAL_KINDS


def _refused_default() -> bool:
    """The configured default names a local path on a deployment that turns paths off."""
    return not local_paths_allowed() and is_local(canonical_source(default_source()))


def active_source() -> str:
    """The source string this session works on."""
    current = st.session_state.get(SESSION_KEY)
    if current is None or (is_local(current) and not local_paths_allowed()):
        current = DEFAULT_SOURCE if _refused_default() else canonical_source(default_source())
        st.session_state[SESSION_KEY] = current
    return current


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
        size = st.sidebar.selectbox(
            "Image size", MEDMNIST_SIZES, index=2, key="source_medmnist_size"
        )
        return f"medmnist:{size}"
    default = current if _kind_of(current) == kind else ""
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
    if _refused_default():
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
        "Source", list(choices), index=kinds.index(_kind_of(current)), key="source_kind"
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
