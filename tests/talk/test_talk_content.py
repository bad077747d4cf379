"""What the first three talk pages show, without Streamlit: history data, framework table,
the Keras mini demo (trained for real, in its own process) and the data description."""

import json
import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from pipeline.data import CLASS_NAMES, SPLITS, open_source
from pipeline.data.summary import summarize
from pipeline.talk import mini_demo
from pipeline.talk.data_description import DataDescription, describe_data
from pipeline.talk.framework_features import (
    FEATURES,
    FRAMEWORKS,
    comparison_rows,
    installed_versions,
)
from pipeline.talk.history import HUMAN_TOP5, ILSVRC_TOP5, THEMES, TIMELINE, WINTERS
from tests.helpers.imagetree import kaggle_tree
from tests.helpers.mnist import write_mnist

ROOT = Path(__file__).resolve().parents[2]
KERAS_LINE = re.compile(r"^(\d+)/(\d+) - \d+s - \d+m?s/step((?: - \w+: [-+.\deE]+)+)$")


# ---- history ----


def test_timeline_is_sorted_and_every_event_has_a_source():
    years = [event.year for event in TIMELINE]
    assert years == sorted(years)
    assert {1958, 1969, 1986, 1989, 1998, 2009, 2012, 2014, 2015} <= set(years)
    for event in (*TIMELINE, *WINTERS):
        assert event.source.strip() and event.url.startswith("https://"), event
    for event in TIMELINE:
        assert event.theme in THEMES and event.what.strip() and event.why.strip(), event


def test_imagenet_errors_are_the_published_ones_with_sources():
    assert [(r.year, r.top5_error) for r in ILSVRC_TOP5] == [
        (2010, 28.2),
        (2011, 25.8),
        (2012, 16.4),
        (2013, 11.7),
        (2014, 6.7),
        (2015, 3.57),
        (2016, 2.99),
        (2017, 2.25),
    ]
    errors = [r.top5_error for r in ILSVRC_TOP5]
    assert errors == sorted(errors, reverse=True)
    assert [r.deep for r in ILSVRC_TOP5] == [r.year >= 2012 for r in ILSVRC_TOP5]
    for result in (*ILSVRC_TOP5, HUMAN_TOP5):
        assert (
            result.winner.strip() and result.source.strip() and result.url.startswith("https://")
        ), result
    assert HUMAN_TOP5.top5_error == 5.1


# ---- framework features ----


def test_framework_table_is_complete_sourced_and_free_of_unsourced_counts():
    names = [framework.name for framework in FRAMEWORKS]
    assert {"Keras 3", "TensorFlow", "PyTorch", "JAX"} <= set(names)
    for framework in FRAMEWORKS:
        assert set(framework.cells) == set(FEATURES), framework.name
        assert all(text.strip() for text in framework.cells.values()), framework.name
        assert framework.sources and all(url.startswith("https://") for url in framework.sources)
        for text in framework.cells.values():
            assert not re.search(r"\d+(\.\d+)?\s*[kKM]\b|\d{1,3},\d{3}|stars", text), (
                text
            )  # no star counts
    rows = comparison_rows()
    assert [row["feature"] for row in rows] == list(FEATURES.values())
    assert all(set(row) == {"feature", *names} for row in rows)


def test_installed_versions_are_read_from_this_machine():
    versions = installed_versions()
    for name, package in (("Keras 3", "keras"), ("TensorFlow", "tensorflow"), ("PyTorch", "torch")):
        assert versions[name] == metadata.version(package)
        assert re.match(r"^\d+\.\d+", versions[name])
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            (
                "import sys; from pipeline.talk.framework_features import installed_versions; installed_versions(); "
                "print([m for m in ('torch', 'tensorflow', 'keras') if m in sys.modules])"
            ),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == 0, child.stderr[-2000:]
    assert child.stdout.strip() == "[]"


# ---- the Keras mini demo ----


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """``python -m pipeline.talk.mini_demo --epochs 5 --json`` in its own process (it imports Keras).

    An empty KERAS_HOME makes the run independent of whether this machine has MNIST cached.
    """
    keras_home = tmp_path_factory.mktemp("keras-home")
    child = subprocess.run(
        [sys.executable, "-m", "pipeline.talk.mini_demo", "--epochs", "5", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "KERAS_HOME": str(keras_home)},
    )
    assert child.returncode == 0, child.stderr[-3000:]
    return json.loads(child.stdout.strip().splitlines()[-1])


@pytest.mark.slow  # trains the mini demo's network
def test_mini_demo_really_learns_the_held_out_digits(demo_run):
    assert demo_run["dataset"] == "scikit-learn digits"
    assert (
        "MNIST is not on disk" in demo_run["dataset_note"]
        and "1,797 images" in demo_run["dataset_note"]
    )
    assert demo_run["train_images"] + demo_run["test_images"] == 1797
    assert demo_run["test_accuracy"] > 0.85
    assert demo_run["history"]["accuracy"][-1] > demo_run["history"]["accuracy"][0]
    assert len(demo_run["predictions"]) == 8
    assert all(
        0 <= p["predicted"] <= 9 and 0.1 <= p["probability"] <= 1 for p in demo_run["predictions"]
    )
    assert (
        demo_run["workflow_seconds"] < 60
    )  # seconds once Keras is imported, even on a busy 2-core machine


@pytest.mark.slow  # trains the mini demo's network
def test_mini_demo_log_is_the_keras_log_and_matches_history(demo_run):
    lines = demo_run["log"].splitlines()
    epochs = demo_run["epochs"]
    assert lines[0::2] == [f"Epoch {n}/{epochs}" for n in range(1, epochs + 1)]
    for epoch, line in enumerate(lines[1::2]):
        match = KERAS_LINE.match(line)
        assert match, line
        assert match.group(1) == match.group(2)  # every batch of the epoch ran
        shown = dict(item.split(": ") for item in match.group(3).removeprefix(" - ").split(" - "))
        assert (
            set(shown)
            == set(demo_run["history"])
            == {"accuracy", "loss", "val_accuracy", "val_loss"}
        )
        for key, text in shown.items():
            assert float(text) == pytest.approx(demo_run["history"][key][epoch], abs=5e-5), (
                key,
                epoch,
            )


def test_mini_demo_refuses_a_bad_epoch_count():
    child = subprocess.run(
        [sys.executable, "-m", "pipeline.talk.mini_demo", "--epochs", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == 2
    assert "--epochs must be between 1 and 50" in child.stderr
    with pytest.raises(ValueError, match="between 1 and 50"):
        mini_demo.run_demo(epochs=99)


def test_mnist_is_used_only_when_keras_already_has_it(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert mini_demo.cached_mnist_path() is None
    assert mini_demo.load_digit_data(seed=0).name == "scikit-learn digits"

    write_mnist(tmp_path, train=300, test=50)
    data = mini_demo.load_digit_data(seed=0)
    assert data.name == "MNIST" and str(tmp_path) in data.note
    assert data.x_train.shape == (300, 784) and data.x_test.shape == (50, 784)
    assert data.x_train.min() >= 0 and data.x_train.max() <= 1

    (tmp_path / "datasets" / "mnist.npz").write_bytes(b"not a zip")
    damaged = mini_demo.load_digit_data(seed=0)
    assert damaged.name == "scikit-learn digits" and "could not be read" in damaged.note


# ---- the data description ----


def assert_matches_summary(description: DataDescription, summary: dict) -> None:
    table = description.structure.table
    for split in SPLITS:
        for name in CLASS_NAMES:
            assert table[split][name] == summary.splits[split][name]
        assert table[split]["total"] == sum(summary.splits[split].values())
    quantity = description.quantity
    assert quantity.images == summary.images == table["all"]["total"]
    assert quantity.totals == summary.totals
    totals = summary.totals
    assert quantity.pneumonia_per_normal == pytest.approx(totals["PNEUMONIA"] / totals["NORMAL"])
    assert quantity.patients == summary.patients
    quality = description.quality
    assert quality.skipped == summary.skipped
    assert quality.patient_overlap == summary.patient_overlap
    assert quality.image_size == summary.image_size
    share = summary.totals["PNEUMONIA"] / summary.images
    balance = next(f.text for f in quality.findings if f.topic == "balance")
    assert f"always answering PNEUMONIA already scores {share:.0%} accuracy" in balance


def test_description_of_the_synthetic_demo_equals_its_summary():
    summary = summarize("synthetic")
    source = open_source("synthetic")
    description = describe_data(summary, source.scan(), source.describe())

    assert_matches_summary(description, summary)
    assert description.origin.kind.startswith("Synthetic generator")
    assert description.origin.description == source.describe()
    assert description.structure.layout.startswith("Generated images in three splits")
    findings = {f.text for f in description.quality.findings}
    assert "No file was skipped: every listed image decoded." in findings
    assert any("No patient has images in two splits" in text for text in findings)


def test_description_of_a_folder_lists_its_broken_files_and_carved_splits(tmp_path):
    root = kaggle_tree(
        tmp_path / "xrays", splits=("train", "test"), per_class=(12, 30), broken=True
    )
    summary = summarize(str(root))
    source = open_source(str(root))
    description = describe_data(summary, source.scan(), source.describe())

    assert_matches_summary(description, summary)
    layout = description.structure.layout
    assert (
        layout.startswith("Kaggle layout: split folders train, test")
        and "val carved out of train" in layout
    )
    skipped = {Path(item.path).name: item.reason for item in description.quality.skipped}
    assert {
        "truncated.jpeg",
        "empty.jpeg",
        "page.jpeg",
        ".DS_Store",
        "notes.txt",
        "stray.jpeg",
    } <= set(skipped)
    files = next(f for f in description.quality.findings if f.topic == "files")
    assert files.level == "warning" and files.text.startswith(
        f"{len(summary.skipped)} files were skipped"
    )
    val_total = sum(summary.splits["val"].values())
    assert any(
        f.text.startswith(f"val holds only {val_total} images")
        for f in description.quality.findings
    )
    assert description.origin.kind == "Image folder"
    assert description.origin.location == summary.source


def test_description_of_class_folders_says_both_splits_were_carved(tmp_path):
    from tests.helpers.imagetree import write_image

    root = tmp_path / "pool"
    for i in range(12):
        write_image(root / "NORMAL" / f"IM-{i:04d}-0001.jpeg", i)
        write_image(root / "PNEUMONIA" / f"person{i}_bacteria_{i}.jpeg", 100 + i)
        write_image(root / "PNEUMONIA" / f"person{i}_virus_{i + 50}.jpeg", 200 + i)
    summary = summarize(str(root))
    source = open_source(str(root))
    description = describe_data(summary, source.scan(), source.describe())

    assert_matches_summary(description, summary)
    assert description.structure.layout == (
        "Class folders NORMAL and PNEUMONIA with no split folders; "
        "val and test carved out of train by patient."
    )
    assert description.quality.patient_overlap == 0
