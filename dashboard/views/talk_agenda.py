"""The agenda: the talk's four parts, each with the slides that belong to it, read from the one
list of pages (``dashboard.app.pages``), so the agenda follows the navigation."""

from __future__ import annotations

import streamlit as st

from dashboard.app.pages import TALK
from dashboard.widgets.slide import Slide
from pipeline.talk import notes, outline

# ---- sections ----


def pages_by_part() -> dict[int, list]:
    """Part number -> its pages in the talk's order: each numbered page ("3 · The model" is in
    part 3) and the app's tools that follow it, up to the last numbered page."""
    found: dict[int, list] = {part.number: [] for part in outline.PARTS}
    numbered = [i for i, page in enumerate(TALK) if outline.part_of(page.title) in found]
    current = None
    for page in TALK[numbered[0] : numbered[-1] + 1]:
        current = outline.part_of(page.title) or current
        found[current].append(page)
    return found


def line(page) -> str:
    """A numbered page by its title; an app tool in grey italics."""
    if outline.part_of(page.title) is None:
        return f"- :gray[*{page.title}*]"
    return f"- {page.title.split('·', 1)[1].strip()}"


def show_parts(by_part: dict[int, list]) -> None:
    for column, part in zip(st.columns(len(outline.PARTS), gap="medium"), outline.PARTS):
        with column.container(border=True, height="stretch"):
            st.markdown(f"#### {part.number} · {part.name}")
            st.caption(part.what)
            st.markdown("\n".join(line(page) for page in by_part[part.number]))


# ---- the page ----


def main() -> None:
    slide = Slide("Agenda")
    by_part = pages_by_part()
    with slide.key():
        show_parts(by_part)
    st.caption("In grey: the app's own tools, where they serve the talk.")
    slide.notes(notes.agenda(outline.PARTS, {n: len(pages) for n, pages in by_part.items()}))


main()
