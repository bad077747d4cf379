"""The closing slide: questions, with the claim the talk tested and its four parts
(``pipeline.talk.outline``). No person is named."""

from __future__ import annotations

import streamlit as st

from dashboard.widgets.frame_slide import centred
from dashboard.widgets.slide import Slide
from pipeline.talk import notes, outline

# ---- sections ----


def show_closing() -> None:
    with centred("talk_questions"):
        st.title(outline.QUESTIONS, anchor=False)
        st.markdown(f"### {outline.TITLE}")
        st.markdown(f"> {outline.CLAIM}")
        st.markdown("  ·  ".join(f"**{part.number}** {part.name}" for part in outline.PARTS))
        st.caption("Every page stays live: go back to any of them to answer with the data.")


# ---- the page ----


def main() -> None:
    slide = Slide()
    with slide.key():
        show_closing()
    slide.notes(notes.questions(outline.TITLE))


main()
