"""The talk on a projector: walked with a clicker's keys at 1280 x 720 and 1920 x 1080, every
slide's key content on screen and above the bar, and every slide's last line above the bar once
scrolled to its end; the keys leave focused widgets alone; the speaker view follows the
presenting tab. Screenshots: artifacts/e2e/slides-<size>/."""

from __future__ import annotations

import re

import pytest

from benchmarks.browser import PAGE_TIMEOUT_S, url_path, wait_for_page
from dashboard.app.pages import TALK

from .screenshots import ARTIFACTS
from .ui import assert_no_exception, open_page

SIZES = ({"width": 1280, "height": 720}, {"width": 1920, "height": 1080})
FOLLOW_TIMEOUT_MS = 60_000  # the speaker view polls once a second; a loaded machine is slower


def position(page) -> str:
    return page.locator(".st-key-presenter_position").inner_text().strip()


def expected_position(index: int) -> str:
    return f"{index + 1} / {len(TALK)} · {TALK[index].title}"


def slide_problems(page) -> list[str]:
    """What keeps the current view from being a slide: key content missing, off screen or under the bar."""
    viewport = page.viewport_size
    key = page.locator(".st-key-slide_key")
    if key.count() != 1:
        return [f"{key.count()} key-content blocks (expected 1)"]
    box, bar = key.bounding_box(), page.locator(".st-key-presenter_bar").bounding_box()
    problems = []
    if box is None or box["height"] < 20:
        return [f"the key content is empty or hidden ({box})"]
    if box["y"] < 0 or box["x"] < 0 or box["x"] + box["width"] > viewport["width"] + 1:
        problems.append(f"the key content {box} leaves the {viewport} window")
    if box["y"] + box["height"] > bar["y"] + 1:
        problems.append(
            f"the key content ends at {box['y'] + box['height']:.0f} px, under the bar at {bar['y']:.0f} px"
        )
    if abs(bar["y"] + bar["height"] - viewport["height"]) > 1:
        problems.append(f"the bar {bar} is not at the foot of the window")
    return problems


# The page's last visible element (the presenter bar's own excepted), after scrolling the main
# area to its end; the scroll is put back afterwards so the next slide opens at its top.
LAST_LINE = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  main.scrollTop = main.scrollHeight;
  const shown = [...document.querySelectorAll('.stMainBlockContainer [data-testid="stElementContainer"]')]
    .filter(e => !e.closest('.st-key-presenter_bar') && e.checkVisibility()
                 && e.getBoundingClientRect().height > 0);
  const last = shown[shown.length - 1];
  return {bottom: last.getBoundingClientRect().bottom, text: last.innerText.slice(0, 60)};
}"""
TOP = """() => { document.querySelector('[data-testid="stMain"]').scrollTop = 0; }"""


def end_problems(page) -> list[str]:
    """What keeps a slide's last line from being read: under the bar once scrolled to the end."""
    last = page.evaluate(LAST_LINE)
    page.wait_for_timeout(300)  # let the scroll settle before measuring again
    last = page.evaluate(LAST_LINE)
    bar = page.locator(".st-key-presenter_bar").bounding_box()
    page.evaluate(TOP)
    if last["bottom"] > bar["y"] + 1:
        return [
            f"scrolled to its end, the last line ({last['text']!r}) ends at {last['bottom']:.0f} px, "
            f"under the bar at {bar['y']:.0f} px"
        ]
    return []


@pytest.fixture
def runs_of_both(app_cache, app_url, request, monkeypatch):
    """A finished run of each framework on the demo data in the server's store: those already
    there (a reused PNEUMOLAB_E2E_CACHE), else the quick ones trained by ``quick_runs``."""
    monkeypatch.setenv("PNEUMOLAB_CACHE", str(app_cache))  # read the server's run store
    from pipeline.runs import all_runs

    found = {
        run.config().framework
        for run in all_runs()
        if run.state == "finished" and run.config().source == "synthetic"
    }
    if not {"keras", "torch"} <= found:
        request.getfixturevalue("quick_runs")


@pytest.fixture
def browser_context(browser):
    contexts = []

    def make(viewport):
        context = browser.new_context(viewport=viewport)
        context.set_default_timeout(PAGE_TIMEOUT_S * 1000)  # a busy machine loads pages slowly
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s['width']}x{s['height']}")
def test_the_keyboard_walks_the_talk_and_every_slide_fits(
    browser_context, app_url, runs_of_both, size
):
    page = browser_context(size)
    folder = ARTIFACTS / f"slides-{size['width']}x{size['height']}"
    folder.mkdir(parents=True, exist_ok=True)
    open_page(page, app_url, url_path(TALK[0]), query="present=1")
    problems = {}
    for index, info in enumerate(TALK):
        assert page.url.split("?")[0] == f"{app_url}/{url_path(info)}"
        assert position(page) == expected_position(index)
        assert_no_exception(page)
        page.screenshot(path=str(folder / f"{index + 1:02d}-{url_path(info)}.png"))
        if found := slide_problems(page) + end_problems(page):
            problems[info.title] = found
        if index + 1 < len(TALK):
            page.keyboard.press("PageDown")
            page.wait_for_url(f"{app_url}/{url_path(TALK[index + 1])}?present=1")
            wait_for_page(page)
    assert not problems, f"slides that do not fit at {size}: {problems}"

    page.keyboard.press("PageDown")  # the last page: nothing after it
    page.wait_for_timeout(1000)
    assert position(page) == expected_position(len(TALK) - 1)
    for key, index in (
        ("PageUp", len(TALK) - 2),
        ("ArrowLeft", len(TALK) - 3),
        ("ArrowRight", len(TALK) - 2),
    ):
        page.keyboard.press(key)
        page.wait_for_url(f"{app_url}/{url_path(TALK[index])}?present=1")
        wait_for_page(page)
        assert position(page) == expected_position(index), f"after {key}"


def test_the_keys_leave_a_focused_widget_alone(browser_context, app_url):
    page = browser_context(SIZES[0])
    perceptron = next(i for i, info in enumerate(TALK) if info.path.endswith("talk_perceptron.py"))
    open_page(page, app_url, url_path(TALK[perceptron]), query="present=1")
    page.get_by_text("Data and epochs").click()  # the controls' expander
    slider = page.get_by_role("slider").first  # an <input type="range"> in Streamlit 1.67
    before = slider.input_value()
    slider.focus()
    page.keyboard.press("ArrowRight")
    wait_for_page(page)
    assert slider.input_value() != before, "the slider did not take the key"
    assert position(page) == expected_position(perceptron), "a key for the slider changed the page"

    page.locator("h1").first.click()  # focus back on the page: the clicker works again
    page.keyboard.press("PageDown")
    page.wait_for_url(f"{app_url}/{url_path(TALK[perceptron + 1])}?present=1")


def test_the_keys_do_nothing_outside_presenter_mode(browser_context, app_url):
    page = browser_context(SIZES[0])
    open_page(page, app_url, url_path(TALK[0]), query="present=0")
    page.keyboard.press("PageDown")
    page.wait_for_timeout(1500)
    assert page.url.split("?")[0] == f"{app_url}/{url_path(TALK[0])}"


def test_the_speaker_view_follows_the_presenting_tab(browser_context, app_url):
    presenter = browser_context(SIZES[0])
    speaker = browser_context(SIZES[0])
    open_page(presenter, app_url, url_path(TALK[0]), query="present=1")
    open_page(speaker, app_url, query="present=1&speaker=1")
    on_air = speaker.get_by_test_id("stMetric").filter(has_text="On the projector")
    on_air.get_by_text(re.compile(rf"^1 / {len(TALK)} · ")).wait_for(timeout=FOLLOW_TIMEOUT_MS)
    notes = speaker.locator(".st-key-speaker_notes")
    notes.get_by_text("The claim to test today", exact=False).wait_for(timeout=FOLLOW_TIMEOUT_MS)
    assert TALK[1].title in speaker.locator(".st-key-speaker_next").inner_text()
    assert "not started" not in speaker.get_by_test_id("stMetric").first.inner_text()

    presenter.keyboard.press("PageDown")
    presenter.wait_for_url(f"{app_url}/{url_path(TALK[1])}?present=1")
    wait_for_page(presenter)
    on_air.get_by_text(f"2 / {len(TALK)} · {TALK[1].title}").wait_for(timeout=FOLLOW_TIMEOUT_MS)
    notes.get_by_text("Part 1, Introduction:", exact=False).wait_for(timeout=FOLLOW_TIMEOUT_MS)
    assert TALK[2].title in speaker.locator(".st-key-speaker_next").inner_text()
    assert_no_exception(speaker)
