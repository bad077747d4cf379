"""The closing slide: questions, with the claim the talk tested and its four parts
(``pipeline.talk.outline``). No person is named."""

from __future__ import annotations

from dashboard.widgets.frame_slide import frame_slide
from dashboard.widgets.slide import Slide
from pipeline.talk import notes, outline

# ---- sections ----


def show_closing() -> None:
    frame_slide(
        "talk_questions",
        outline.QUESTIONS,
        outline.TITLE,
        "Every page stays live: go back to any of them to answer with the data.",
    )


# ---- the page ----


def main() -> None:
    slide = Slide()
    with slide.key():
        show_closing()
    slide.notes(notes.questions(outline.TITLE))


main()
