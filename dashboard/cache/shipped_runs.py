"""The runs that ship with the repository, added to the run store once per server process."""

from __future__ import annotations

import streamlit as st


@st.cache_resource(show_spinner=False)
def install_shipped_runs() -> list[str]:
    """``pipeline.shipped.install_shipped``: verified imports of ``shipped_runs/`` (ids added)."""
    from pipeline.shipped import install_shipped

    return install_shipped()
