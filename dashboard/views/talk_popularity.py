"""2 · Who uses which framework: published counts only (``pipeline.talk.popularity``), each with
who counted what and when. The talk's October 2017 chart has no published count to check it
against: March 2017's stands in, and the page says so (``popularity.OCTOBER_2017``)."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from dashboard.charts.bars import TALK_COLOURS, ranked_bars
from dashboard.widgets.slide import Slide
from pipeline.talk import notes, popularity

# ---- figures ----


def arxiv_figure() -> go.Figure:
    bars = [(s.name, s.percent, f"{s.percent:g}%") for s in popularity.ARXIV_2017]
    return ranked_bars(
        bars,
        "% of March 2017 ML papers on arXiv that mention it",
        [0, 11],
        height=400,
    )


def conference_figure() -> go.Figure:
    shares = popularity.CONFERENCES_2019
    figure = go.Figure(
        go.Bar(
            x=[s.name for s in shares],
            y=[s.percent for s in shares],
            marker_color=TALK_COLOURS["PyTorch"],
            marker_pattern_shape=["/" if s.at_least else "" for s in shares],
            text=[f"{'≥ ' if s.at_least else ''}{s.percent:g}%" for s in shares],
            textposition="outside",
            cliponaxis=False,
        )
    )
    figure.add_hline(y=50, line_dash="dot", line_color="#888", annotation_text="half")
    figure.update_yaxes(title="PyTorch share of PyTorch-or-TensorFlow papers (%)", range=[0, 100])
    figure.update_layout(height=400, margin=dict(t=10, b=10, l=10, r=10), plot_bgcolor="white")
    return figure


# ---- the page ----


def main() -> None:
    slide = Slide("2 · Who uses which framework")
    with slide.key():
        early, late = st.columns(2, gap="large")
        early.markdown(f"**[2017: arXiv mentions]({popularity.KARPATHY_2017})** (March)")
        early.plotly_chart(
            arxiv_figure(), width="stretch", config={"displayModeBar": False}, key="pop_arxiv"
        )
        late.markdown(f"**[2019: research conferences]({popularity.HE_2019})**")
        late.plotly_chart(
            conference_figure(),
            width="stretch",
            config={"displayModeBar": False},
            key="pop_conferences",
        )
    left, right = st.columns(2, gap="large")
    left.caption(popularity.ARXIV_2017_BASIS)
    right.caption(popularity.CONFERENCES_2019_BASIS + " Hatched: a lower bound.")
    st.caption(popularity.OCTOBER_2017)
    slide.notes(notes.popularity(popularity.ARXIV_2017, popularity.CONFERENCES_2019))


main()
