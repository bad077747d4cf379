"""The speaker view (``?present=1&speaker=1``, in a second tab or window): the notes of the page on
the projector, the page after it, and the talk's clock. It follows the presenting tab by polling
``dashboard.app.speaker`` once a second; the audience never sees it.
"""

from __future__ import annotations

import time

import streamlit as st

from dashboard.app.pages import HOME, TALK, neighbours
from dashboard.app.speaker import restart_clock, snapshot

TITLES = {page.path: page for page in (HOME, *TALK)}
POLL_S = 1.0


def clock(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    return (
        f"{minutes // 60}:{minutes % 60:02d}:{seconds:02d}"
        if minutes >= 60
        else f"{minutes}:{seconds:02d}"
    )


@st.fragment(run_every=POLL_S)
def follow_the_talk() -> None:
    page, changed, started, notes = snapshot()
    now = time.time()
    talk_time, page_time, position = st.columns([1, 1, 2])
    talk_time.metric("Talk time", clock(now - started) if started else "not started")
    page_time.metric("On this page", clock(now - changed) if page else "-")
    if page is None:
        st.info(
            "No tab is presenting yet. Open the talk with `?present=1` in another tab or window: "
            "this view follows it."
        )
        return
    paths = [p.path for p in TALK]
    info = TITLES.get(page, HOME)
    where = f"{paths.index(page) + 1} / {len(TALK)}" if page in paths else "off the talk"
    position.metric("On the projector", f"{where} · {info.title}")
    with st.container(key="speaker_notes", border=True):
        if notes is None:
            st.markdown(f"**{info.title}**: {info.blurb}.")
            st.caption("This page has published no notes yet.")
        else:
            st.markdown("\n".join(f"- {line}" for line in notes.say))
            st.markdown(f":material/ads_click: **Point at:** {notes.point_at}")
    _, after = neighbours(page) if page in paths else (None, TALK[0])
    st.container(key="speaker_next").markdown(
        f"**Next:** {after.title} · {after.blurb}" if after else "**Next:** the end of the talk"
    )


# ---- the page ----


def main() -> None:
    st.title("Speaker view")
    st.caption("Keep this tab on your own screen; it follows the tab on the projector.")
    follow_the_talk()
    st.button("Restart the talk clock", icon=":material/timer:", on_click=restart_clock)


main()
