"""Presenter mode: the talk on a projector, one page after another.

Switched on by the sidebar toggle or by the URL, ``?present=1`` (``?present=0`` switches it
off). The URL follows the toggle, so a reload or a shared link opens in the same mode. In the
mode: wide layout, larger type, the sidebar collapsed, and big previous / next buttons, fixed
at the foot of the screen, that walk through ``dashboard.app.pages.TALK`` in order. Outside it,
the pages look as they always do.

Home.py calls, in this order: ``presenter_mode()`` (before anything is drawn),
``configure_page(on)``, then after ``st.navigation``: ``presenter_sidebar(on)`` and, in the
mode, ``presenter_style()`` and ``talk_controls(current_path)``.
"""

from __future__ import annotations

import streamlit as st

from dashboard.app.pages import HOME, TALK, PageInfo, neighbours
from dashboard.app.speaker import follow
from dashboard.app.warmup import warmup_action

PARAM = "present"
ON, OFF = "1", "0"
MODE_KEY = "presenter_mode"  # the session's truth: sidebar navigation drops the URL's parameters
TOGGLE_KEY = "presenter_toggle"  # the sidebar widget, a mirror of MODE_KEY
PAGE_KEY = "presenter_page"  # the path of the page this run draws (for its speaker notes)
SPEAKER = "speaker"  # ?present=1&speaker=1: the speaker's own view, which follows the talk

# Sizes in rem follow the root font size, so one rule scales Streamlit's text, widgets and
# spacing together. The root size follows the window's height (16 px at 720 px, 22 px at 1080
# px): a slide fits a 1280 x 720 projector and a 1920 x 1080 one alike. The bar is fixed at
# the bottom and the page's scrolling area ends where the bar starts, so the bar covers
# nothing. While the sidebar is open (no "expand" button in the header) the bar starts right
# of it, at Streamlit's default width.
# The scrolling element (stMain) keeps the window's full height inside that shortened container,
# so its last BAR_HEIGHT is clipped: without room below it, a slide's last line could sit under
# the bar and never scroll into view. The content's bottom padding is that room (the bar's
# height and a margin), so every slide's last line can be scrolled above the bar.
BAR_HEIGHT = "4.4rem"
END_ROOM = f"calc({BAR_HEIGHT} + 1rem)"
STYLE = f"""
<style>
html {{ font-size: clamp(16px, 2.05vh, 24px); }}
[data-testid="stAppViewContainer"] {{ bottom: {BAR_HEIGHT} !important; height: auto !important; }}
.stMainBlockContainer {{ padding-top: 2.2rem; padding-bottom: {END_ROOM}; max-width: 100%; }}
.stMainBlockContainer h1 {{ padding-top: 0; padding-bottom: 0.4rem; }}
[data-testid="stMetricValue"], [data-testid="stMetricValue"] p {{ font-size: 1.6rem; }}
/* the key content of a slide (dashboard.widgets.slide): images and tables sized to the screen */
.st-key-slide_key, .st-key-slide_key [data-testid="stVerticalBlock"] {{ gap: 0.5rem; }}
.st-key-slide_key :is(h2, h3) {{ padding: 0.25rem 0; }}
.st-key-slide_key [data-testid="stImage"] img {{ max-height: 30vh; width: auto !important; object-fit: contain; }}
.st-key-slide_key [data-testid="stTable"] :is(td, th) {{ font-size: 0.72rem; padding: 0.15rem 0.4rem; }}
.st-key-presenter_bar {{
    position: fixed; left: 0; right: 0; bottom: 0; height: {BAR_HEIGHT}; width: auto !important;
    z-index: 999; padding: 0.5rem 2rem; background: #ffffff; border-top: 1px solid #d0d7de;
    justify-content: center;
}}
body:not(:has([data-testid="stExpandSidebarButton"])) .st-key-presenter_bar {{ left: 300px; }}
.st-key-presenter_bar button {{ min-height: 3rem; }}
.st-key-presenter_bar button p {{ font-size: 1.1rem; font-weight: 600; }}
.st-key-presenter_position p {{ text-align: center; font-size: 1rem; margin: 0; }}
</style>
"""


# The clicker: presentation remotes send PageDown / PageUp or the arrow keys. One listener on
# the page's document (registered once, it outlives Streamlit's reruns) clicks the bar's own
# buttons, so a key does exactly what a click does. It does nothing without the bar (presenter
# mode off) and nothing while a widget that uses those keys has focus (a text field, a slider,
# a select box, radio buttons, tabs): buttons and links do not count, the "Next" just clicked
# keeps the focus and the next key must still work.
CLICKER = """
<script>
if (!window.pneumolabClicker) {
  window.pneumolabClicker = true;
  const NEXT = new Set(["PageDown", "ArrowRight", "ArrowDown"]);
  const PREVIOUS = new Set(["PageUp", "ArrowLeft", "ArrowUp"]);
  const WIDGETS = 'input, textarea, select, [contenteditable="true"], [role="slider"], ' +
    '[role="combobox"], [role="listbox"], [role="option"], [role="radio"], [role="radiogroup"], ' +
    '[role="tab"], [role="checkbox"], [role="switch"], [role="spinbutton"], [role="textbox"]';
  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const direction = NEXT.has(event.key) ? "next" : PREVIOUS.has(event.key) ? "previous" : null;
    const bar = document.querySelector(".st-key-presenter_bar");
    if (!direction || !bar) return;
    const focused = document.activeElement;
    if (focused && focused !== document.body && focused.closest(WIDGETS)) return;
    const button = bar.querySelector(`.st-key-presenter_${direction} button`);
    event.preventDefault();
    if (button && !button.disabled) button.click();
  }, true);
}
</script>
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


def speaker_view() -> bool:
    """Whether this tab is the speaker's view (``?speaker=1``, with or without ``present=1``)."""
    return st.query_params.get(SPEAKER) == ON


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
            st.link_button(
                "Open the speaker view",
                f"?{PARAM}={ON}&{SPEAKER}={ON}",
                icon=":material/speaker_notes:",
                help="In a second window on your own screen: notes for the page on the projector, "
                "the next page and the talk's clock. It follows this window.",
            )
            warmup_action(key="warmup_sidebar")


def presenter_style() -> None:
    """Larger type, the fixed bar and the clicker's keys (sent every run: the page is redrawn)."""
    st.html(STYLE)
    st.html(CLICKER, unsafe_allow_javascript=True)


def talk_controls(current_path: str) -> None:
    """Big previous / next buttons, "n / N", and the next page's title; stopped at either end.

    Off the talk (Home), "next" starts it at page 1.
    """
    paths = [page.path for page in TALK]
    st.session_state[PAGE_KEY] = current_path
    follow(current_path, TALK[0].path)
    if current_path in paths:
        before, after = neighbours(current_path)
        position = f"**{paths.index(current_path) + 1} / {len(TALK)}** · {TALK[paths.index(current_path)].title}"
    else:
        before, after = None, TALK[0]
        position = f"**{HOME.title}** · the talk has {len(TALK)} pages"
    with st.container(key="presenter_bar"):
        left, middle, right = st.columns([2, 2, 2], vertical_alignment="center")
        step_button(left, before, "Previous", "Start of the talk", ":material/arrow_back:")
        middle.container(key="presenter_position").markdown(position)
        step_button(right, after, "Next", "End of the talk", ":material/arrow_forward:")


def step_button(column, page, direction: str, end: str, icon: str) -> None:
    """The button to ``page`` (the previous or next one): its title, or the talk's ``end`` and
    disabled where there is none; "Next" is the primary one, the key PageDown presses."""
    if column.button(
        f"{direction}: {page.title}" if page else end,
        key=f"presenter_{direction.lower()}",
        icon=icon,
        disabled=page is None,
        width="stretch",
        type="primary" if direction == "Next" else "secondary",
    ):
        go_to(page)


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
