"""Evaluation and Predictions with a finished run of each framework: both models loaded and shown."""

import io
import zipfile

import pytest

from .screenshots import save_artifact, save_readme_shot
from .ui import assert_no_exception, open_page, select_option

FRAMEWORK_NAMES = ("Keras", "PyTorch")


@pytest.mark.slow
def test_evaluation_compares_keras_and_pytorch(page, app_url, quick_runs):
    open_page(page, app_url, "evaluation")
    assert_no_exception(page)
    run = page.get_by_role("combobox", name="Run").input_value()
    other = page.get_by_role("combobox", name="Compare with").input_value()
    frameworks = {
        name for name in FRAMEWORK_NAMES for value in (run, other) if value.startswith(name)
    }
    assert frameworks == set(FRAMEWORK_NAMES), f"evaluated {run!r}, compared with {other!r}"
    main = page.get_by_test_id("stMainBlockContainer")  # the sidebar names a slide so too
    main.get_by_text("Keras vs PyTorch", exact=True).scroll_into_view_if_needed()
    save_artifact(page, "evaluation-compared")

    # the run's zip is built when the button is clicked (the model card may score a split)
    with page.expect_download(timeout=300_000) as download:
        page.get_by_role("button", name="This run (zip)").click()
    names = zipfile.ZipFile(io.BytesIO(download.value.path().read_bytes())).namelist()
    assert any(name.endswith("/predict.py") for name in names), names
    assert any(name.endswith("/MODEL_CARD.md") for name in names), names


@pytest.mark.slow
def test_predictions_show_both_heatmaps(page, app_url, quick_runs):
    open_page(page, app_url, "predictions")
    assert_no_exception(page)
    errors = page.get_by_test_id("stAlertContentError").all_inner_texts()
    assert not errors, errors
    main = page.get_by_test_id("stMain")
    for name in FRAMEWORK_NAMES:
        assert main.get_by_role("heading", name=name, exact=True).count() == 1, f"no {name} column"
    heatmaps = main.get_by_test_id("stImage").filter(has_text="Grad-CAM")
    assert heatmaps.count() == 2, (
        f"expected a Grad-CAM image per framework, found {heatmaps.count()}"
    )
    for image in heatmaps.locator("img").all():
        assert image.evaluate("img => img.complete && img.naturalWidth > 0"), (
            "a heatmap did not load"
        )
    save_artifact(page, "predictions-heatmaps")

    # the README's view: a PNEUMONIA image, whose synthetic lesion the maps should point at
    select_option(page, "Class", "PNEUMONIA", scope=main)
    assert_no_exception(page)
    assert heatmaps.count() == 2
    main.get_by_role("heading", name="Keras", exact=True).evaluate(
        "heading => heading.scrollIntoView()"
    )
    save_readme_shot(page, "predictions")
