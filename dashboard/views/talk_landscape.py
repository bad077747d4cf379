"""2 · The framework landscape: the talk's comparison table of deep-learning software, each cell
with its source (``pipeline.talk.software_table``); where the table says something else than the
talk's, the correction is named under it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.widgets.layout import linked_table
from dashboard.widgets.slide import Slide
from pipeline.talk import notes
from pipeline.talk.software_table import (
    COLUMNS,
    SOFTWARE,
    WIKIPEDIA,
    corrections_text,
    source_rows,
    table_rows,
)

# ---- sections ----


def show_table(rows: list[dict[str, str]]) -> None:
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", height="content")
    st.caption(
        f"{len(SOFTWARE)} projects, {len(COLUMNS)} columns in the style of Wikipedia's [Comparison of deep "
        f"learning software]({WIKIPEDIA}); every cell's source is listed below. {corrections_text()}."
    )


def show_sources(rows: list[dict[str, str]]) -> None:
    with st.expander(f"The source of each of the {len(rows) * len(COLUMNS)} cells"):
        linked_table(source_rows(), "source", link_text=None)


# ---- the page ----


def main() -> None:
    slide = Slide("2 · The deep-learning software landscape")
    rows = table_rows()
    with slide.key():
        show_table(rows)
    show_sources(rows)
    slide.notes(notes.landscape([row["Software"] for row in rows], rows))


main()
