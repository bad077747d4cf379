"""Home, run by Streamlit's AppTest on the built-in demo data."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipeline.data.summary import summarize
from tests.helpers.apptest import app_in_child

pytestmark = pytest.mark.app  # AppTest or a framework CLI: not in make test-fast

ROOT = Path(__file__).resolve().parents[2]
HOME = str(ROOT / "dashboard" / "Home.py")


def test_home_shows_title_and_the_sources_counts():
    expected = summarize("synthetic")
    app = AppTest.from_file(HOME, default_timeout=120).run()

    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]
    assert app.title[0].value == "PneumoLab"
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Active source"] == "synthetic"
    assert metrics["Images"] == f"{expected.images:,}"
    totals = expected.totals
    assert metrics["NORMAL : PNEUMONIA"] == f"{totals['NORMAL']:,} : {totals['PNEUMONIA']:,}"
    assert app.sidebar.selectbox(key="source_kind").value == "Demo (synthetic)"


def test_home_and_explorer_import_no_framework():
    """In a fresh process (pytest itself may have imported torch elsewhere), run Home and the explorer."""
    report = app_in_child("""
        pages = {"home": [e.value for e in app.exception]}
        app.switch_page("views/explorer.py").run()
        pages["explorer"] = [e.value for e in app.exception]
        report.update(exceptions=pages, title=app.title[0].value)
    """)

    assert report["exceptions"] == {"home": [], "explorer": []}
    assert report["title"] == "Dataset explorer"  # the explorer really ran, not just Home
    assert report["loaded"] == []


def test_default_source_from_environment(monkeypatch, real_data):
    monkeypatch.setenv("PNEUMOLAB_DATA", str(real_data))
    app = AppTest.from_file(HOME, default_timeout=300).run()
    assert not app.exception, [e.value for e in app.exception]
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Images"] == "5,216"
    assert metrics["NORMAL : PNEUMONIA"] == "1,341 : 3,875"


def test_default_source_from_secrets(tmp_path):
    from tests.helpers.imagetree import kaggle_tree

    root = kaggle_tree(tmp_path / "hospital", per_class=(5, 15), broken=False)
    app = AppTest.from_file(HOME, default_timeout=120)
    app.secrets["PNEUMOLAB_DATA"] = str(root)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Active source"] == "folder"
    assert metrics["NORMAL : PNEUMONIA"] == "5 : 15"
