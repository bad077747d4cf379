"""A file name holding HTML is shown as text in the browser, never run (issue 7, hostile uploads).

Streamlit renders errors, captions and image captions as Markdown: the pages must escape names.
The AppTest side of the same cases is in tests/security/test_hostile_uploads.py.
"""

from benchmarks.browser import exception_texts, wait_for_page
from tests.helpers import hostile_files as hostile


def test_a_hostile_file_name_is_text_in_the_browser(page, app_url, tmp_path):
    broken, good = tmp_path / "broken" / hostile.HTML_NAME, tmp_path / "good" / hostile.HTML_NAME
    hostile.write(broken, hostile.html_page())
    hostile.write(good, hostile.animated_gif())
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(app_url + "/augmentation")
    wait_for_page(page, timeout_s=240)  # the first page of the session that loads the frameworks
    page.get_by_test_id("stRadioGroup").get_by_text("Upload", exact=True).click()
    wait_for_page(page)
    uploader = (
        page.get_by_test_id("stFileUploader")
        .filter(has_text="An X-ray image")
        .locator("input[type=file]")
    )
    shown = {}
    for name, path, sign in (("broken", broken, "cannot be used"), ("good", good, "uploaded:")):
        uploader.set_input_files(str(path))
        page.get_by_text(sign).first.wait_for(timeout=240_000)  # the upload's rerun has drawn it
        wait_for_page(page, timeout_s=240)
        shown[name] = page.locator('[data-testid="stMain"]').inner_text()
        assert page.locator('img[src="x"]').count() == 0 and not exception_texts(page)

    assert dialogs == []
    assert f"{hostile.HTML_NAME} cannot be used: not an image" in shown["broken"]
    assert f"uploaded: {hostile.HTML_NAME}" in shown["good"]
    assert f"{hostile.HTML_NAME}: animated GIF: the first of its 2 frames is used" in shown["good"]
