"""Hostile data folders: every broken or odd file users have, read by the folder source and its CLI.

Valid-but-odd images (16-bit, RGBA, CMYK, EXIF-rotated, animated) must count, converted to
grayscale at the asked size; everything else must be listed with a reason that says what is
wrong, and the counts per split and class must be exact. Cases are built by tests/helpers/hostile_files.py.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pipeline.data import SourceError, load_all, open_source
from pipeline.data.images import IMAGE_EXTENSIONS, read_grayscale
from pipeline.data.summary import NOTHING_DECODED, summarize
from tests.helpers import hostile_files as hostile

ROOT = Path(__file__).resolve().parents[2]
SIZE = 32


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile") / "xr"
    return root, hostile.hostile_tree(root)


def cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipeline.data", *args], capture_output=True, cwd=ROOT, timeout=120
    )


def counts_without_val(splits: dict) -> dict:
    """train + val per class (val is carved out of train), and test as it is."""
    return {
        "train": {c: splits["train"][c] + splits["val"][c] for c in splits["train"]},
        "test": splits["test"],
    }


def test_counts_are_exact_and_every_unusable_file_is_listed_with_its_reason(tree):
    root, expected = tree
    summary = summarize(str(root), size=SIZE)
    assert counts_without_val(summary.splits) == expected["usable"]
    listed = {Path(s.path).name: s.reason for s in summary.skipped}
    assert set(listed) == set(expected["skipped"])
    for name, words in expected["skipped"].items():
        assert words in listed[name], (name, listed[name])
    assert summary.images == sum(sum(c.values()) for c in expected["usable"].values())


def test_an_empty_split_folder_is_carved_from_train_and_said_so(tree):
    root, _ = tree
    summary = summarize(str(root), size=SIZE)
    assert summary.splits["val"]["NORMAL"] >= 1 and summary.splits["val"]["PNEUMONIA"] >= 1
    assert "val: no images in its folders, so it is treated as missing" in summary.notes
    assert any(note.startswith("val carved out of train") for note in summary.notes)
    assert summary.patient_overlap == 0


def test_odd_but_valid_images_become_the_same_grayscale_picture(tree):
    root, _ = tree
    _scan, arrays = load_all(str(root), SIZE)
    assert arrays.images.shape[1:] == (SIZE, SIZE) and arrays.images.dtype == np.uint8
    plain = read_grayscale(hostile.plain_png(), SIZE)[0].astype(float)
    for name in hostile.CONVERTED_IN_TREE:
        index = [i for i, origin in enumerate(arrays.origins) if Path(origin).name == name]
        assert len(index) == 1, name
        image = arrays.images[index[0]].astype(float)
        assert np.abs(image - plain).mean() < 4, (
            f"{name} is not the upright picture"
        )  # JPEG loses a little
    exif = next(i for i, origin in enumerate(arrays.origins) if Path(origin).name == "exif.jpeg")
    assert tuple(arrays.original_sizes[exif]) == (40, 64), (
        "sizes are reported upright (EXIF applied)"
    )


def test_a_name_that_is_not_utf8_is_read_and_kept(tree):
    root, _ = tree
    scan = open_source(str(root)).scan()
    odd = [r for r in scan.records if os.fsencode(r.origin).endswith(b"\xff\xfe.jpeg")]
    assert len(odd) == 1 and odd[0].label == 0
    assert read_grayscale(Path(odd[0].origin), SIZE)[0].shape == (SIZE, SIZE)


def test_summary_json_stays_valid_whatever_the_file_names(tree):
    root, expected = tree
    result = cli("summary", "--source", str(root), "--json")
    assert result.returncode == 0, result.stderr.decode()
    report = json.loads(result.stdout.decode("utf-8"))
    assert counts_without_val(report["splits"]) == expected["usable"]
    names = {Path(s["path"]).name for s in report["skipped"]}
    assert hostile.HTML_NAME in names and "broken-\\xff.png" in names
    human = cli("summary", "--source", str(root))
    assert human.returncode == 0 and b"Traceback" not in human.stderr
    assert b"skipped: 13" in human.stdout


def test_export_csv_keeps_every_usable_image_and_reads_back(tree, tmp_path):
    root, expected = tree
    out = tmp_path / "manifest.csv"
    result = cli("export-csv", "--source", str(root), "--out", str(out))
    assert result.returncode == 0, result.stderr.decode()
    total = sum(sum(c.values()) for c in expected["usable"].values())
    assert f"wrote {total} rows".encode() in result.stdout
    assert (
        b"left out" in result.stdout
    )  # the broken images that passed the name check are said to be left out
    lines = out.read_bytes().splitlines()
    assert lines[0] == b"filename,label,split,patient" and len(lines) == 1 + total
    assert any(b"\xff\xfe.jpeg" in line for line in lines), (
        "the odd name is kept as the file system's bytes"
    )
    again = summarize(str(out), size=SIZE)
    first = summarize(str(root), size=SIZE)
    assert again.splits == first.splits and again.skipped == []


def test_a_folder_of_nothing_but_broken_files_says_so(tmp_path):
    root = tmp_path / "xr"
    for name, (make, _) in hostile.BROKEN_IN_TREE.items():
        hostile.write(root / "NORMAL" / name, make())
    (root / "PNEUMONIA").mkdir()
    result = cli("summary", "--source", str(root), "--json")
    assert result.returncode == 0, result.stderr.decode()
    report = json.loads(result.stdout)
    assert report["images"] == 0 and len(report["skipped"]) == len(hostile.BROKEN_IN_TREE)
    assert NOTHING_DECODED in report["notes"]
    export = cli("export-csv", "--source", str(root), "--out", str(tmp_path / "m.csv"))
    assert export.returncode == 2 and export.stdout == b"" and not (tmp_path / "m.csv").exists()
    assert (
        export.stderr.startswith(b"error: nothing to export") and b"Traceback" not in export.stderr
    )
    for path in (root / "NORMAL").iterdir():  # left: .DS_Store, Thumbs.db, notes.txt
        if path.suffix.lower() in IMAGE_EXTENSIONS:
            path.unlink()
    with pytest.raises(
        SourceError, match=r"No usable images .* \(3 files skipped\)\. Expected one of"
    ):
        open_source(str(root)).scan()


def test_files_that_decode_to_nothing_leave_the_counts_right(tmp_path):
    """Every good image in a class but one that is broken only inside (right extension, right size)."""
    normal, pneumonia = tmp_path / "xr" / "NORMAL", tmp_path / "xr" / "PNEUMONIA"
    hostile.good_images(normal, "IM-01", 4)
    hostile.good_images(pneumonia, "person1_virus_", 4, seed=50)
    hostile.write(pneumonia / "person9_virus_9.jpeg", hostile.truncated_jpeg())
    summary = summarize(str(tmp_path / "xr"), size=SIZE)
    assert summary.totals == {"NORMAL": 4, "PNEUMONIA": 4}
    assert [Path(s.path).name for s in summary.skipped] == ["person9_virus_9.jpeg"]
