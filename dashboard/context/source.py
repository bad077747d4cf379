"""The session's data source: one active source per browser session.

Pages read it with ``active_source()``; the sidebar's selector
(``dashboard/widgets/source_picker.py``) changes it. The default comes from
``PNEUMOLAB_DATA`` or the ``PNEUMOLAB_DATA`` secret, else the built-in synthetic demo. A
deployment that turns local paths off (``dashboard/context/deployment.py``) never opens a file
or folder of the server for a visitor.
"""

from __future__ import annotations

import os

import streamlit as st

from dashboard.context.deployment import local_paths_allowed, secret
from pipeline.data import DEFAULT_SOURCE, canonical_source

SESSION_KEY = "source"
LOCAL_KINDS = ("path", "npz")  # sources that read a file or folder of the machine the app runs on


def default_source() -> str:
    """``PNEUMOLAB_DATA`` from the environment or st.secrets, else the synthetic demo."""
    if os.environ.get("PNEUMOLAB_DATA"):
        return os.environ["PNEUMOLAB_DATA"]
    return str(secret("PNEUMOLAB_DATA", DEFAULT_SOURCE))


def is_local(spec: str) -> bool:
    return kind_of(spec) in LOCAL_KINDS


def refused_default() -> bool:
    """The configured default names a local path on a deployment that turns paths off."""
    return not local_paths_allowed() and is_local(canonical_source(default_source()))


def active_source() -> str:
    """The source string this session works on."""
    current = st.session_state.get(SESSION_KEY)
    if current is None or (is_local(current) and not local_paths_allowed()):
        current = DEFAULT_SOURCE if refused_default() else canonical_source(default_source())
        st.session_state[SESSION_KEY] = current
    return current


def kind_of(spec: str) -> str:
    if spec == "synthetic":
        return "synthetic"
    if spec.startswith("medmnist:"):
        return "medmnist" if spec.removeprefix("medmnist:").isdigit() else "npz"
    return "path"
