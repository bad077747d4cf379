"""What the speaker view follows: the talk's current page, its notes and the talk's clock.

The presenting tab writes, the speaker's tab (``?present=1&speaker=1``) reads, each in its own
Streamlit session; the state they share is one object per server process (st.cache_resource).
A PneumoLab server serves one talk at a time: whichever tab presents last is followed.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import streamlit as st

from pipeline.talk.notes import Notes


@dataclass
class TalkState:
    page: str | None = None  # the path of the page on the projector (dashboard.app.pages)
    changed: float = 0.0  # when it got there (time.time())
    started: float | None = None  # when the talk's clock started: page 1 first shown, or reset
    notes: dict[str, Notes] = field(default_factory=dict)  # page path -> its latest notes
    lock: threading.Lock = field(default_factory=threading.Lock)


@st.cache_resource
def talk_state() -> TalkState:
    return TalkState()


def follow(page: str, first_page: str) -> None:
    """The presenting tab shows ``page``; the clock starts at the talk's first page."""
    state = talk_state()
    with state.lock:
        if page != state.page:
            state.page, state.changed = page, time.time()
        if state.started is None and page == first_page:
            state.started = time.time()


def publish_notes(page: str, notes: Notes) -> None:
    state = talk_state()
    with state.lock:
        state.notes[page] = notes


def restart_clock() -> None:
    state = talk_state()
    with state.lock:
        state.started = time.time()


def snapshot() -> tuple[str | None, float, float | None, Notes | None]:
    """(page, changed, started, its notes) read together."""
    state = talk_state()
    with state.lock:
        return state.page, state.changed, state.started, state.notes.get(state.page or "")
