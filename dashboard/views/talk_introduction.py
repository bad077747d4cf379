"""1 · Introduction: deep learning's history as a timeline, and the ImageNet error falling year by year.

Every event and number comes from ``pipeline.talk.history``, where each names its source.
No framework is imported: this page only draws data.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard.widgets.slide import Slide, presenting
from pipeline.talk import notes
from pipeline.talk.history import HUMAN_TOP5, ILSVRC_TOP5, THEMES, TIMELINE, WINTERS

THEME_COLOURS = dict(zip(THEMES, ("#3b75af", "#d1495b", "#2a9d8f", "#e9a03b", "#7b5ea7")))
DEEP, SHALLOW, HUMAN = "#3b75af", "#9aa5b1", "#d1495b"


def timeline_figure(selected: set[str], row_height: int = 27) -> go.Figure:
    """One row per event, oldest at the top, coloured by theme; the AI winters shaded.

    A row each keeps every label readable where events crowd (2012-2017); hover adds the why.
    """
    events = [e for e in TIMELINE if e.theme in selected]
    figure = go.Figure()
    for era in WINTERS:
        figure.add_vrect(
            x0=era.start,
            x1=era.end,
            fillcolor="#9aa5b1",
            opacity=0.18,
            line_width=0,
            annotation_text=era.name,
            annotation_position="bottom left",
            annotation_font_size=12,
        )
    for theme in THEMES:
        rows = [(row, e) for row, e in enumerate(events) if e.theme == theme]
        if not rows:
            continue
        figure.add_scatter(
            x=[e.year for _, e in rows],
            y=[row for row, _ in rows],
            mode="markers+text",
            name=theme,
            text=[f"{e.year} · {e.title}" for _, e in rows],
            # late events are labelled on their left, so that no label runs off the chart
            textposition=["middle left" if e.year > 2000 else "middle right" for _, e in rows],
            textfont=dict(size=12),
            marker=dict(size=13, color=THEME_COLOURS[theme], line=dict(width=1, color="white")),
            customdata=[[e.what, e.why] for _, e in rows],
            hovertemplate=(
                "<b>%{text}</b><br>%{customdata[0]}<br>"
                "<i>Why it mattered:</i> %{customdata[1]}<extra></extra>"
            ),
        )
    figure.update_yaxes(autorange="reversed", visible=False)
    figure.update_xaxes(range=[1952, 2027], dtick=5, showgrid=True, gridcolor="#eeeeee")
    figure.update_layout(
        height=90 + row_height * len(events),
        margin=dict(t=10, b=10, l=10, r=10),
        legend=dict(orientation="h", y=1.02, yanchor="bottom", title_text=""),
        hoverlabel=dict(align="left"),
        plot_bgcolor="white",
    )
    return figure


def imagenet_figure() -> go.Figure:
    """Winning top-5 error by year; deep networks from 2012 on; the human estimate as a line."""
    figure = go.Figure(
        go.Bar(
            x=[r.year for r in ILSVRC_TOP5],
            y=[r.top5_error for r in ILSVRC_TOP5],
            marker_color=[DEEP if r.deep else SHALLOW for r in ILSVRC_TOP5],
            text=[f"{r.top5_error:g}%" for r in ILSVRC_TOP5],
            cliponaxis=False,
            # bars below the human line carry their label inside, clear of the dashed line
            textposition=[
                "inside" if r.top5_error < HUMAN_TOP5.top5_error else "outside" for r in ILSVRC_TOP5
            ],
            insidetextanchor="end",
            insidetextfont=dict(color="white"),
            customdata=[r.winner for r in ILSVRC_TOP5],
            hovertemplate="%{x}: %{y}% top-5 error<br>%{customdata}<extra></extra>",
        )
    )
    figure.add_hline(
        y=HUMAN_TOP5.top5_error,
        line_dash="dash",
        line_color=HUMAN,
        annotation_text=f"human estimate {HUMAN_TOP5.top5_error:g}%",
        annotation_position="top right",
        annotation_font_color=HUMAN,
    )
    alexnet = next(r for r in ILSVRC_TOP5 if r.year == 2012)
    figure.add_annotation(
        x=2012.3,
        y=alexnet.top5_error + 3,
        text="AlexNet: the first deep CNN to win",
        showarrow=True,
        arrowhead=2,
        ax=70,
        ay=-35,
        xanchor="left",
        font=dict(size=12),
    )
    figure.update_xaxes(dtick=1, title="ILSVRC year")
    figure.update_yaxes(title="top-5 classification error (%)", range=[0, 33])
    figure.update_layout(height=400, margin=dict(t=30, b=10, l=10, r=10), plot_bgcolor="white")
    return figure


def sources_table(rows: list[dict]) -> None:
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        width="stretch",
        column_config={"link": st.column_config.LinkColumn("link", display_text="open")},
    )


# ---- sections ----


def show_timeline(slide: Slide) -> list[str]:
    """The theme pills and the timeline; returns the themes shown."""
    with slide.controls("Themes"):
        themes = st.pills(
            "Show", THEMES, default=list(THEMES), selection_mode="multi", key="intro_themes"
        )
    with slide.key():
        if themes:
            st.plotly_chart(
                timeline_figure(set(themes), 22 if presenting() else 27),
                width="stretch",
                config={"displayModeBar": False},
            )
        else:
            st.info("Pick at least one theme above to draw the timeline.")
    return themes


def event_sources(themes: list[str]) -> None:
    """Every event of the themes shown, and every winter, with its source."""
    with st.expander("Every event, with its source"):
        sources_table(
            [
                {
                    "year": e.year,
                    "event": e.title,
                    "what": e.what,
                    "why it mattered": e.why,
                    "source": e.source,
                    "link": e.url,
                }
                for e in TIMELINE
                if e.theme in (themes or THEMES)
            ]
            + [
                {
                    "year": w.start,
                    "event": f"{w.name} ({w.start}-{w.end})",
                    "what": w.why,
                    "why it mattered": "",
                    "source": w.source,
                    "link": w.url,
                }
                for w in WINTERS
            ]
        )


def show_imagenet() -> None:
    """The winning error by year, what it means, and the winners with their sources."""
    st.subheader("ImageNet: the error that fell")
    chart, text = st.columns([3, 2])
    chart.plotly_chart(imagenet_figure(), width="stretch", config={"displayModeBar": False})
    deep, last = next(r for r in ILSVRC_TOP5 if r.deep), ILSVRC_TOP5[-1]
    shallow = [r for r in ILSVRC_TOP5 if not r.deep]
    text.markdown(
        f"The ImageNet Large Scale Visual Recognition Challenge (ILSVRC) asked for five guesses per "
        f"image among 1,000 classes; an image counts as an error when none of the five is right.\n\n"
        f"- {', '.join(f'{r.year}: **{r.top5_error:g}%**' for r in shallow)} error with hand-made "
        "features and linear SVMs.\n"
        f"- {deep.year}: {deep.winner}, a deep CNN trained on GPUs: **{deep.top5_error:g}%**.\n"
        f"- {last.year}: **{last.top5_error:g}%**, below the **{HUMAN_TOP5.top5_error:g}%** one trained "
        f"person reached on the same task.\n\n"
        "Convolutional networks, more data and GPUs: the same three ingredients this demonstration uses "
        "on chest X-rays."
    )
    with text.expander("Winners and sources"):
        sources_table(
            [
                {
                    "year": r.year,
                    "top-5 error (%)": r.top5_error,
                    "winner": r.winner,
                    "note": r.note,
                    "source": r.source,
                    "link": r.url,
                }
                for r in (*ILSVRC_TOP5, HUMAN_TOP5)
            ]
        )
    st.caption(f"Human estimate: {HUMAN_TOP5.winner} ({HUMAN_TOP5.note}); {HUMAN_TOP5.source}.")


# ---- the page ----


def main() -> None:
    slide = Slide("1 · Introduction: how deep learning got here")
    if not presenting():
        st.markdown(
            "Seventy years from one learning neuron to networks that read X-rays, with two long "
            "winters on the way. Hover over an event for what happened and why it mattered."
        )
    themes = show_timeline(slide)
    event_sources(themes)
    show_imagenet()
    slide.notes(notes.introduction(TIMELINE, WINTERS, ILSVRC_TOP5, HUMAN_TOP5))


main()
