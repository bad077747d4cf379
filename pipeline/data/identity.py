"""A dataset's identity from its content: which training images, not where they sit.

    identity = dataset_identity("/data/chest_xray")   # DatasetIdentity(fingerprint, images, name, ...)

A run is "the same run" when its settings, its model code and its *training images* are the
same (docs/dataset_identity.md). The identity hashes, for every image the source trains on, the
image's class, its name, its patient, its size and the SHA-256 of its bytes, plus how validation
and test were carved out of train (which splits, their fractions and seed). It never sees the
folder's path, the mount point or file times, so a copy, a move or a re-download of the same
files is the same dataset, while a re-encoded image, an added or removed image, or a changed
split is another.

Reading every training image's bytes costs about a second for the Kermany folder, so the
result is cached under ``$PNEUMOLAB_CACHE/identity/``, keyed by the source's cheap stat
fingerprint (names, sizes and times): a touched file is hashed again, an untouched one never.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path, PurePath

import numpy as np

from pipeline.settings import atomic_write_bytes, cache_root

from .core import CLASS_NAMES, Scan, Source
from .patients import DEFAULT_FRACTIONS, DEFAULT_SEED

IDENTITY_VERSION = "train-content-1"  # change when what the digest covers changes
CHEST_XRAY = "chest X-ray: NORMAL / PNEUMONIA"  # what the labels mean on real X-rays
SYNTHETIC = "synthetic demo: NORMAL / generated opacities"  # generated images: another meaning
RECHECK_SECONDS = 5.0  # within one process, a source is re-examined at most this often


@dataclass(frozen=True)
class DatasetIdentity:
    """What a source trains on, by content."""

    fingerprint: str  # 16 hex digits: the training images and how val / test were carved
    images: int  # training images it covers (before val / test were carved out of them)
    name: str  # for people: the folder, file or generator
    label_space: str  # runs can be scored on another source only when this is equal
    version: str = IDENTITY_VERSION
    carved: tuple[str, ...] | None = None  # splits carved out of train (None: not recorded)

    def to_dict(self) -> dict:
        return asdict(self)


def dataset_identity(spec: str) -> DatasetIdentity:
    """The identity of the source ``spec`` names (``SourceError`` when it cannot be read)."""
    from pipeline.data import open_source

    key = (spec, int(time.monotonic() // RECHECK_SECONDS))
    if key not in _recent:
        _recent.clear()
        _recent[key] = identity_of(open_source(spec))
    return _recent[key]


_recent: dict[tuple[str, int], DatasetIdentity] = {}


def identity_of(source: Source) -> DatasetIdentity:
    """``source``'s identity, from the disk cache when its files have not changed."""
    path = cache_root() / "identity" / f"{source.kind}-{source.fingerprint()}.json"
    try:
        cached = json.loads(path.read_text())
        if cached.get("version") == IDENTITY_VERSION and cached.get("carved") is not None:
            return DatasetIdentity(**{**cached, "carved": tuple(cached["carved"])})
    except (OSError, ValueError, TypeError):
        pass  # missing, damaged or from another version: compute it again
    identity = _compute(source)
    try:
        atomic_write_bytes(path, json.dumps(identity.to_dict()).encode())
    except OSError:
        pass  # a read-only cache: the identity is still right, only slower next time
    return identity


def _compute(source: Source) -> DatasetIdentity:
    if source.kind == "synthetic":
        # generated from its parameters alone: the parameters are the content
        params = source.params
        return DatasetIdentity(
            f"syn{params.fingerprint()[:13]}", params.train, "synthetic", SYNTHETIC, carved=()
        )
    scan = source.scan()
    if source.kind == "medmnist":
        return _medmnist_identity(source, scan)
    return _files_identity(source, scan)


def training_records(scan: Scan) -> list:
    """The images a source trains on before carving: its train split and what was carved from it."""
    return [r for r in scan.records if r.split == "train" or r.split in scan.carved]


def _carving(scan: Scan) -> str:
    carved = {split: DEFAULT_FRACTIONS[split] for split in scan.carved}
    return json.dumps([IDENTITY_VERSION, carved, DEFAULT_SEED], sort_keys=True)


def _files_identity(source: Source, scan: Scan) -> DatasetIdentity:
    """Class, name, patient, size and bytes of every training image file, in a fixed order."""
    lines = []
    for record in training_records(scan):
        path = Path(record.origin)
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        name = os.fsencode(PurePath(record.origin).name).decode("utf-8", "backslashreplace")
        size = path.stat().st_size
        lines.append(
            f"{CLASS_NAMES[record.label]}/{name}|{record.patient}|{size}|{digest.hexdigest()}"
        )
    return DatasetIdentity(
        _digest([_carving(scan), *sorted(lines)]),
        len(lines),
        _name(source),
        CHEST_XRAY,
        carved=tuple(scan.carved),
    )


def _medmnist_identity(source, scan: Scan) -> DatasetIdentity:
    """The training array's pixels and labels (MedMNIST's splits are its own: nothing carved)."""
    with np.load(source.npz_path()) as npz:
        images, labels = npz["train_images"], npz["train_labels"]
        digest = hashlib.sha256(np.ascontiguousarray(images).tobytes())
        digest.update(np.ascontiguousarray(labels).astype(np.int64).tobytes())
        shape = list(images.shape)
    return DatasetIdentity(
        _digest([_carving(scan), json.dumps(shape), digest.hexdigest()]),
        shape[0],
        _name(source),
        CHEST_XRAY,
        carved=(),
    )


def _digest(lines: list[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


def _name(source: Source) -> str:
    """A short name for people: the folder or file, never the full path."""
    if source.kind == "medmnist":
        return f"PneumoniaMNIST {source.npz_path().name}"
    if source.kind == "csv":
        return source.csv_path.name
    return source.root.name
