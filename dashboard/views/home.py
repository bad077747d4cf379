"""Home: what PneumoLab is, the active data source, and the way to each page."""

import streamlit as st

from dashboard.app.pages import TALK
from dashboard.app.presenter import start_talk
from dashboard.app.warmup import warmup_action
from dashboard.cache.datasets import cached_summary
from dashboard.widgets.common import read_active_source
from pipeline.data.images import code_span
from pipeline.legal import ATTRIBUTION, NOT_A_MEDICAL_DEVICE

# ---- the page ----


def main() -> None:
    st.title("PneumoLab")
    st.markdown(
        "Keras and PyTorch side by side on one real task: telling **pneumonia** from **normal** in "
        "pediatric chest X-rays.  \nSee for yourself whether *data processing makes the difference*, "
        "with your own data and your own runs."
    )
    st.warning(NOT_A_MEDICAL_DEVICE, icon=":material/medical_information:")

    source, summary = read_active_source(cached_summary)

    totals = summary.totals
    left, middle, right = st.columns(3)
    left.metric("Active source", summary.kind)
    middle.metric("Images", f"{summary.images:,}")
    right.metric("NORMAL : PNEUMONIA", f"{totals['NORMAL']:,} : {totals['PNEUMONIA']:,}")
    st.caption(f"Source: {code_span(source)}")
    if summary.skipped:
        count = len(summary.skipped)
        st.caption(
            f"{count} {'file' if count == 1 else 'files'} skipped: the Dataset explorer lists them with the reason."
        )

    st.subheader("Giving the talk")
    present, warm = st.columns(2)
    if present.button(
        "Present the talk",
        key="home_present",
        icon=":material/slideshow:",
        type="primary",
        help="Presenter mode from page 1: larger type, sidebar collapsed, previous / next buttons. "
        "The address then ends in ?present=1: a reload or a shared link stays in the mode.",
    ):
        start_talk()
    with warm:
        warmup_action(key="warmup_home")

    st.subheader("Pages, in the talk's order")
    for page in TALK:
        st.page_link(page.path, label=f"{page.title}: {page.blurb}", icon=page.icon)

    st.caption(ATTRIBUTION)


main()
