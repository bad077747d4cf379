"""The title slide: the talk's title, its subject, the claim the talk sets out to test and its
four parts (``pipeline.talk.outline``). No person is named."""

from __future__ import annotations

from dashboard.widgets.frame_slide import frame_slide
from dashboard.widgets.slide import Slide
from pipeline.talk import notes, outline

# ---- sections ----


def show_title() -> None:
    frame_slide(
        "talk_title",
        outline.TITLE,
        outline.SUBTITLE,
        "Every slide after this one is computed live, on this machine, from the data source picked "
        "in the sidebar: the claim is tested, not repeated.",
    )


# ---- the page ----


def main() -> None:
    slide = Slide()
    with slide.key():
        show_title()
    slide.notes(notes.title(outline.TITLE, outline.CLAIM))


main()
