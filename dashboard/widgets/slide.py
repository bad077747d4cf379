"""One shape for every talk page in presenter mode: what the audience must see first, the controls
folded away, and notes for the speaker's own view.

    slide = Slide("3 · The model")               # the page's title, then the slide
    with slide.controls("Run and threshold"):    # an expander in presenter mode, in place otherwise
        ...widgets...
    with slide.key():                            # the figure or headline numbers: first in presenter mode
        ...
    slide.key_chart(figure, "chart_key", caption)  # or a key content of one chart and its caption
    slide.notes(notes.evaluation(evaluation))    # shown in the speaker view (?present=1&speaker=1)
    if not slide.more("Curves, calibration, seeds and stress"):
        return                                   # presenter mode: the rest waits for the switch

Outside presenter mode nothing moves: the controls and the key content are drawn where they are
called, as before, and ``more`` is always true. In presenter mode the rest of a page (further
figures and tables, which the audience would have to scroll to) is drawn only once the speaker
switches it on: a slide's browser work is then its key content alone, which is what brings
the heaviest pages under a second after PageDown (docs/architecture.md, "Between two runs").

The key content's container is the element the browser tests check: fully
inside a 1280 x 720 and a 1920 x 1080 window, above the bar.
"""

from __future__ import annotations

import contextlib
import re

import streamlit as st

from dashboard.app.presenter import MODE_KEY, PAGE_KEY
from dashboard.app.speaker import publish_notes
from dashboard.widgets.layout import show_chart
from pipeline.talk.notes import Notes

KEY = "slide_key"  # the key content's container: CSS class st-key-slide_key


def presenting() -> bool:
    return bool(st.session_state.get(MODE_KEY, False))


class Slide:
    def __init__(self, title: str | None = None) -> None:
        if title is not None:
            st.title(title)
        # in presenter mode the key content's place is taken now, above everything drawn later
        self._lead = st.container(key=KEY) if presenting() else None

    def controls(self, label: str = "Settings"):
        """Widgets the speaker may need but the audience need not see: folded in presenter mode."""
        if presenting():
            return st.expander(label, icon=":material/tune:")
        return contextlib.nullcontext()

    def key(self):
        """The block the audience must see: at the top in presenter mode, in place otherwise."""
        return self._lead if self._lead is not None else st.container(key=KEY)

    def key_chart(self, figure, chart_key: str, caption: str) -> None:
        """The key content as one chart, without plotly's toolbar, and its caption."""
        with self.key():
            show_chart(figure, chart_key)
            st.caption(caption)

    def more(self, label: str) -> bool:
        """Whether to draw the rest of the page: always, except in presenter mode, where a
        switch (off when the slide opens) holds it back until the talk goes there."""
        if not presenting():
            return True
        page = re.sub(r"\W", "_", st.session_state.get(PAGE_KEY, "page"))
        return st.toggle(label, key=f"slide_more_{page}", help="Draws the rest of this page.")

    def notes(self, notes: Notes) -> None:
        """Hand the page's notes to the speaker view (presenter mode only; cheap otherwise)."""
        page = st.session_state.get(PAGE_KEY)
        if presenting() and page:
            publish_notes(page, notes)
