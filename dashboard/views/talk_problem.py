"""3 · Demonstration, the problem: the clinical task, then the active data set described.

Structure, quantity, origin and quality all come from ``pipeline.talk.data_description`` applied
to the active source's summary and scan, the same ones the Dataset explorer uses. No framework
is imported here.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.app.pages import TALK
from dashboard.cache.datasets import cached_scan, cached_summary
from dashboard.context.source import active_source
from dashboard.widgets.common import stop_unreadable_source
from dashboard.widgets.slide import Slide, presenting
from pipeline.data import SourceError, open_source
from pipeline.data.images import code_span
from pipeline.talk import kermany, notes
from pipeline.talk.data_description import Origin, Quality, Quantity, Structure, describe_data

NEXT_PAGES = (
    "views/explorer.py",
    "views/augmentation.py",
    "views/training.py",
    "views/evaluation.py",
    "views/predictions.py",
)
FINDING_STYLE = {"ok": st.success, "info": st.info, "warning": st.warning}


@st.cache_data(show_spinner=False, max_entries=16)
def source_description(source: str) -> str:
    return open_source(source).describe()


def show_task() -> None:
    st.markdown(
        "**The task.** Tell **PNEUMONIA** from **NORMAL** on pediatric chest X-rays: pneumonia is a leading "
        "cause of death in children under five worldwide, and reading the films takes a trained eye that is "
        "not always at hand.\n\n"
        f"**The data.** [Kermany et al., Cell 2018]({kermany.CELL}): anterior-posterior chest X-rays of "
        "children aged one to five from Guangzhou Women and Children's Medical Center, graded by two "
        "expert physicians (a third checked the test set). About one NORMAL image for every three "
        "PNEUMONIA (bacterial or viral). Their transfer-learned Inception-V3 reached 92.8% accuracy on the "
        f"{kermany.FILES['test']}-image test split.\n\n"
        f"**How many.** {kermany.counts_sentence()} ([description]({kermany.KAGGLE}), "
        f"[Mendeley Data]({kermany.MENDELEY}))"
    )


def show_structure(structure: Structure) -> None:
    st.subheader("Structure")
    st.markdown(structure.layout)
    table = pd.DataFrame(structure.table).T
    table.index.name = "split"
    st.dataframe(table, width="content")


def show_quantity(quantity: Quantity) -> None:
    st.subheader("Quantity")
    totals = quantity.totals
    images, normal = st.columns(2)
    pneumonia, ratio = st.columns(2)
    images.metric("Images", f"{quantity.images:,}")
    normal.metric("NORMAL", f"{totals['NORMAL']:,}")
    pneumonia.metric("PNEUMONIA", f"{totals['PNEUMONIA']:,}")
    per_normal = quantity.pneumonia_per_normal
    ratio.metric(
        "PNEUMONIA per NORMAL", f"{per_normal:.2f}" if per_normal is not None else "no NORMAL"
    )
    if quantity.patients is None:
        st.caption("The source names no patients.")
    else:
        patients = ", ".join(f"{split} {count:,}" for split, count in quantity.patients.items())
        st.caption(
            f"Patients: {patients}; {quantity.images_per_patient:.2f} images per patient on average."
        )


def show_origin(origin: Origin) -> None:
    st.subheader("Origin")
    st.markdown(f"**{origin.kind}**: {origin.description}")
    st.caption(
        f"Source {code_span(origin.location)}, fingerprint `{origin.fingerprint}` (changes when a file does). "
        "Pick another source in the sidebar."
    )


def show_quality(quality: Quality) -> None:
    st.subheader("Quality")
    for finding in quality.findings:
        FINDING_STYLE[finding.level](finding.text)
    if quality.skipped:
        count = len(quality.skipped)
        title = (
            "The skipped file and its reason"
            if count == 1
            else f"The {count:,} skipped files, each with its reason"
        )
        with st.expander(title):
            st.dataframe(
                pd.DataFrame(quality.skipped, columns=["path", "reason"]),
                hide_index=True,
                width="stretch",
            )


def show_next_steps() -> None:
    st.subheader("From here")
    by_path = {page.path: page for page in TALK}
    for path in NEXT_PAGES:
        page = by_path[path]
        st.page_link(page.path, label=f"{page.title}: {page.blurb}", icon=page.icon)


# ---- the page ----


def main() -> None:
    st.title("3 · Demonstration: the problem")
    slide = Slide()
    if not presenting():  # on the projector the counts come first, the task's words after them
        show_task()
    source = active_source()
    try:
        summary = cached_summary(source)
        scan = cached_scan(source)
        description = source_description(source)
    except (SourceError, OSError, ValueError) as error:
        stop_unreadable_source(source, error)
    data = describe_data(summary, scan, description)
    with slide.key():
        structure_column, quantity_column = st.columns(2, gap="large")
        with structure_column:
            show_structure(data.structure)
        with quantity_column:
            show_quantity(data.quantity)
    if presenting():
        show_task()
    show_origin(data.origin)
    show_quality(data.quality)
    show_next_steps()
    slide.notes(notes.problem(data))


main()
