"""Patient ids from Kermany file names, and patient-grouped stratified splits."""

import pytest

from pipeline.data.patients import grouped_split, patient_id


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
