"""Presenter mode: the talk on a projector, one page after another.

Switched on by the sidebar toggle or by the URL, ``?present=1`` (``?present=0`` switches it
off). The URL follows the toggle, so a reload or a shared link opens in the same mode. In the
mode: wide layout, larger type, the sidebar collapsed, and big previous / next buttons, fixed
at the foot of the screen, that walk through ``dashboard.ui.pages.TALK`` in order. Outside it,
the pages look as they always do.

Home.py calls, in this order: ``presenter_mode()`` (before anything is drawn),
``configure_page(on)``, then after ``st.navigation``: ``presenter_sidebar(on)`` and, in the
mode, ``presenter_style()`` and ``talk_controls(current_path)``.
"""

from __future__ import annotations

import streamlit as st

from dashboard.ui.pages import HOME, TALK, PageInfo, neighbours
from dashboard.ui.warmup import warmup_action

PARAM = "present"
ON, OFF = "1", "0"
MODE_KEY = "presenter_mode"  # the session's truth: sidebar navigation drops the URL's parameters
TOGGLE_KEY = "presenter_toggle"  # the sidebar widget, a mirror of MODE_KEY

# Sizes in rem follow the root font size, so one rule scales Streamlit's text, widgets and
# spacing together; metric values, already 2.25rem, grow less so six still fit in a row. The
# bar is fixed at the bottom: a long page scrolled to its end still has its "next" button in
# reach, and the padding keeps the page's last lines above it. While the sidebar is open (no
# "expand" button in the header) the bar starts right of it, at Streamlit's default width.
STYLE = """
<style>
html { font-size: 22px; }
.stMainBlockContainer { padding-top: 2.5rem; padding-bottom: 8rem; max-width: 100%; }
[data-testid="stMetricValue"], [data-testid="stMetricValue"] p { font-size: 1.8rem; }
.st-key-presenter_bar {
    position: fixed; left: 0; right: 0; bottom: 0; width: auto !important; z-index: 999;
    padding: 0.6rem 2rem; background: rgba(255, 255, 255, 0.96); border-top: 1px solid #d0d7de;
}
body:not(:has([data-testid="stExpandSidebarButton"])) .st-key-presenter_bar { left: 300px; }
.st-key-presenter_bar button { min-height: 3.6rem; }
.st-key-presenter_bar button p { font-size: 1.25rem; font-weight: 600; }
.st-key-presenter_position p { text-align: center; font-size: 1.15rem; margin: 0; }
</style>
"""


def presenter_mode() -> bool:
    """Whether this run is in presenter mode: the URL decides when it says, else the session remembers."""
    asked = st.query_params.get(PARAM)
    if asked in (ON, OFF):
        st.session_state[MODE_KEY] = asked == ON
    elif asked is not None:
        st.toast(
            f"`?{PARAM}={asked}` is not understood: `?{PARAM}=1` starts presenter mode, "
            f"`?{PARAM}=0` ends it.",
            icon=":material/warning:",
        )
    on = bool(st.session_state.get(MODE_KEY, False))
    _write_url(on)
    return on


def configure_page(on: bool) -> None:
    """Wide in both modes (as the pages were designed); the sidebar starts collapsed in the mode.

    ``st.set_page_config`` may be called again in a run and after reading ``st.query_params``
    (Streamlit 1.67: calls are additive), so the entry file can call this once the mode is known.
    """
    st.set_page_config(
        page_title="PneumoLab",
        page_icon=":material/pulmonology:",
        layout="wide",
        initial_sidebar_state="collapsed" if on else "auto",
    )


def presenter_sidebar(on: bool) -> None:
    """The toggle (every page), and in the mode the warm-up action beside it."""
    st.session_state[TOGGLE_KEY] = on  # set before the widget is drawn: a URL change moves it too
    st.sidebar.toggle(
        "Presenter mode",
        key=TOGGLE_KEY,
        on_change=_toggled,
        help=f"Larger type, sidebar collapsed, previous / next buttons through the talk. "
        f"The link with `?{PARAM}=1` opens in this mode.",
    )
    if on:
        with st.sidebar:
            warmup_action(key="warmup_sidebar")


def presenter_style() -> None:
    """Larger type and the fixed bar (CSS, sent once per run: the page is redrawn every run)."""
    st.html(STYLE)


def talk_controls(current_path: str) -> None:
    """Big previous / next buttons, "n / N", and the next page's title; stopped at either end.

    Off the talk (Home), "next" starts it at page 1.
    """
    paths = [page.path for page in TALK]
    if current_path in paths:
        before, after = neighbours(current_path)
        position = f"**{paths.index(current_path) + 1} / {len(TALK)}** · {TALK[paths.index(current_path)].title}"
    else:
        before, after = None, TALK[0]
        position = f"**{HOME.title}** · the talk has {len(TALK)} pages"
    with st.container(key="presenter_bar"):
        left, middle, right = st.columns([2, 2, 2], vertical_alignment="center")
        if left.button(
            f"Previous: {before.title}" if before else "Start of the talk",
            key="presenter_previous",
            icon=":material/arrow_back:",
            disabled=before is None,
            width="stretch",
        ):
            go_to(before)
        middle.container(key="presenter_position").markdown(position)
        if right.button(
            f"Next: {after.title}" if after else "End of the talk",
            key="presenter_next",
            icon=":material/arrow_forward:",
            disabled=after is None,
            width="stretch",
            type="primary",
        ):
            go_to(after)


def start_talk() -> None:
    """Home's entry point: presenter mode on, page 1 of the talk."""
    st.session_state[MODE_KEY] = True
    go_to(TALK[0])


def go_to(page: PageInfo) -> None:
    """Switch page and keep ``?present=1`` (st.switch_page clears the parameters it is not given)."""
    st.switch_page(page.path, query_params={PARAM: ON})


def _toggled() -> None:
    on = bool(st.session_state[TOGGLE_KEY])
    st.session_state[MODE_KEY] = on
    _write_url(on)


def _write_url(on: bool) -> None:
    """``?present=1`` while on (restored after sidebar navigation cleared it); no parameter while off."""
    if on and st.query_params.get(PARAM) != ON:
        st.query_params[PARAM] = ON
    elif not on and PARAM in st.query_params:
        del st.query_params[PARAM]
