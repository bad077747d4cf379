"""The Training page trains both frameworks to the end in worker processes and shows the finished runs."""

import pytest

from benchmarks.browser import wait_for_page

from .screenshots import save_artifact, save_readme_shot
from .ui import assert_no_exception, open_page, select_option

TRAINING_TIMEOUT_MS = 480_000  # two quick trainings: ~1 min on 2 idle cores, more on a busy machine


@pytest.mark.slow
def test_quick_training_runs_to_the_end(page, app_url):
    open_page(page, app_url, "training")
    page.get_by_test_id("stRadio").get_by_text("quick", exact=True).click()
    wait_for_page(page)
    # no augmentation: another run than the quick preset's own (which other tests train), and faster
    select_option(page, "Augmentation", "none")
    start = page.get_by_role("button", name="Train Keras and PyTorch")
    start.click()

    page.get_by_text("Progress", exact=True).wait_for(timeout=60_000)
    finished = page.get_by_test_id("stAlertContentSuccess").filter(has_text="finished on")
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stAlertContentSuccess"]')]
                 .filter(box => box.innerText.includes('finished on')).length >= 2""",
        timeout=TRAINING_TIMEOUT_MS,
        polling=1000,
    )
    wait_for_page(page)
    texts = finished.all_inner_texts()
    assert any("Keras " in text for text in texts) and any("PyTorch " in text for text in texts), (
        texts
    )
    assert page.get_by_test_id("stAlertContentError").count() == 0
    assert_no_exception(page)
    page.get_by_text("Progress", exact=True).evaluate("heading => heading.scrollIntoView()")
    save_readme_shot(page, "training")
    save_artifact(page, "training-finished")
