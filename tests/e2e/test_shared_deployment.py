"""A shared deployment in a real browser: no training trigger on any page, results on the first visit.

Its own server, started as the Cloud's secrets configure it (training off, models under ONNX
Runtime), on a fresh cache that holds only the shipped runs.
"""

import re

import pytest

from benchmarks.browser import running_app, url_path, wait_for_page
from dashboard.app.pages import HOME, TALK
from dashboard.context.deployment import TRAINING_OFF

from .screenshots import save_artifact
from .ui import assert_no_exception

TRIGGERS = re.compile(r"^\s*(Train|Delete)\b")
SAYS_WHY = ("views/training.py", "views/talk_conclusion.py", "views/talk_insights.py")
PAGE_TIMEOUT_S = 300  # the studio's preview imports both frameworks in a child process


def open_page(page, base_url: str, path: str) -> None:
    page.goto(f"{base_url}/{path}", timeout=PAGE_TIMEOUT_S * 1000)
    wait_for_page(page, timeout_s=PAGE_TIMEOUT_S)


@pytest.fixture(scope="module")
def shared_url(tmp_path_factory):
    settings = {
        "PNEUMOLAB_DATA": "synthetic",
        "PNEUMOLAB_ALLOW_TRAINING": "0",
        "PNEUMOLAB_MODEL_BACKEND": "onnx",
        "PNEUMOLAB_SHIPPED_RUNS": "1",
    }
    with running_app(settings, tmp_path_factory.mktemp("shared-cache")) as url:
        yield url


@pytest.fixture
def shared_page(browser, shared_url):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(60_000)
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("info", (HOME, *TALK), ids=url_path)
def test_no_training_trigger_on_any_page(shared_page, shared_url, info):
    open_page(shared_page, shared_url, "" if info is HOME else url_path(info))
    assert_no_exception(shared_page)
    buttons = shared_page.get_by_role("button").all_inner_texts()
    assert not [text for text in buttons if TRIGGERS.match(text)], buttons
    if info.path in SAYS_WHY:
        assert shared_page.get_by_text(TRAINING_OFF[:60]).count() >= 1, "the page must say why"
    save_artifact(shared_page, f"shared-{url_path(info)}")


def test_predictions_show_both_shipped_runs_maps(shared_page, shared_url):
    open_page(shared_page, shared_url, "predictions")
    assert_no_exception(shared_page)
    maps = shared_page.get_by_test_id("stImage").filter(has_text="Grad-CAM").count()
    assert maps == 2, f"{maps} Grad-CAM maps shown"
