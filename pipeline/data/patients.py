"""Patient ids from file names, and splits that never put one patient in two places.

The Kermany file names carry the patient: ``person123_bacteria_456.jpeg`` (patient
``person123``), ``IM-0115-0001.jpeg`` (``IM-0115``), ``NORMAL2-IM-0007-0001.jpeg``
(``NORMAL2-IM-0007``). Several images of one patient are near duplicates, so a split that
separates them leaks the answer into validation.
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
