"""The talk's ranked bar charts, written once.

    ranked_bars(bars, x_title, x_range, height)   # the talk's ranked bars: (name, value, text)

The talk's framework charts colour Keras, PyTorch and TensorFlow alike on every slide (Keras and
PyTorch in the app's framework colours) and every other framework grey.
"""

from __future__ import annotations

import plotly.graph_objects as go

from dashboard.charts.style import FRAMEWORK_COLOURS

TALK_COLOURS = {
    "Keras": FRAMEWORK_COLOURS["keras"],
    "PyTorch": FRAMEWORK_COLOURS["torch"],
    "TensorFlow": "#e9a03b",
}
OTHER_COLOUR = "#9aa5b1"


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
