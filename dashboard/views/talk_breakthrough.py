"""2 · The breakthrough of deep-learning frameworks: DLBench's figure, redrawn from its sources.

The frameworks are the nine that DLBench's introduction names with its Fig. 1; each is placed at
its first public release as its own paper or repository records it (``pipeline.talk.dlbench``),
with AlexNet's year marked: most came within five years after it. No framework is imported.
"""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from dashboard.widgets.layout import linked_table
from dashboard.widgets.slide import Slide
from pipeline.talk import dlbench, notes

ALEXNET = 2012
HIGHLIGHT = {"Keras": "#d1495b", "PyTorch": "#3b75af", "TensorFlow": "#e9a03b"}

# ---- figures ----


def timeline_figure() -> go.Figure:
    """One row per framework, oldest at the top, a marker at its first release."""
    releases = dlbench.RELEASES
    figure = go.Figure(
        go.Scatter(
            x=[r.year for r in releases],
            y=list(range(len(releases))),
            mode="markers+text",
            text=[f"{r.name} ({r.year})" for r in releases],
            textposition="middle right",
            textfont=dict(size=14),
            marker=dict(size=16, color=[HIGHLIGHT.get(r.name, "#9aa5b1") for r in releases]),
            customdata=[r.what for r in releases],
            hovertemplate="<b>%{text}</b><br>%{customdata}<extra></extra>",
        )
    )
    figure.add_vline(
        x=ALEXNET,
        line_dash="dash",
        line_color="#888",
        annotation_text="AlexNet wins ImageNet",
        annotation_position="bottom right",
    )
    figure.update_yaxes(autorange="reversed", visible=False)
    figure.update_xaxes(range=[2006.5, 2019.5], dtick=1, showgrid=True, gridcolor="#eeeeee")
    figure.update_layout(height=420, margin=dict(t=10, b=10, l=10, r=10), plot_bgcolor="white")
    return figure


# ---- the page ----


def main() -> None:
    slide = Slide("2 · The breakthrough of deep-learning frameworks")
    slide.key_chart(
        timeline_figure(),
        "dlb_timeline",
        f"The frameworks named with Fig. 1 of [{dlbench.CITATION}]({dlbench.DOI}), each at its first "
        "public release as its own paper or repository dates it (the figure's drawing is not copied).",
    )
    with st.expander("Each release with its source"):
        linked_table(
            [
                {"framework": r.name, "first release": r.year, "source": r.source, "link": r.url}
                for r in dlbench.RELEASES
            ],
            "link",
        )
    slide.notes(notes.breakthrough(dlbench.RELEASES, dlbench.CITATION))


main()
