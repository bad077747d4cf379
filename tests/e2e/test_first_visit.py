"""A first visit shows results on any source, with training off: no page asks for a training.

Each source gets a server of its own, started as a shared deployment (training off, models under
ONNX Runtime, the shipped runs installed into a fresh cache), at 1440 x 900:
- the synthetic demo (its own shipped demo runs);
- a PneumoniaMNIST-format file made here from the real X-rays;
- a Kaggle-layout folder assembled here from the real X-rays, copied so that paths and times are
  new. Both put in their test split only images of the shipped runs' own carved test split, so
  the shipped runs never trained on what scores them.
Evaluation, Predictions, the Conclusion (with its seed table) and In a nutshell must show
results, no exception, and no request to train; Evaluation and Predictions lead with their
result (it fills the first screen, the pickers come after). Screenshots:
artifacts/e2e/first-visit-<source>-<page>-screen.png (the first screen) and the whole page.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from benchmarks.browser import running_app, wait_for_page
from pipeline.data import open_source
from pipeline.data.images import read_grayscale
from pipeline.shipped import shipped_zips
from tests.conftest import REAL_DATA

from .screenshots import ARTIFACTS, save_artifact
from .ui import assert_no_exception

SCREEN = VIEWPORT = {"width": 1440, "height": 900}
PAGE_TIMEOUT_S = 300
ASKS_TO_TRAIN = re.compile(
    r"Train (one|both|a seed|more)|Start one|Training page: train|press \*\*Train|train one on",
    re.IGNORECASE,
)
SIZE = 128
TEST_IMAGES = 60  # per class, from the shipped runs' carved test split
TRAIN_IMAGES = 40  # per class, from their carved train split


def carved(real_data, split: str) -> dict[int, list]:
    """The real folder's records of one carved split, by label (what the shipped runs saw)."""
    records = open_source(str(real_data)).scan().split(split)
    return {label: [r for r in records if r.label == label] for label in (0, 1)}


def kaggle_folder(real_data, root):
    """train/ from the carved train split, test/ only from the carved test split; new paths and
    new file times (copy, not copy2)."""
    for split, count in (("train", TRAIN_IMAGES), ("test", TEST_IMAGES)):
        for label, records in carved(real_data, split).items():
            folder = root / split / ("NORMAL", "PNEUMONIA")[label]
            folder.mkdir(parents=True, exist_ok=True)
            for record in records[:count]:
                shutil.copy(record.origin, folder)
    return str(root)


def medmnist_file(real_data, path):
    """PneumoniaMNIST's layout (train/val/test images and (N, 1) labels) at 128 px."""
    arrays = {}
    train, test = carved(real_data, "train"), carved(real_data, "test")
    for split, picked in (
        ("train", [r for records in train.values() for r in records[:TRAIN_IMAGES]]),
        ("val", [r for records in train.values() for r in records[-10:]]),
        ("test", [r for records in test.values() for r in records[:TEST_IMAGES]]),
    ):
        images = [read_grayscale(Path(r.origin), SIZE)[0] for r in picked]
        arrays[f"{split}_images"] = np.stack(images).astype(np.uint8)
        arrays[f"{split}_labels"] = np.array([[r.label] for r in picked], dtype=np.uint8)
    np.savez(path, **arrays)
    return f"medmnist:{path}"


@pytest.fixture(scope="module")
def real_folder():
    """The real training images (module scope: each source's server is started once)."""
    if not (REAL_DATA / "train").is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"real data missing at {REAL_DATA} (CI must have it)")
        pytest.skip(f"real data not found at {REAL_DATA}")
    return REAL_DATA


@pytest.fixture(scope="module", params=["synthetic", "medmnist", "kaggle"])
def first_visit(request, real_folder, tmp_path_factory):
    real_data = real_folder
    assert shipped_zips(), "no shipped runs: shipped_runs/ is empty"
    data = tmp_path_factory.mktemp(f"data-{request.param}")
    source = {
        "synthetic": lambda: "synthetic",
        "medmnist": lambda: medmnist_file(real_data, data / "pneumoniamnist_128.npz"),
        "kaggle": lambda: kaggle_folder(real_data, data / "downloads" / "chest_xray"),
    }[request.param]()
    settings = {
        "PNEUMOLAB_DATA": source,
        "PNEUMOLAB_ALLOW_TRAINING": "0",
        "PNEUMOLAB_MODEL_BACKEND": "onnx",
        "PNEUMOLAB_SHIPPED_RUNS": "1",
    }
    with running_app(settings, tmp_path_factory.mktemp(f"cache-{request.param}")) as url:
        yield request.param, url


@pytest.fixture
def visitor(browser):
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(60_000)
    yield context.new_page()
    context.close()


def visit(page, url: str, path: str) -> str:
    page.goto(f"{url}/{path}", timeout=PAGE_TIMEOUT_S * 1000)
    wait_for_page(page, timeout_s=PAGE_TIMEOUT_S)
    assert_no_exception(page)
    text = page.get_by_test_id("stMain").inner_text()
    asked = ASKS_TO_TRAIN.search(text)
    assert asked is None, f"{path} asks a visitor to train ({asked.group(0)!r})"
    return text


def box(locator, what: str) -> dict:
    assert locator.count() >= 1, f"no {what} on the page"
    found = locator.first.bounding_box()
    assert found is not None and found["height"] > 0, f"the {what} is hidden"
    return found


def assert_on_first_screen(locator, what: str) -> dict:
    found = box(locator, what)
    bottom = found["y"] + found["height"]
    assert found["y"] >= 0 and bottom <= SCREEN["height"] + 1, (
        f"the {what} spans {found['y']:.0f}-{bottom:.0f} px, outside the first {SCREEN['height']} px"
    )
    return found


def metric(main, label: str):
    return main.get_by_test_id("stMetric").filter(
        has=main.page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    )


HEADLINE = ("Accuracy", "AUC", "Sensitivity", "Specificity")  # recall of PNEUMONIA and NORMAL


def first_screen(page, name: str) -> None:
    """What a visitor sees without scrolling (1440 x 900), then the whole page."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-screen.png"))
    save_artifact(page, name)


def test_evaluation_leads_with_a_result(first_visit, visitor):
    """The metric row, the report beside the confusion matrix and the basis line fill the first
    screen; the pickers come after them."""
    name, url = first_visit
    visit(visitor, url, "evaluation")
    visitor.wait_for_timeout(500)  # charts take their final size
    first_screen(visitor, f"first-visit-{name}-evaluation")
    main = visitor.get_by_test_id("stMain")
    for label in HEADLINE:
        assert_on_first_screen(metric(main, label), f"{label} metric")
    report = main.get_by_test_id("stDataFrame").filter(has_text="f1-score")
    assert_on_first_screen(report, "classification report")
    confusion = assert_on_first_screen(
        main.locator(".st-key-evaluation_confusion"), "confusion matrix"
    )
    line = main.get_by_test_id("stCaptionContainer").filter(has_text=re.compile(r"^Basis:"))
    basis = assert_on_first_screen(line, "basis line")
    text = line.first.inner_text()
    expected = ("synthetic",) if name == "synthetic" else ("trained on chest_xray", "scored on")
    for part in (*expected, "test split", "threshold", "trained on"):
        assert part in text, f"the basis line lacks {part!r}: {text}"
    picker = box(main.get_by_role("combobox", name="Run", exact=True), "run picker")
    assert picker["y"] > max(confusion["y"] + confusion["height"], basis["y"]), (
        "the run picker comes before the result"
    )


def test_predictions_lead_with_both_verdicts(first_visit, visitor):
    name, url = first_visit
    visit(visitor, url, "predictions")
    visitor.wait_for_timeout(500)
    first_screen(visitor, f"first-visit-{name}-predictions")
    main = visitor.get_by_test_id("stMain")
    for framework in ("Keras", "PyTorch"):
        assert_on_first_screen(
            main.get_by_role("heading", name=framework, exact=True), f"{framework} heading"
        )
    verdicts = metric(main, "P(PNEUMONIA)")
    assert verdicts.count() == 2, f"{verdicts.count()} verdicts shown"
    for index in range(2):
        assert_on_first_screen(verdicts.nth(index), "P(PNEUMONIA) metric")
    maps = main.get_by_test_id("stImage").filter(has_text="Grad-CAM")
    assert maps.count() == 2, f"{maps.count()} Grad-CAM maps shown on {name}"
    for index in range(2):
        found = box(maps.nth(index), "Grad-CAM map")
        assert found["y"] + found["height"] / 2 < SCREEN["height"], (
            f"less than half of a map is on the first screen: {found}"
        )
    picker = box(main.get_by_role("combobox", name="Keras run"), "Keras run picker")
    assert picker["y"] > box(maps.first, "Grad-CAM map")["y"], (
        "the run pickers come before the maps"
    )


def test_the_conclusion_has_both_columns_and_the_seed_table(first_visit, visitor):
    name, url = first_visit
    text = visit(visitor, url, "talk_conclusion")
    first_screen(visitor, f"first-visit-{name}-conclusion")
    assert "No Keras column" not in text and "No PyTorch column" not in text
    assert "Keras vs PyTorch across seeds" in text
    assert "Nothing to compare across seeds" not in text
    if name != "synthetic":  # the shipped `full` seed groups: seeds on both sides, a known spread
        assert re.search(r"(within|beyond) the seed-to-seed spread \(", text), text[-3000:]


def test_the_nutshell_says_what_processing_did(first_visit, visitor):
    name, url = first_visit
    text = visit(visitor, url, "talk_nutshell")
    save_artifact(visitor, f"first-visit-{name}-nutshell")
    assert "Nothing to show" not in text
    assert visitor.get_by_test_id("stMetric").count() >= 3, "no measured effect shown"
