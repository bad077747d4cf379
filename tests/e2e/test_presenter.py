"""Presenter mode (``?present=1``): the big previous / next buttons walk through the whole talk."""

from benchmarks.browser import url_path, wait_for_page
from dashboard.app.pages import TALK

from .screenshots import save_artifact, save_readme_shot
from .ui import assert_no_exception, open_page

README_PAGE = 2  # the talk page whose presenter view the README shows (the Introduction)


def position(page) -> str:
    return page.locator(".st-key-presenter_position").inner_text().strip()


def test_next_walks_through_the_talk(page, app_url):
    open_page(page, app_url, url_path(TALK[0]), query="present=1")
    next_button = page.locator(".st-key-presenter_next button")
    for index, info in enumerate(TALK):
        assert page.url.split("?")[0] == f"{app_url}/{url_path(info)}"
        assert position(page) == f"{index + 1} / {len(TALK)} · {info.title}"
        assert_no_exception(page)
        save_artifact(page, f"presenter-{index + 1}-{url_path(info)}")
        if index == README_PAGE:
            save_readme_shot(page, "presenter")
        if index + 1 < len(TALK):
            assert next_button.is_enabled()
            next_button.click()
            page.wait_for_url(f"{app_url}/{url_path(TALK[index + 1])}?present=1")
            wait_for_page(page)
    assert next_button.is_disabled(), "the last page's next button must be disabled"

    page.locator(".st-key-presenter_previous button").click()
    page.wait_for_url(f"{app_url}/{url_path(TALK[-2])}?present=1")
    wait_for_page(page)
    assert position(page) == f"{len(TALK) - 1} / {len(TALK)} · {TALK[-2].title}"
