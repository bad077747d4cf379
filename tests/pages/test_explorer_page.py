"""The Dataset explorer, run by Streamlit's AppTest: demo data, the real folder, a bad path."""

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipeline.data import CLASS_NAMES, SPLITS
from pipeline.data.summary import summarize

pytestmark = pytest.mark.app  # AppTest or a framework CLI: not in make test-fast

ROOT = Path(__file__).resolve().parents[2]
HOME = str(ROOT / "dashboard" / "Home.py")
TIMEOUT_S = 300  # the real folder is decoded once per test session (private cache)


def open_explorer(app: AppTest | None = None) -> AppTest:
    app = app or AppTest.from_file(HOME, default_timeout=TIMEOUT_S).run()
    app.switch_page("views/explorer.py").run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.title[0].value == "Dataset explorer"
    return app


def choose_folder(app: AppTest, path: str) -> AppTest:
    """Type a folder into the sidebar the way a person does."""
    app.sidebar.selectbox(key="source_kind").set_value("Folder or CSV on this machine").run()
    app.sidebar.text_input(key="source_path_path").set_value(path).run()
    return app


def metrics(app: AppTest) -> dict:
    return {m.label: m.value for m in app.main.metric}


def sample_captions(app: AppTest) -> list[str]:
    """Captions of the sample grid (the mean images' captions start with 'mean')."""
    captions = [caption for image in app.main.image for caption in image.captions]
    return [caption for caption in captions if not caption.startswith("mean ")]


def skipped_table(app: AppTest):
    tables = [t.value for t in app.main.dataframe if list(t.value.columns) == ["path", "reason"]]
    assert len(tables) == 1
    return tables[0]


def test_explorer_shows_the_demo_counts_of_summarize():
    expected = summarize("synthetic")
    app = open_explorer()

    assert not app.error, [e.value for e in app.error]
    shown = metrics(app)
    assert shown["Images"] == f"{expected.images:,}"
    assert shown["NORMAL"] == f"{expected.totals['NORMAL']:,}"
    assert shown["PNEUMONIA"] == f"{expected.totals['PNEUMONIA']:,}"
    counts = app.main.dataframe[0].value
    for split in SPLITS:
        for name in CLASS_NAMES:
            assert counts.loc[split, name] == expected.splits[split][name]
    patients = next(t.value for t in app.main.dataframe if "patients" in t.value.columns)
    assert patients["patients"].to_dict() == expected.patients
    assert [s.value for s in app.main.success] == [
        "No patient has images in two splits.",
        "No file was skipped.",
    ]
    assert len(app.main.get("plotly_chart")) == 3  # counts, intensities, mean difference
    assert [i.value for i in app.main.info] == [
        "Every image is 128 x 128 px before resizing: nothing to plot."
    ]
    assert [b.label for b in app.main.get("download_button")] == ["Download the manifest (CSV)"]


def test_redraw_shows_other_samples():
    app = open_explorer()
    before = sample_captions(app)
    assert len(before) == 16  # one row of 8 per class
    assert all(caption.startswith("synthetic#") for caption in before)

    app.main.button(key="explorer_redraw").click().run()
    after = sample_captions(app)

    assert not app.exception
    assert len(after) == 16
    assert after != before
    app.run()  # a rerun for another reason keeps the draw
    assert sample_captions(app) == after


def test_switch_to_the_real_folder_through_the_sidebar(real_data):
    app = open_explorer()
    choose_folder(app, str(real_data))

    assert not app.exception, [e.value for e in app.exception]
    assert not app.sidebar.error, [e.value for e in app.sidebar.error]
    assert app.title[0].value == "Dataset explorer"  # still on the explorer, now on the real data
    shown = metrics(app)
    assert (shown["Images"], shown["NORMAL"], shown["PNEUMONIA"]) == ("5,216", "1,341", "3,875")
    skipped = skipped_table(app)
    assert [Path(p).name for p in skipped["path"]] == [".DS_Store"]
    assert skipped["reason"].iloc[0] == "macOS folder metadata"
    assert "No patient has images in two splits." in [s.value for s in app.main.success]
    assert any("carved out of train" in m.value for m in app.main.markdown)
    captions = sample_captions(app)
    assert len(captions) == 16
    assert all(re.fullmatch(r"\S+\.jpe?g · (train|val|test)", c) for c in captions), captions
    assert not any(
        c.startswith("person") for c in captions[:8]
    )  # NORMAL row: IM-... and NORMAL2-IM-...
    assert all(
        c.startswith("person") for c in captions[8:]
    )  # PNEUMONIA row: person123_bacteria_4.jpeg
    assert [i.value for i in app.main.info] == [
        "Every image is 224 x 224 px before resizing: nothing to plot."
    ]


def test_a_bad_path_keeps_the_previous_source(tmp_path):
    app = open_explorer()
    missing = tmp_path / "no-such-folder"
    choose_folder(app, str(missing))

    assert not app.exception, [e.value for e in app.exception]
    errors = [e.value for e in app.sidebar.error]
    assert len(errors) == 1
    assert "does not exist" in errors[0] and "Still using: synthetic" in errors[0]
    assert metrics(app)["Images"] == f"{summarize('synthetic').images:,}"  # the demo is still shown
    assert not app.main.error
