"""Paired differences with their 95% intervals, written once: one row per statistic, one marker
series per threshold, zero ("no effect") marked."""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go

from pipeline.records import ComparisonRow


@dataclass(frozen=True)
class Differences:
    """One threshold's (statistic label, paired row) pairs, named and coloured as drawn."""

    name: str
    colour: str
    rows: list[tuple[str, ComparisonRow]]


def difference_figure(series: list[Differences], x_title: str) -> go.Figure:
    figure = go.Figure()
    for one in series:
        usable = [(label, row) for label, row in one.rows if row.low is not None]
        figure.add_scatter(
            x=[row.difference for _, row in usable],
            y=[label for label, _ in usable],
            mode="markers",
            name=one.name,
            marker={"size": 11, "color": one.colour},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [row.high - row.difference for _, row in usable],
                "arrayminus": [row.difference - row.low for _, row in usable],
            },
            hovertemplate="%{y}: %{x:+.3f}<extra>" + one.name + "</extra>",
        )
    figure.add_vline(x=0, line={"color": "#888", "dash": "dot"})
    figure.update_layout(
        height=300,
        margin={"t": 30, "b": 10, "l": 10, "r": 10},
        scattermode="group",
        xaxis_title=x_title,
        legend={"orientation": "h", "y": 1.15},
    )
    figure.update_yaxes(autorange="reversed")
    return figure
