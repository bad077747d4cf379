"""Figures that several pages draw the same way, written once.

    ranked_bars(bars, x_title, x_range, height)   # the talk's ranked bars: (name, value, text)
    show_chart(figure, "key", where=column)        # a chart as wide as its place, no toolbar
    with chart_and_facts(figure, "key"): ...       # a chart, and the facts beside it

The talk's framework charts colour Keras, PyTorch and TensorFlow alike on every slide (Keras and
PyTorch in the app's framework colours) and every other framework grey.
"""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from dashboard.ui.common import COLOURS

TALK_COLOURS = {"Keras": COLOURS["keras"], "PyTorch": COLOURS["torch"], "TensorFlow": "#e9a03b"}
OTHER_COLOUR = "#9aa5b1"


def show_chart(figure: go.Figure, key: str, where=st) -> None:
    """``figure`` as wide as ``where`` (``st`` or a column), without plotly's toolbar: on a slide
    the toolbar only covers the chart."""
    where.plotly_chart(figure, width="stretch", config={"displayModeBar": False}, key=key)


def chart_and_facts(figure: go.Figure, key: str):
    """``figure`` in the wider of two columns; returns the other, for the facts beside it."""
    chart, facts = st.columns([3, 2], gap="large")
    show_chart(figure, key, where=chart)
    return facts


def ranked_bars(
    bars: list[tuple[str, float, str]],
    x_title: str,
    x_range: list[float],
    height: int,
    right_margin: int = 30,
) -> go.Figure:
    """Horizontal bars, first on top, each (name, value, text) labelled with its text outside
    its end; the talk's three frameworks in their colours."""
    names, values, texts = (list(column) for column in zip(*bars))
    figure = go.Figure(
        go.Bar(
            x=values,
            y=names,
            orientation="h",
            marker_color=[TALK_COLOURS.get(name, OTHER_COLOUR) for name in names],
            text=texts,
            textposition="outside",
            cliponaxis=False,
        )
    )
    figure.update_yaxes(autorange="reversed")
    figure.update_xaxes(title=x_title, range=x_range)
    figure.update_layout(
        height=height, margin=dict(t=10, b=10, l=10, r=right_margin), plot_bgcolor="white"
    )
    return figure
