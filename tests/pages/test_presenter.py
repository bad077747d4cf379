"""Presenter mode, run by Streamlit's AppTest: the URL and the toggle switch it, and its buttons
walk through every page of the talk in order (dashboard.app.pages.TALK), stopping at both ends."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.app.pages import TALK

pytestmark = pytest.mark.app  # AppTest or a framework CLI: not in make test-fast

ROOT = Path(__file__).resolve().parents[2]
HOME = str(ROOT / "dashboard" / "Home.py")


def open_home(present: str | None = None) -> AppTest:
    app = AppTest.from_file(HOME, default_timeout=180)
    if present is not None:
        app.query_params["present"] = present
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def presenting(app: AppTest) -> bool:
    """Presenter mode as the user sees it: the toggle on and the bar's buttons drawn."""
    toggle = app.sidebar.toggle(key="presenter_toggle").value
    bar = any(button.key == "presenter_next" for button in app.button)
    assert toggle == bar, "the toggle and the presenter bar disagree"
    return toggle


def position(app: AppTest) -> str:
    """The bar's "n / N · title" line."""
    lines = [
        m.value
        for m in app.markdown
        if f" / {len(TALK)}**" in m.value or m.value.startswith("**Home**")
    ]
    assert len(lines) == 1, lines
    return lines[0]


def click(app: AppTest, key: str) -> AppTest:
    app.button(key=key).click().run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_present_1_in_the_url_turns_presenter_mode_on():
    app = open_home("1")
    assert presenting(app)
    assert app.query_params.get("present") == "1"
    assert position(app) == f"**Home** · the talk has {len(TALK)} pages"
    assert app.button(key="presenter_next").label == f"Next: {TALK[0].title}"
    assert app.button(key="presenter_previous").disabled


def test_pages_look_as_before_without_the_parameter():
    app = open_home()
    assert not presenting(app)
    assert "present" not in app.query_params


def test_next_and_previous_walk_the_whole_talk_in_order_and_stop_at_the_ends():
    app = open_home("1")
    for number, page in enumerate(TALK, start=1):
        click(app, "presenter_next")
        assert position(app) == f"**{number} / {len(TALK)}** · {page.title}"
        assert app.query_params.get("present") == "1"  # a reload here stays in the mode
        after = TALK[number] if number < len(TALK) else None
        assert app.button(key="presenter_next").label == (
            f"Next: {after.title}" if after else "End of the talk"
        )
    assert app.button(key="presenter_next").disabled  # the last page: no further
    assert not app.button(key="presenter_previous").disabled

    for number in range(len(TALK) - 1, 0, -1):
        click(app, "presenter_previous")
        assert position(app) == f"**{number} / {len(TALK)}** · {TALK[number - 1].title}"
    assert app.button(key="presenter_previous").disabled  # page 1: no further back
    assert app.button(key="presenter_previous").label == "Start of the talk"


def test_the_toggle_keeps_the_url_in_step_and_present_0_turns_it_off():
    app = open_home()
    app.sidebar.toggle(key="presenter_toggle").set_value(True).run()
    assert presenting(app) and app.query_params.get("present") == "1"
    app.sidebar.toggle(key="presenter_toggle").set_value(False).run()
    assert not presenting(app) and "present" not in app.query_params

    app = open_home("1")
    app.query_params["present"] = "0"
    app.run()
    assert not presenting(app) and "present" not in app.query_params


def test_the_mode_survives_navigation_that_drops_the_url():
    """The sidebar's page links clear the URL's parameters; the session puts ?present=1 back."""
    app = open_home("1")
    app.query_params.clear()
    app.switch_page(TALK[3].path).run()
    assert presenting(app) and app.query_params.get("present") == "1"
    assert position(app) == f"**4 / {len(TALK)}** · {TALK[3].title}"


def test_homes_entry_point_starts_the_talk_at_page_1():
    app = click(open_home(), "home_present")
    assert presenting(app)
    assert position(app) == f"**1 / {len(TALK)}** · {TALK[0].title}"
    assert app.query_params.get("present") == "1"


def test_a_value_it_does_not_know_is_a_message():
    app = open_home("yes")
    assert not presenting(app)
    assert any("?present=1" in toast.value for toast in app.toast)
    assert "present" not in app.query_params


def test_a_slide_draws_the_rest_of_its_page_only_when_the_speaker_asks():
    """In presenter mode the explorer shows its key content (the class counts) and a switch; the
    samples, statistics and files below come when it is on. Outside the mode they are always there."""
    app = open_home("1")
    app.switch_page("views/explorer.py").run()
    assert not app.exception, [e.value for e in app.exception]
    headings = lambda: [h.value for h in app.subheader]  # noqa: E731
    assert "Class counts per split" in headings() and "Samples per class" not in headings()
    more = app.toggle(key="slide_more_views_explorer_py")
    assert more.value is False and "Samples" in more.label
    more.set_value(True).run()
    assert "Samples per class" in headings() and "Manifest" in headings()

    app = open_home()
    app.switch_page("views/explorer.py").run()
    assert "Samples per class" in headings()
    assert not [t for t in app.toggle if t.key.startswith("slide_more")]
