"""Patient ids from file names, and splits that never put one patient in two places.

The Kermany file names carry the patient: ``person123_bacteria_456.jpeg``,
``IM-0115-0001.jpeg`` (``IM-0115``), ``NORMAL2-IM-0007-0001.jpeg`` (``NORMAL2-IM-0007``).
Images of one patient look more alike than images of two, so a split that separates them leaks
the answer into validation.

``personN`` is numbered per kind of pneumonia: ``person1_bacteria_*`` and ``person1_virus_*``
are two children. The images say so (docs/patients.md, ``python -m benchmarks.patient_key``):
a bacteria and a virus image of one ``personN`` are no more alike than images of two random
``personN`` ids, while two images of one ``(personN, kind)`` are; and half the ``personN`` ids
of the training folder carry both kinds, as many as two independent numberings give by chance.
So there are two keys:

- ``patient_id`` (``person123``), coarse: carving groups by it. Grouping more coarsely never
  leaks, and it keeps every carved split, and so every trained run's data, as it was.
- ``leak_key`` (``person123_bacteria``), the patient: the leak check counts by it, so that a
  split is called leaky only where one child's images are in two splits.
"""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from pathlib import PurePath

PATIENT_PATTERNS = (
    re.compile(r"^(person\d+)_", re.IGNORECASE),
    re.compile(r"^((?:NORMAL\d*-)?IM-\d+)-", re.IGNORECASE),
)

KIND_NUMBERED = re.compile(r"^(person\d+)_(bacteria|virus)_", re.IGNORECASE)

DEFAULT_FRACTIONS = {"val": 0.1, "test": 0.1}
DEFAULT_SEED = 0


def patient_id(filename: str) -> str:
    """The patient a file belongs to; a name with no known pattern is its own patient."""
    stem = PurePath(filename).name
    for pattern in PATIENT_PATTERNS:
        match = pattern.match(stem)
        if match:
            return match.group(1)
    return PurePath(stem).stem


def leak_key(filename: str, patient: str | None = None) -> str:
    """The patient for the leak check: ``personN_bacteria`` or ``personN_virus`` for a Kermany
    pneumonia file (``personN`` is numbered per kind), ``patient_id`` for any other name.

    ``patient``, the id a source gave the image, wins where it is not the coarse id the file
    name gives (a CSV's own patient column, the synthetic generator's ids).
    """
    coarse = patient_id(filename)
    if patient is not None and patient != coarse:
        return patient
    match = KIND_NUMBERED.match(PurePath(filename).name)
    return f"{match.group(1)}_{match.group(2).lower()}" if match else coarse


def grouped_split(
    labels: list[int],
    patients: list[str],
    fractions: dict[str, float],
    seed: int = DEFAULT_SEED,
) -> list[str]:
    """Assign each item to "train" or one of ``fractions``' splits, by patient and per class.

    Stratified: within each class (a patient counts under its most frequent label), whole
    patients are drawn in a seeded order until each split holds its fraction of that class's
    images. Deterministic for a given input and seed.
    """
    images_of = defaultdict(list)
    for index, patient in enumerate(patients):
        images_of[patient].append(index)

    patients_by_class = defaultdict(list)
    for patient in sorted(images_of):
        votes = Counter(labels[i] for i in images_of[patient])
        majority = max(sorted(votes), key=lambda label: votes[label])
        patients_by_class[majority].append(patient)

    assignment = ["train"] * len(labels)
    rng = random.Random(seed)
    for label in sorted(patients_by_class):
        group = patients_by_class[label]
        rng.shuffle(group)
        total = sum(len(images_of[p]) for p in group)
        cursor = 0
        for split, fraction in fractions.items():
            target, taken = round(total * fraction), 0
            while cursor < len(group) and taken < target:
                for i in images_of[group[cursor]]:
                    assignment[i] = split
                taken += len(images_of[group[cursor]])
                cursor += 1
    return assignment
