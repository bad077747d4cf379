"""The talk's conclusion bullets beside the measurements, as a section any page can draw:

    from dashboard.widgets.talk_bullets import show_talk_bullets
    report = show_talk_bullets(source)          # one row per topic; returns the BulletReport
    slide.notes(notes.bullets(report))          # or fold its lines into the page's own notes

Everything it shows comes from ``pipeline.talk.talk_bullets.check`` (files and run records, no
scoring), so it costs milliseconds on every run of the page.
"""

from __future__ import annotations

import streamlit as st

from pipeline.talk.talk_bullets import VERDICTS, BulletReport, Measure, Topic, check

VERDICT_STYLE = {
    "agrees": ":green[agrees]",
    "disagrees": ":red[says the opposite]",
    "mixed": ":orange[mixed]",
    "not measured": ":gray[not measured yet]",
}


def _value(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f} {unit}" if value >= 10 else f"{value:,.1f} {unit}"


def _measure_line(measure: Measure) -> str:
    return (
        f"{measure.name}: Keras {_value(measure.keras, measure.unit)}, "
        f"PyTorch {_value(measure.torch, measure.unit)}"
    )


def _topic_row(topic: Topic) -> None:
    talk, measured, verdict = st.columns([2, 4, 1.3], vertical_alignment="center")
    talk.markdown(
        f"**{topic.topic}**  \nKeras: *{topic.keras_bullet}*  \nPyTorch: *{topic.torch_bullet}*"
    )
    measured.markdown("  \n".join(_measure_line(m) for m in topic.measures))
    verdict.markdown(VERDICT_STYLE[topic.verdict], help=VERDICTS[topic.verdict])


def show_talk_bullets(source: str) -> BulletReport:
    """The three topics of the talk's conclusion, each with its measurements and verdict."""
    report = check(source)
    with st.container(border=True, key="talk_bullets"):
        for topic in report.topics:
            _topic_row(topic)
    st.caption(
        " · ".join(f"{topic.topic}: {m.source}" for topic in report.topics for m in topic.measures)
    )
    return report
