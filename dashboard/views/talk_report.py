"""3 · Evaluation, the talk's report: the classification report the talk's slide prints, beside the
same report measured here for the Conclusion's default runs on the active source
(``pipeline.talk.talk_report``), and the class-index flip between the talk's report and its CSV.

The measured report is read from the disk cache when the Conclusion, the warm-up or an earlier
visit scored the run; otherwise a button scores it (seconds to a minute, once).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.cache.talk_live import measured_report
from dashboard.cache.trained_models import updated
from dashboard.context.source import active_source
from dashboard.widgets.common import framework_name
from dashboard.widgets.slide import Slide
from pipeline.data import SourceError
from pipeline.data.images import code_span
from pipeline.frameworks import FRAMEWORKS
from pipeline.inference import ModelLoadError
from pipeline.runs import Run
from pipeline.talk import notes, origins, talk_report

UNUSABLE = (ModelLoadError, SourceError, OSError, ValueError, KeyError)
SCORE_KEY = "talk_report_score"  # run ids this session asked to score

# ---- sections ----


def report_frame(report: talk_report.Report, talk_names: bool) -> pd.DataFrame:
    """sklearn's layout: a row per class, then accuracy."""
    rows = [
        {
            "": f"{row.name.capitalize()} (class {row.index})"
            if talk_names
            else f"{row.name} ({row.index})",
            "precision": f"{row.precision:.2f}",
            "recall": f"{row.recall:.2f}",
            "f1-score": f"{row.f1:.2f}",
            "support": f"{row.support:,}",
        }
        for row in report.rows
    ]
    rows.append(
        {
            "": "accuracy",
            "precision": "",
            "recall": "",
            "f1-score": f"{report.accuracy:.2f}",
            "support": f"{report.images:,}",
        }
    )
    return pd.DataFrame(rows).set_index("")


def pick_framework(slide: Slide) -> str:
    with slide.controls("Which run"):
        return st.radio(
            "Measured report of",
            FRAMEWORKS,
            format_func=framework_name,
            horizontal=True,
            key="talk_report_framework",
        )


def measured_for(run: Run | None, source: str) -> talk_report.Report | None:
    """The run's report when it is cached or this session asked for it; else None (a button)."""
    if run is None:
        st.info("No finished run of this framework on this data yet: the Training page trains one.")
        st.page_link("views/training.py", label="Training", icon=":material/model_training:")
        return None
    asked = run.id in st.session_state.get(SCORE_KEY, ())
    if not (asked or talk_report.is_measured(run, source)):
        if st.button(
            "Score the test split", key="talk_report_score_button", icon=":material/analytics:"
        ):
            st.session_state[SCORE_KEY] = (*st.session_state.get(SCORE_KEY, ()), run.id)
            st.rerun()
        st.caption(f"Run {run.id[:8]} has not been scored on the test split yet.")
        return None
    try:
        with st.spinner("Scoring the test split (once, then cached)..."):
            return measured_report(run.id, updated(run.id), source)
    except UNUSABLE as error:
        st.error(f"Run {run.id[:8]} cannot be scored here: {error}")
        return None


def show_reports(framework: str, run: Run | None, source: str) -> talk_report.Report | None:
    talk, here = st.columns(2, gap="large")
    with talk:
        st.markdown(f"**The talk's report** ({talk_report.TALK.images} test images)")
        st.table(report_frame(talk_report.TALK, talk_names=True))
    with here:
        st.markdown(f"**Measured here: {framework_name(framework)}**")
        report = measured_for(run, source)
        if report is not None:
            st.table(report_frame(report, talk_names=False))
            st.caption(report.origin)
    return report


# ---- the page ----


def main() -> None:
    st.title("3 · Evaluation: the talk's report")
    slide = Slide()
    framework = pick_framework(slide)
    source = active_source()
    runs = talk_report.default_runs(source)
    with slide.key():
        report = show_reports(framework, runs.get(framework), source)
        st.caption(talk_report.CLASS_FLIP)
    st.caption(
        f"Measured on the test split of {code_span(source)}. Threshold: {origins.marked('threshold')}."
    )
    slide.notes(notes.talk_report(talk_report.TALK, {framework_name(framework): report}))


main()
