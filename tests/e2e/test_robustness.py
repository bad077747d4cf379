"""Evaluation's threshold interval, split basis and stress chart; Predictions' shortcut check."""

import pytest

from benchmarks.browser import wait_for_page

from .screenshots import save_artifact
from .ui import assert_no_exception, open_page

STRESS_TIMEOUT_S = 900


def wait_for_text(page, text: str, timeout_s: float) -> None:
    page.get_by_text(text).first.wait_for(timeout=timeout_s * 1000)
    wait_for_page(page, timeout_s=timeout_s)


@pytest.mark.slow
def test_evaluation_shows_the_rule_the_basis_and_both_frameworks_under_shift(
    page, app_url, quick_runs
):
    open_page(page, app_url, "evaluation")
    assert_no_exception(page)
    main = page.get_by_test_id("stMain")
    assert main.get_by_text("thresholds that are optimal on validation").count() == 1
    assert main.get_by_text("same generator as the training images").count() == 1  # synthetic
    main.get_by_role("button", name="Run the stress test").click()
    # the caption under the chart and its table (a dataframe's cells are drawn on a canvas: no text)
    wait_for_text(page, "shifts x 3 severities", STRESS_TIMEOUT_S)
    assert_no_exception(page)
    chart = main.get_by_test_id("stPlotlyChart").filter(has_text="rotation")
    assert chart.count() == 1
    legend = chart.first.inner_text()
    assert "Keras" in legend and "PyTorch" in legend, legend
    chart.first.scroll_into_view_if_needed()
    save_artifact(page, "evaluation-stress")


@pytest.mark.slow
def test_predictions_shortcut_check_lists_regions_and_off_lung_images(page, app_url, quick_runs):
    open_page(page, app_url, "predictions")
    main = page.get_by_test_id("stMain")
    main.get_by_role("button", name="Run the shortcut check").click()
    wait_for_text(page, "the most off-lung maps first", STRESS_TIMEOUT_S)
    assert_no_exception(page)
    for name in ("Keras", "PyTorch"):
        assert main.get_by_text(f"{name}: the most off-lung maps first").count() == 1
    assert main.get_by_text("of the map off the lungs").count() == 8  # four images a framework
    main.get_by_text("Shortcut check over the test split").scroll_into_view_if_needed()
    save_artifact(page, "predictions-shortcuts")
