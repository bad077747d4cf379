"""The data layer's vocabulary: labels, splits, records, skipped files and the Source interface.

Every source (a folder, a MedMNIST ``.npz``, the synthetic generator) answers two questions:
``scan()`` - which images are there, in which split, with which label and patient - and
``decode()`` - their pixels as grayscale uint8 arrays of one size. Caching, summaries and the
frameworks sit on top of these two and never care where the pixels came from.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import numpy as np

CLASS_NAMES = ("NORMAL", "PNEUMONIA")  # index == label; PNEUMONIA (1) is the positive class
SPLITS = ("train", "val", "test")


class SourceError(ValueError):
    """A source that cannot be used at all; the message says what is wrong and what to do."""


@dataclass(frozen=True)
class Record:
    """One image: where it comes from, its label, its patient and its split."""

    origin: str  # a file path, or "<file>.npz#train/12", or "synthetic#train/12"
    label: int
    patient: str
    split: str


@dataclass(frozen=True)
class Skipped:
    """A file that was not used, and why (never dropped silently)."""

    path: str
    reason: str


@dataclass
class Scan:
    """What a source holds, before any pixel is decoded."""

    source: str  # the source string it was opened with, e.g. "synthetic" or a folder path
    kind: str  # "folder", "csv", "medmnist" or "synthetic"
    records: list[Record]
    skipped: list[Skipped]
    fingerprint: str  # changes when any file is added, removed or modified
    patients_known: bool = True
    notes: list[str] = field(default_factory=list)  # e.g. how val / test were carved
    carved: tuple[
        str, ...
    ] = ()  # splits carved out of train here (the source has no folder for them)

    def split(self, name: str) -> list[Record]:
        return [r for r in self.records if r.split == name]


@dataclass
class Decoded:
    """Pixels of some records at one size: ``images[i]`` belongs to ``kept[i]``."""

    images: np.ndarray  # (N, size, size) uint8 grayscale
    kept: list[int]  # indices into the records that were decoded
    failed: list[Skipped]  # records whose pixels could not be read
    original_sizes: np.ndarray  # (N, 2) width, height before resizing
    masks: np.ndarray | None = None  # (N, size, size) bool lesion masks, synthetic only


class Source(ABC):
    """One place images come from."""

    kind: str

    def __init__(self, spec: str):
        self.spec = spec

    @abstractmethod
    def scan(self) -> Scan:
        """List the images (cheap: no full decode). Raises SourceError if unusable."""

    @abstractmethod
    def decode(self, records: list[Record], size: int) -> Decoded:
        """Grayscale uint8 pixels of ``records`` resized to ``size`` x ``size``."""

    def fingerprint(self) -> str:
        """Changes when the source's files change; sources override it with something cheaper."""
        return self.scan().fingerprint

    def describe(self) -> str:
        """One line for people: what this source is."""
        return self.spec
