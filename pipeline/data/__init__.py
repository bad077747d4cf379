"""The data layer: one interface over three sources (folder, MedMNIST, synthetic).

    scan = open_source("synthetic").scan()          # records, skipped files, fingerprint
    train = load_split("synthetic", "train", 128)   # uint8 arrays, cached on disk

Source strings: ``synthetic`` (the default demo), a folder path (Kaggle layout or class
folders), a CSV path or ``csv:PATH`` (the talk's flat form), ``medmnist:128`` (download) or
``medmnist:/path/file.npz``. Labels everywhere: NORMAL = 0, PNEUMONIA = 1 (positive).
Never imports streamlit or a deep-learning framework.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .arrays import SplitArrays, load_arrays
from .core import CLASS_NAMES, SPLITS, Record, Scan, Skipped, Source, SourceError
from .folder import CsvSource, FolderSource, display_path, export_csv

DEFAULT_SOURCE = "synthetic"

__all__ = [
    "CLASS_NAMES",
    "DEFAULT_SOURCE",
    "SPLITS",
    "Record",
    "Scan",
    "Skipped",
    "Source",
    "SourceError",
    "SplitArrays",
    "canonical_source",
    "display_path",
    "export_csv",
    "load_all",
    "load_image",
    "load_split",
    "open_source",
]


def canonical_source(spec: str) -> str:
    """The same source always spelled the same way: file paths made absolute.

    Run ids and caches hash the source string, so ``../data`` and ``/home/me/data`` must agree.
    """
    spec = (spec or "").strip()
    if spec == "synthetic" or (
        spec.startswith("medmnist:") and spec.removeprefix("medmnist:").isdigit()
    ):
        return spec
    for prefix in ("medmnist:", "csv:"):
        if spec.startswith(prefix):
            return prefix + str(Path(spec.removeprefix(prefix)).expanduser().resolve())
    return str(Path(spec).expanduser().resolve()) if spec else spec


def open_source(spec: str) -> Source:
    """The source a string names. Raises SourceError with what was expected."""
    spec = (spec or "").strip()
    if not spec:
        raise SourceError(
            "No data source given. Use 'synthetic', a folder path, 'medmnist:128' "
            "or 'medmnist:/path/file.npz'."
        )
    if spec == "synthetic":
        from .synthetic import SyntheticSource

        return SyntheticSource(spec)
    if spec.startswith("medmnist:"):
        from .medmnist import MedMnistSource

        return MedMnistSource(spec)
    if spec.startswith("csv:") or spec.lower().endswith(".csv"):
        return CsvSource(spec)
    path = Path(spec).expanduser()
    if path.is_dir() and _is_flat_csv_folder(path):
        return CsvSource(str(path))
    return FolderSource(spec)


def _is_flat_csv_folder(path: Path) -> bool:
    """A folder with one CSV and no class or split folders is the talk's flat form."""
    names = {p.name.lower() for p in path.iterdir() if p.is_dir()}
    known = {"train", "val", "test", "normal", "pneumonia"}
    return not (names & known) and len(list(path.glob("*.csv"))) == 1


def load_all(spec: str, size: int) -> tuple[Scan, SplitArrays]:
    """The scan and every split's pixels at ``size`` (decoded once, then cached)."""
    source = open_source(spec)
    scan = source.scan()
    return scan, load_arrays(source, scan, size)


def load_split(spec: str, split: str, size: int) -> SplitArrays:
    """One split's pixels at ``size``: images (N, size, size) uint8, labels, patients, origins."""
    if split not in SPLITS:
        raise ValueError(f"split '{split}' is not one of {', '.join(SPLITS)}")
    return load_all(spec, size)[1].subset(split)


def load_image(spec: str, origin: str, size: int) -> np.ndarray:
    """The image ``origin`` of ``spec`` at ``size`` (S, S) uint8, decoded alone: a page that shows
    one image need not hold the whole source at that size. The pixels equal the cached arrays'."""
    source = open_source(spec)
    record = next((r for r in source.scan().records if r.origin == origin), None)
    if record is None:
        raise SourceError(
            f"{origin} is no longer in {source.describe()}; pick another image or reload the page"
        )
    decoded = source.decode([record], size)
    if not decoded.kept:
        raise SourceError(f"{origin} cannot be read: {decoded.failed[0].reason}")
    return decoded.images[0]
