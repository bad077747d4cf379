"""Patient ids from Kermany file names, patient-grouped stratified splits, and the leak check.

``personN`` is numbered per kind of pneumonia (docs/patients.md): ``person1_bacteria`` and
``person1_virus`` are two children, so only one child's images in two splits count as a leak.
"""

import shutil
from collections import defaultdict
from pathlib import Path

import pytest

from pipeline.data import open_source
from pipeline.data.patients import grouped_split, leak_key, patient_id
from pipeline.data.summary import summarize
from pipeline.talk.data_description import Finding, quality


@pytest.mark.parametrize(
    "name, patient",
    [
        ("person123_bacteria_456.jpeg", "person123"),
        ("person1_virus_6.jpeg", "person1"),
        ("person1180_virus_2010_1.jpeg", "person1180"),
        ("IM-0115-0001.jpeg", "IM-0115"),
        ("IM-0123-0001-0002.jpeg", "IM-0123"),
        ("NORMAL2-IM-0007-0001.jpeg", "NORMAL2-IM-0007"),
        ("/data/train/NORMAL/NORMAL2-IM-1345-0001-0002.jpeg", "NORMAL2-IM-1345"),
        ("scan_42.png", "scan_42"),
    ],
)
def test_patient_id(name, patient):
    assert patient_id(name) == patient


def test_grouped_split_is_deterministic_grouped_and_stratified():
    labels = [0] * 300 + [1] * 900
    patients = [f"n{i // 3}" for i in range(300)] + [f"p{i // 2}" for i in range(900)]
    first = grouped_split(labels, patients, {"val": 0.1, "test": 0.1}, seed=3)
    assert first == grouped_split(labels, patients, {"val": 0.1, "test": 0.1}, seed=3)
    assert first != grouped_split(labels, patients, {"val": 0.1, "test": 0.1}, seed=4)
    split_of = {}
    for patient, split in zip(patients, first):
        assert split_of.setdefault(patient, split) == split, "a patient in two splits"
    for split in ("val", "test"):
        normal = sum(1 for label, s in zip(labels, first) if s == split and label == 0)
        pneumonia = sum(1 for label, s in zip(labels, first) if s == split and label == 1)
        assert 27 <= normal <= 33 and 88 <= pneumonia <= 92


@pytest.mark.parametrize(
    "name, patient, key",
    [
        ("person123_bacteria_456.jpeg", None, "person123_bacteria"),
        ("/data/test/PNEUMONIA/person1_virus_6.jpeg", None, "person1_virus"),
        ("person1180_virus_2010_1.jpeg", "person1180", "person1180_virus"),
        ("Person7_Bacteria_12.JPEG", None, "Person7_bacteria"),
        ("IM-0115-0001.jpeg", "IM-0115", "IM-0115"),
        ("NORMAL2-IM-0007-0001.jpeg", None, "NORMAL2-IM-0007"),
        ("scan_42.png", None, "scan_42"),
        # a source's own patient id wins: a CSV's patient column, the synthetic generator's ids
        ("person1_virus_6.jpeg", "child-17", "child-17"),
        ("synthetic#train/12", "syn-0004", "syn-0004"),
    ],
)
def test_leak_key(name, patient, key):
    assert leak_key(name, patient) == key


def kermany_tree(root: Path, real_data: Path, pneumonia: dict[str, list[str]]) -> Path:
    """``root/{train,val,test}/{NORMAL,PNEUMONIA}`` of real images renamed as ``pneumonia`` says.

    Each split gets two NORMAL patients of its own; no split is carved, so every overlap is the
    one the names build.
    """
    sources = {
        "NORMAL": sorted((real_data / "train" / "NORMAL").glob("*.jpeg")),
        "PNEUMONIA": sorted((real_data / "train" / "PNEUMONIA").glob("*.jpeg")),
    }
    used = defaultdict(int)

    def copy(class_name: str, split: str, name: str) -> None:
        folder = root / split / class_name
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(sources[class_name][used[class_name]], folder / name)
        used[class_name] += 1

    for digit, split in enumerate(("train", "val", "test"), start=1):
        for i in range(2):
            copy("NORMAL", split, f"IM-{digit}{i:03d}-0001.jpeg")
        for name in pneumonia.get(split, []):
            copy("PNEUMONIA", split, name)
    return root


def patients_finding(summary: dict) -> Finding:
    return next(f for f in quality(summary).findings if f.topic == "patients")


def test_one_person_number_with_another_kind_in_each_split_is_no_leak(tmp_path, real_data):
    # person1 is bacteria in train and virus in test, as on the official Kaggle layout
    root = kermany_tree(
        tmp_path / "xr",
        real_data,
        {
            "train": ["person1_bacteria_1.jpeg", "person1_bacteria_2.jpeg", "person2_virus_1.jpeg"],
            "val": ["person3_bacteria_3.jpeg"],
            "test": ["person1_virus_2.jpeg", "person4_bacteria_4.jpeg"],
        },
    )
    summary = summarize(str(root), size=32)

    assert summary.patient_overlap == 0
    assert summary.patient_overlap_other_kind == 1
    # patients are children: person1_bacteria in train, person1_virus in test
    assert summary.patients == {"train": 4, "val": 3, "test": 4}
    finding = patients_finding(summary)
    assert finding.level == "info"
    assert finding.text.startswith(
        "1 personN id appears in two splits, with a different kind of pneumonia in each: the "
        "file names number patients per kind, so these are different children, not a leak "
        "(docs/patients.md)."
    )
    assert "No patient has images in two splits" in finding.text
    assert "leak into" not in finding.text


def test_one_child_in_two_splits_is_the_only_leak_counted(tmp_path, real_data):
    root = kermany_tree(
        tmp_path / "xr",
        real_data,
        {
            "train": ["person1_bacteria_1.jpeg", "person2_virus_1.jpeg", "person5_virus_2.jpeg"],
            "val": ["person3_bacteria_3.jpeg", "person5_bacteria_4.jpeg"],
            # person1: the other kind, two children; person2_virus: one child in two splits
            "test": ["person1_virus_3.jpeg", "person2_virus_4.jpeg", "person4_bacteria_5.jpeg"],
        },
    )
    summary = summarize(str(root), size=32)

    assert summary.patient_overlap == 1  # person2_virus
    assert summary.patient_overlap_other_kind == 2  # person1 and person5
    finding = patients_finding(summary)
    assert finding.level == "warning"
    assert finding.text.startswith("1 patient has images in more than one split:")
    assert "2 personN ids appear in two splits, with a different kind" in finding.text


def test_no_overlap_at_all_is_ok(tmp_path, real_data):
    root = kermany_tree(
        tmp_path / "xr",
        real_data,
        {
            "train": ["person1_bacteria_1.jpeg", "person1_virus_1.jpeg"],
            "val": ["person2_virus_2.jpeg"],
            "test": ["person3_bacteria_2.jpeg"],
        },
    )
    summary = summarize(str(root), size=32)

    assert summary.patient_overlap == summary.patient_overlap_other_kind == 0
    assert patients_finding(summary) == Finding(
        "patients",
        "ok",
        "No patient has images in two splits: validation and test scores measure new patients.",
    )


def test_half_the_person_numbers_of_the_real_training_folder_carry_both_kinds(real_data):
    names = [p.name for p in (real_data / "train" / "PNEUMONIA").iterdir()]
    kinds = defaultdict(set)
    for name in names:
        if name.startswith("person"):
            kinds[patient_id(name)].add(leak_key(name))
    assert len(kinds) == 1635
    assert sum(len(keys) == 2 for keys in kinds.values()) == 808


def test_carving_the_real_folder_keeps_a_person_number_in_one_split(real_data):
    # carving stays coarse: both children of a personN go to the same split, so nothing moved
    scan = open_source(str(real_data)).scan()
    splits_of = defaultdict(set)
    for record in scan.records:
        assert record.patient == patient_id(record.origin)
        splits_of[record.patient].add(record.split)
    assert all(len(splits) == 1 for splits in splits_of.values())
    assert {r.split for r in scan.records} == {"train", "val", "test"}
