"""Small ways to read and work Streamlit's widgets in a browser, by what users see."""

from __future__ import annotations

from benchmarks.browser import exception_texts, wait_for_page


def open_page(page, base_url: str, path: str = "", query: str = "") -> None:
    """Go to a page of the app and wait until its script has finished."""
    page.goto(f"{base_url}/{path}" + (f"?{query}" if query else ""))
    wait_for_page(page)


def current_nav_title(page) -> str:
    """The title of the page the sidebar marks as the current one."""
    link = page.locator('[data-testid="stSidebarNavLink"][aria-current="page"]')
    return link.locator('[data-testid="stMarkdownContainer"]').inner_text().strip()


def main_heading(page) -> str:
    return page.locator('[data-testid="stMain"] h1').first.inner_text().strip()


def select_option(page, label: str, option: str, scope=None) -> None:
    """Pick ``option`` in the selectbox labelled ``label`` (a combobox in Streamlit 1.67)."""
    box = (scope or page).get_by_role("combobox", name=label)
    # scrolled first, as a user would: a click that scrolls the sidebar (17 pages above the source
    # picker) lands while it moves, and the list does not open
    box.scroll_into_view_if_needed()
    page.wait_for_timeout(200)
    box.click()
    page.get_by_role("option", name=option, exact=True).click()
    wait_for_page(page)


def metric_value(page, label: str) -> str:
    metric = page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    )
    return metric.get_by_test_id("stMetricValue").inner_text().strip()


def assert_no_exception(page) -> None:
    shown = exception_texts(page)
    assert not shown, f"{page.url} shows an exception:\n" + "\n---\n".join(shown)
