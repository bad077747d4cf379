"""Decode once, read from memory after: a per-(source, size) cache of uint8 arrays on disk.

Decoding and resizing 5,216 JPEGs takes seconds; reading the cached array takes a fraction
of one. The cache key holds the source's fingerprint, so adding, removing or modifying a
file makes a new entry instead of serving stale pixels. Each entry's sha256 is checked before
it is read (``pipeline.settings``): a damaged one is decoded again, and a cache the disk will
not take returns the decoded arrays anyway, with a warning.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

import numpy as np

from pipeline.settings import cache_entry_intact, cache_root, write_cache_entry

from .core import Scan, Skipped, Source

CACHE_VERSION = "arrays-1"


@dataclass
class SplitArrays:
    """The images of one split (or all of them), ready for either framework."""

    images: np.ndarray  # (N, size, size) uint8
    labels: np.ndarray  # (N,) int64, NORMAL = 0, PNEUMONIA = 1
    splits: np.ndarray  # (N,) str
    patients: np.ndarray  # (N,) str
    origins: np.ndarray  # (N,) str
    original_sizes: np.ndarray  # (N, 2) width, height
    masks: np.ndarray | None  # (N, size, size) bool, synthetic lesions only
    failed: list[Skipped]  # images listed by the scan whose pixels could not be read

    def subset(self, split: str) -> SplitArrays:
        keep = self.splits == split
        masks = self.masks[keep] if self.masks is not None else None
        return SplitArrays(
            self.images[keep],
            self.labels[keep],
            self.splits[keep],
            self.patients[keep],
            self.origins[keep],
            self.original_sizes[keep],
            masks,
            self.failed,
        )

    def __len__(self) -> int:
        return len(self.labels)


def cache_path(scan: Scan, size: int):
    return cache_root() / "arrays" / f"{scan.kind}-{scan.fingerprint}-{size}-{CACHE_VERSION}.npz"


def load_arrays(source: Source, scan: Scan, size: int) -> SplitArrays:
    """All splits of ``scan`` at ``size``, from the cache or decoded now and cached."""
    if not 8 <= size <= 1024:
        raise ValueError(f"image size {size} is out of range; use 8 to 1024 pixels")
    path = cache_path(scan, size)
    if cache_entry_intact(path):
        try:
            return _read(path)
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            pass  # intact bytes of a layout this code cannot read: decoded again and replaced
    arrays = _decode(source, scan, size)
    _write(path, arrays)
    return arrays


def _decode(source: Source, scan: Scan, size: int) -> SplitArrays:
    decoded = source.decode(scan.records, size)
    kept = [scan.records[i] for i in decoded.kept]
    return SplitArrays(
        images=decoded.images,
        labels=np.array([r.label for r in kept], dtype=np.int64),
        splits=np.array([r.split for r in kept], dtype=str),
        patients=np.array([r.patient for r in kept], dtype=str),
        origins=np.array([r.origin for r in kept], dtype=str),
        original_sizes=decoded.original_sizes,
        masks=decoded.masks,
        failed=decoded.failed,
    )


def _write(path, arrays: SplitArrays) -> None:
    buffer = io.BytesIO()
    extra = {"masks": arrays.masks} if arrays.masks is not None else {}
    np.savez(
        buffer,
        images=arrays.images,
        labels=arrays.labels,
        splits=arrays.splits,
        patients=arrays.patients,
        origins=arrays.origins,
        original_sizes=arrays.original_sizes,
        failed_paths=np.array([f.path for f in arrays.failed], dtype=str),
        failed_reasons=np.array([f.reason for f in arrays.failed], dtype=str),
        **extra,
    )
    write_cache_entry(
        path, buffer.getvalue()
    )  # a full or read-only cache warns; the arrays stay in hand


def _read(path) -> SplitArrays:
    with np.load(path, allow_pickle=False) as data:
        failed = [
            Skipped(str(p), str(r)) for p, r in zip(data["failed_paths"], data["failed_reasons"])
        ]
        return SplitArrays(
            images=data["images"],
            labels=data["labels"],
            splits=data["splits"],
            patients=data["patients"],
            origins=data["origins"],
            original_sizes=data["original_sizes"],
            masks=data["masks"] if "masks" in data.files else None,
            failed=failed,
        )
