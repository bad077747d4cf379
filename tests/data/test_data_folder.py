"""The folder and CSV sources on trees built here: counts, splits, patients, skipped files."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pipeline.data import (
    SourceError,
    export_csv,
    load_all,
    load_image,
    load_split,
    open_source,
)
from pipeline.data.summary import summarize
from tests.helpers.imagetree import kaggle_tree, write_image

ROOT = Path(__file__).resolve().parents[2]


def reasons(summary):
    return {Path(s.path).name: s.reason for s in summary.skipped}


def test_broken_files_are_skipped_and_listed(tmp_path):
    kaggle_tree(tmp_path / "xr")
    summary = summarize(str(tmp_path / "xr"), size=32)
    assert summary.totals == {"NORMAL": 6, "PNEUMONIA": 18}
    listed = reasons(summary)
    assert set(listed) == {
        ".DS_Store",
        "empty.jpeg",
        "page.jpeg",
        "notes.txt",
        "truncated.jpeg",
        "stray.jpeg",
    }
    assert "0 bytes" in listed["empty.jpeg"]
    assert "not an image" in listed["page.jpeg"]
    assert "outside the class folders" in listed["stray.jpeg"]
    assert "macOS" in listed[".DS_Store"]
    assert "unreadable" in listed["truncated.jpeg"] or "truncated" in listed["truncated.jpeg"]


def test_kermany_names_give_patients(tmp_path):
    kaggle_tree(tmp_path / "xr", per_class=(6, 18), broken=False)
    scan = open_source(str(tmp_path / "xr")).scan()
    assert len({r.patient for r in scan.records}) == 3 + 6


def test_missing_splits_are_carved_by_patient_and_reproducible(tmp_path):
    kaggle_tree(tmp_path / "xr", per_class=(40, 120), broken=False)
    first = open_source(str(tmp_path / "xr")).scan()
    second = open_source(str(tmp_path / "xr")).scan()
    assert [r.split for r in first.records] == [r.split for r in second.records]
    by_split = {
        s: {r.patient for r in first.records if r.split == s} for s in ("train", "val", "test")
    }
    assert not (by_split["train"] & by_split["val"]) and not (by_split["train"] & by_split["test"])
    assert not (by_split["val"] & by_split["test"])
    for split in ("val", "test"):
        labels = [r.label for r in first.records if r.split == split]
        assert 0 in labels and 1 in labels, f"{split} must hold both classes"
        assert 0.05 <= len(labels) / len(first.records) <= 0.15
    assert any("carved out of train" in note for note in first.notes)


def test_existing_splits_are_kept_and_class_folders_in_any_case(tmp_path):
    kaggle_tree(tmp_path / "xr", splits=("train", "val", "test"), per_class=(4, 8), broken=False)
    (tmp_path / "xr" / "test" / "NORMAL").rename(tmp_path / "xr" / "test" / "normal")
    (tmp_path / "xr" / "val").rename(tmp_path / "xr" / "VAL")
    summary = summarize(str(tmp_path / "xr"), size=32)
    for split in ("train", "val", "test"):
        assert summary.splits[split] == {"NORMAL": 4, "PNEUMONIA": 8}
    assert not any("carved" in note for note in summary.notes)


def test_class_folders_without_split_folders(tmp_path):
    kaggle_tree(tmp_path / "xr", per_class=(20, 60), broken=False)
    flat = tmp_path / "xr" / "train"
    summary = summarize(str(flat), size=32)
    assert summary.totals == {"NORMAL": 20, "PNEUMONIA": 60}
    assert summary.patient_overlap == 0


def test_empty_class_is_noted_not_fatal(tmp_path):
    kaggle_tree(tmp_path / "xr", per_class=(0, 10), broken=False)
    (tmp_path / "xr" / "train" / "NORMAL").mkdir()
    scan = open_source(str(tmp_path / "xr")).scan()
    assert any("NORMAL has no images" in note for note in scan.notes)


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda p: p / "missing", "does not exist"),
        (lambda p: (p / "file.txt").write_text("x") and p / "file.txt", "not a folder"),
        (lambda p: (p / "a").mkdir() or (p / "b").mkdir() or p, "No recognisable layout"),
    ],
)
def test_unusable_paths_say_what_is_expected(tmp_path, make, expected):
    with pytest.raises(SourceError, match=expected) as info:
        open_source(str(make(tmp_path))).scan()
    assert "Expected" in str(info.value) or "does not exist" in str(info.value)


def test_cache_is_reused_and_invalidated_by_changes(tmp_path):
    root = kaggle_tree(tmp_path / "xr", per_class=(4, 8), broken=False)
    scan, arrays = load_all(str(root), 32)
    assert arrays.images.shape == (12, 32, 32) and arrays.images.dtype == np.uint8
    again_scan, _ = load_all(str(root), 32)
    assert again_scan.fingerprint == scan.fingerprint
    write_image(root / "train" / "NORMAL" / "IM-9999-0001.jpeg", 77)
    changed_scan, changed = load_all(str(root), 32)
    assert changed_scan.fingerprint != scan.fingerprint
    assert len(changed) == 13


def test_one_image_decodes_as_the_arrays_do_and_says_when_it_is_gone(tmp_path):
    root = kaggle_tree(tmp_path / "xr", per_class=(3, 5), broken=False)
    _, arrays = load_all(str(root), 48)
    for index in (0, len(arrays) - 1):
        alone = load_image(str(root), str(arrays.origins[index]), 48)
        assert alone.shape == (48, 48) and np.array_equal(alone, arrays.images[index])
    gone = Path(str(arrays.origins[0]))
    gone.unlink()
    with pytest.raises(SourceError, match="no longer in"):
        load_image(str(root), str(gone), 48)


def test_corrupt_cache_entry_is_rebuilt(tmp_path):
    from pipeline.data.arrays import cache_path

    root = kaggle_tree(tmp_path / "xr", per_class=(4, 8), broken=False)
    scan, arrays = load_all(str(root), 32)
    cache_path(scan, 32).write_bytes(b"garbage")
    _, rebuilt = load_all(str(root), 32)
    assert np.array_equal(rebuilt.images, arrays.images)


def test_images_are_grayscale_resized_whatever_their_mode(tmp_path):
    root = tmp_path / "xr" / "train"
    write_image(root / "NORMAL" / "IM-0001-0001.png", 1, "PNG", "RGBA")
    write_image(root / "NORMAL" / "IM-0002-0001.jpeg", 2, "JPEG", "CMYK")
    write_image(root / "PNEUMONIA" / "person1_virus_1.png", 3, "PNG", "I;16")
    write_image(root / "PNEUMONIA" / "person2_virus_2.png", 4, "PNG", "L")
    arrays = load_split(str(tmp_path / "xr"), "train", 24)
    val, test = (
        load_split(str(tmp_path / "xr"), "val", 24),
        load_split(str(tmp_path / "xr"), "test", 24),
    )
    assert len(arrays) + len(val) + len(test) == 4
    everything = np.concatenate([arrays.images, val.images, test.images])
    assert everything.shape[1:] == (24, 24)
    assert all(img.std() > 0 for img in everything), "every mode must keep its picture"


def test_csv_flat_form_round_trip(tmp_path):
    root = kaggle_tree(tmp_path / "xr", per_class=(10, 30), broken=False)
    scan = open_source(str(root)).scan()
    out = tmp_path / "flat" / "labels.csv"
    export_csv(scan, out)
    again = open_source(str(out)).scan()
    assert sorted((r.origin, r.label, r.split, r.patient) for r in again.records) == sorted(
        (r.origin, r.label, r.split, r.patient) for r in scan.records
    )


def test_csv_bad_rows_are_listed(tmp_path):
    write_image(tmp_path / "imgs" / "a.jpeg", 1)
    write_image(tmp_path / "imgs" / "b.jpeg", 2)
    (tmp_path / "imgs" / "labels.csv").write_text(
        "filename,label\na.jpeg,NORMAL\nb.jpeg,pneumonia\nc.jpeg,NORMAL\na.jpeg,cat\n"
    )
    scan = open_source(str(tmp_path / "imgs")).scan()
    assert len(scan.records) == 2
    problems = [s.reason for s in scan.skipped]
    assert any("file not found" in p for p in problems)
    assert any("label 'cat'" in p for p in problems)


def test_csv_without_needed_columns(tmp_path):
    (tmp_path / "x.csv").write_text("name,class\na,b\n")
    with pytest.raises(SourceError, match="filename,label"):
        open_source(str(tmp_path / "x.csv")).scan()


def test_undecodable_file_names_keep_json_valid(tmp_path):
    root = kaggle_tree(tmp_path / "xr", per_class=(4, 8), broken=False)
    odd = os.fsencode(root / "train" / "NORMAL") + b"/IM-0777-0001-\xff\xfe.jpeg"
    with open(odd, "wb") as handle:
        handle.write(Path(root / "train" / "NORMAL").iterdir().__next__().read_bytes())
    with open(os.fsencode(root / "train" / "NORMAL") + b"/bad-\xff.txt", "wb") as handle:
        handle.write(b"x")
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.data", "summary", "--source", str(root), "--json"],
        capture_output=True,
        cwd=ROOT,
        env={**os.environ},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr.decode()
    report = json.loads(result.stdout.decode("utf-8"))
    assert report["totals"] == {"NORMAL": 5, "PNEUMONIA": 8}
    assert len(report["skipped"]) == 1 and "bad-" in report["skipped"][0]["path"]


def test_cli_bad_source_exits_2_with_message(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.data", "summary", "--source", str(tmp_path / "nope")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 2
    assert "does not exist" in result.stderr


def test_cli_export_csv(tmp_path):
    root = kaggle_tree(tmp_path / "xr", per_class=(4, 8))
    out = tmp_path / "manifest.csv"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline.data",
            "export-csv",
            "--source",
            str(root),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = out.read_text().splitlines()
    assert lines[0] == "filename,label,split,patient"
    assert len(lines) == 1 + 12  # header + the decodable images


def test_canonical_source_spells_one_folder_one_way(tmp_path, monkeypatch):
    from pipeline.data import canonical_source

    monkeypatch.chdir(tmp_path)
    assert canonical_source("synthetic") == "synthetic"
    assert canonical_source("medmnist:128") == "medmnist:128"
    assert canonical_source("data/xr") == str(tmp_path / "data" / "xr")
    assert canonical_source("./data/../data/xr") == canonical_source(str(tmp_path / "data" / "xr"))
    assert canonical_source("medmnist:f.npz") == f"medmnist:{tmp_path / 'f.npz'}"
