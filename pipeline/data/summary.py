"""What a source holds, as one JSON-ready dict: counts, patients, overlap, skipped files."""

from __future__ import annotations

import numpy as np

from . import CLASS_NAMES, SPLITS, SplitArrays, load_all
from .core import Scan
from .folder import display_path

SUMMARY_SIZE = 128  # the size the explorer shows; decoding finds the broken files
NOTHING_DECODED = "no image could be read: every file is listed under skipped with the reason"


def summarize(spec: str, size: int = SUMMARY_SIZE) -> dict:
    """Counts per split and class, patients per split, overlap, skipped files and notes.

    Counts are of images whose pixels decoded; the rest are in ``skipped`` with a reason.
    """
    scan, arrays = load_all(spec, size)
    return summarize_loaded(scan, arrays, size)


def summarize_loaded(scan: Scan, arrays: SplitArrays, size: int) -> dict:
    """``summarize`` for a scan and its arrays already in memory."""
    splits = {
        s: {
            c: int(np.sum((arrays.splits == s) & (arrays.labels == i)))
            for i, c in enumerate(CLASS_NAMES)
        }
        for s in SPLITS
    }
    patient_sets = {s: set(arrays.patients[arrays.splits == s].tolist()) for s in SPLITS}
    overlap = set()
    for i, a in enumerate(SPLITS):
        for b in SPLITS[i + 1 :]:
            overlap |= patient_sets[a] & patient_sets[b]
    skipped = [
        {"path": display_path(s.path), "reason": s.reason} for s in scan.skipped + arrays.failed
    ]
    widths, heights = arrays.original_sizes[:, 0], arrays.original_sizes[:, 1]
    return {
        "source": scan.source,
        "kind": scan.kind,
        "fingerprint": scan.fingerprint,
        "splits": splits,
        "totals": {c: sum(splits[s][c] for s in SPLITS) for c in CLASS_NAMES},
        "images": len(arrays),
        "patients": {s: len(patient_sets[s]) for s in SPLITS},
        "patients_known": scan.patients_known,
        "patient_overlap": len(overlap),
        "skipped": skipped,
        "notes": scan.notes + ([NOTHING_DECODED] if len(arrays) == 0 else []),
        "image_size": {"width": _stats(widths), "height": _stats(heights)},
        "cached_size": size,
    }


def _stats(values: np.ndarray) -> dict:
    if len(values) == 0:
        return {"min": None, "median": None, "max": None}
    return {"min": int(values.min()), "median": float(np.median(values)), "max": int(values.max())}
