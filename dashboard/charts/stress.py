"""Shift stress as a figure, written once: one small panel per shift, a metric at severities 0
(clean) to 3, each framework in its colour."""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.charts.style import FRAMEWORK_COLOURS
from pipeline.evaluate import stress as stress_module
from pipeline.frameworks import FRAMEWORK_NAMES


def stress_figure(reports: dict, metric: str) -> go.Figure:
    """One small panel per shift: the metric at severities 0 (clean) to 3, both frameworks."""
    shifts = stress_module.SHIFTS
    columns = 6
    figure = make_subplots(
        rows=2,
        cols=columns,
        subplot_titles=[s.name for s in shifts],
        shared_yaxes=True,
        horizontal_spacing=0.02,
        vertical_spacing=0.18,
    )
    for framework, report in reports.items():
        for index, shift in enumerate(shifts):
            values = [getattr(report.clean, metric)] + [
                getattr(row, metric) for row in report.rows if row.shift == shift.name
            ]
            figure.add_scatter(
                x=[0, 1, 2, 3],
                y=values,
                mode="lines+markers",
                name=FRAMEWORK_NAMES[framework],
                legendgroup=framework,
                showlegend=index == 0,
                line={"color": FRAMEWORK_COLOURS[framework]},
                hovertemplate=f"{shift.name} severity %{{x}}: {metric} %{{y:.3f}}"
                f"<extra>{FRAMEWORK_NAMES[framework]}</extra>",
                row=index // columns + 1,
                col=index % columns + 1,
            )
    floor = min(
        min(
            v
            for v in [getattr(r.clean, metric)] + [getattr(x, metric) for x in r.rows]
            if v is not None
        )
        for r in reports.values()
    )
    figure.update_yaxes(range=[max(0.0, floor - 0.05), 1.0])
    figure.update_xaxes(tickvals=[0, 1, 2, 3], ticktext=["0", "1", "2", "3"])
    figure.update_layout(
        height=420,
        margin={"t": 40, "b": 10, "l": 10, "r": 10},
        legend={"orientation": "h", "y": -0.08},
    )
    return figure
