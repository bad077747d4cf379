"""Every page of the navigation, in a real browser, on the demo data with a finished run of each framework."""

import pytest

from benchmarks.browser import url_path, wait_for_page
from dashboard.app.pages import HOME, TALK

from .screenshots import save_artifact, save_readme_shot
from .ui import assert_no_exception, current_nav_title, main_heading, open_page

ALL_PAGES = (HOME, *TALK)
README_SHOTS = {
    "home",
    "explorer",
    "augmentation",
    "evaluation",
}  # pages the README shows as they open


@pytest.mark.parametrize("info", ALL_PAGES, ids=url_path)
def test_page_loads_without_an_error(page, app_url, quick_runs, info):
    path = "" if info is HOME else url_path(info)
    open_page(page, app_url, path)
    assert_no_exception(page)
    errors = page.get_by_test_id("stAlertContentError").all_inner_texts()
    assert not errors, f"{info.title} shows an error on the demo data: {errors}"
    assert current_nav_title(page) == info.title
    assert main_heading(page), f"{info.title} shows no title"
    save_artifact(page, f"page-{url_path(info)}")
    if url_path(info) in README_SHOTS:
        save_readme_shot(page, url_path(info))


def test_sidebar_links_lead_to_every_page(page, app_url):
    open_page(page, app_url)
    for info in ALL_PAGES:
        page.locator('[data-testid="stSidebarNavLink"]').filter(has_text=info.title).click()
        page.wait_for_url(f"{app_url}/{'' if info is HOME else url_path(info)}")
        page.wait_for_timeout(300)  # the click's rerun starts
        wait_for_page(page)
        assert current_nav_title(page) == info.title
        assert_no_exception(page)
