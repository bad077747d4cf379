"""How a page places a chart or a table, written once.

show_chart(figure, "key", where=column)        # a chart as wide as its place, no toolbar
with chart_and_facts(figure, "key"): ...       # a chart, and the facts beside it
linked_table(rows, "source")                   # a table of facts, each linked to its source
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st


def show_chart(figure: go.Figure, key: str, where=st) -> None:
    """``figure`` as wide as ``where`` (``st`` or a column), without plotly's toolbar: on a slide
    the toolbar only covers the chart."""
    where.plotly_chart(figure, width="stretch", config={"displayModeBar": False}, key=key)


def chart_and_facts(figure: go.Figure, key: str):
    """``figure`` in the wider of two columns; returns the other, for the facts beside it."""
    chart, facts = st.columns([3, 2], gap="large")
    show_chart(figure, key, where=chart)
    return facts


def linked_table(rows: list[dict], link: str, link_text: str | None = "open") -> None:
    """``rows`` as a full-width table without its index; column ``link`` holds URLs, shown as
    ``link_text`` (None: the URL itself)."""
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        width="stretch",
        column_config={link: st.column_config.LinkColumn(link, display_text=link_text)},
    )
