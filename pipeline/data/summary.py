"""What a source holds, as one record: counts, patients, overlap, skipped files (``DataSummary``).

Patients are counted, and the overlap between splits checked, by ``patients.leak_key``: a
Kermany ``personN`` is numbered per kind of pneumonia, so ``person1_bacteria`` in train and
``person1_virus`` in test are two children, not a leak (docs/patients.md).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from . import CLASS_NAMES, SPLITS, SplitArrays, load_all
from .core import Scan, Skipped
from .folder import display_path
from .patients import leak_key

SUMMARY_SIZE = 128  # the size the explorer shows; decoding finds the broken files
NOTHING_DECODED = "no image could be read: every file is listed under skipped with the reason"


@dataclass(frozen=True)
class SizeRange:
    """The smallest, median and largest of one side of the images (None when none decoded)."""

    min: int | None
    median: float | None
    max: int | None


@dataclass(frozen=True)
class ImageSizes:
    """The images' original sizes in pixels, before resizing."""

    width: SizeRange
    height: SizeRange


@dataclass(frozen=True)
class DataSummary:
    """What ``summarize`` counts; ``to_dict`` is what ``python -m pipeline.data summary --json``
    prints. Counts are of images whose pixels decoded."""

    source: str
    kind: str
    fingerprint: str
    splits: dict[str, dict[str, int]]  # split -> class -> images
    totals: dict[str, int]  # class -> images
    images: int
    patients: dict[str, int]  # split -> patients
    patients_known: bool
    patient_overlap: int  # patients (leak_key) with images in two splits
    # ids like personN in two splits only as different patients (another kind in each split)
    patient_overlap_other_kind: int
    skipped: list[Skipped]  # with printable paths
    notes: list[str]
    image_size: ImageSizes
    cached_size: int  # the size the images were decoded at

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def summarize(spec: str, size: int = SUMMARY_SIZE) -> DataSummary:
    """Counts per split and class, patients per split, overlap, skipped files and notes.

    Counts are of images whose pixels decoded; the rest are in ``skipped`` with a reason.
    """
    scan, arrays = load_all(spec, size)
    return summarize_loaded(scan, arrays, size)


def summarize_loaded(scan: Scan, arrays: SplitArrays, size: int) -> DataSummary:
    """``summarize`` for a scan and its arrays already in memory."""
    splits = {
        s: {
            c: int(np.sum((arrays.splits == s) & (arrays.labels == i)))
            for i, c in enumerate(CLASS_NAMES)
        }
        for s in SPLITS
    }
    keys = np.array(
        [leak_key(o, p) for o, p in zip(arrays.origins.tolist(), arrays.patients.tolist())],
        dtype=str,
    )
    patient_sets = {s: set(keys[arrays.splits == s].tolist()) for s in SPLITS}
    overlap = _in_two_splits(patient_sets)
    coarse = _in_two_splits({s: set(arrays.patients[arrays.splits == s].tolist()) for s in SPLITS})
    coarse_of = dict(zip(keys.tolist(), arrays.patients.tolist()))
    other_kind = coarse - {coarse_of[key] for key in overlap}
    skipped = [Skipped(display_path(s.path), s.reason) for s in scan.skipped + arrays.failed]
    widths, heights = arrays.original_sizes[:, 0], arrays.original_sizes[:, 1]
    return DataSummary(
        source=scan.source,
        kind=scan.kind,
        fingerprint=scan.fingerprint,
        splits=splits,
        totals={c: sum(splits[s][c] for s in SPLITS) for c in CLASS_NAMES},
        images=len(arrays),
        patients={s: len(patient_sets[s]) for s in SPLITS},
        patients_known=scan.patients_known,
        patient_overlap=len(overlap),
        patient_overlap_other_kind=len(other_kind),
        skipped=skipped,
        notes=scan.notes + ([NOTHING_DECODED] if len(arrays) == 0 else []),
        image_size=ImageSizes(_stats(widths), _stats(heights)),
        cached_size=size,
    )


def _in_two_splits(sets: dict[str, set[str]]) -> set[str]:
    overlap = set()
    for i, a in enumerate(SPLITS):
        for b in SPLITS[i + 1 :]:
            overlap |= sets[a] & sets[b]
    return overlap


def _stats(values: np.ndarray) -> SizeRange:
    if len(values) == 0:
        return SizeRange(None, None, None)
    return SizeRange(int(values.min()), float(np.median(values)), int(values.max()))
