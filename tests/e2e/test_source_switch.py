"""The sidebar's data source: switching to a folder changes what Home counts; a bad path changes nothing."""

from benchmarks.browser import wait_for_page
from tests.helpers.imagetree import kaggle_tree

from .screenshots import save_artifact
from .ui import assert_no_exception, metric_value, open_page, select_option

FOLDER_CHOICE = "Folder or CSV on this machine"
PATH_LABEL = "Folder or CSV path"


def enter_path(page, path: str) -> None:
    box = page.get_by_test_id("stSidebar").get_by_role("textbox", name=PATH_LABEL)
    box.fill(path)
    box.press("Enter")
    page.wait_for_timeout(300)  # the rerun Enter asks for starts
    wait_for_page(page)


def test_switching_to_a_folder_and_refusing_a_bad_path(page, app_url, tmp_path):
    folder = kaggle_tree(
        tmp_path / "xrays", per_class=(4, 8)
    )  # 12 usable images, broken files beside them
    open_page(page, app_url)
    assert metric_value(page, "Images") == "1,700"  # the synthetic demo

    sidebar = page.get_by_test_id("stSidebar")
    select_option(page, "Source", FOLDER_CHOICE, scope=sidebar)
    enter_path(page, str(folder))
    assert_no_exception(page)
    assert metric_value(page, "Images") == "12"
    assert metric_value(page, "NORMAL : PNEUMONIA") == "4 : 8"
    assert str(folder) in sidebar.get_by_text("Active:").inner_text()
    save_artifact(page, "source-folder")

    missing = tmp_path / "no-such-folder"
    enter_path(page, str(missing))
    error = sidebar.get_by_test_id("stAlertContentError")
    assert error.count() == 1, "a path that does not exist must show an error in the sidebar"
    message = error.inner_text()
    assert str(missing) in message or "not" in message.lower(), message
    assert "Still using" in message and str(folder) in message
    assert metric_value(page, "Images") == "12"  # the folder stays the source
    assert_no_exception(page)
    save_artifact(page, "source-bad-path")
