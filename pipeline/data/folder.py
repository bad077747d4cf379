"""Image folders: the Kaggle layout, a plain class-folder layout, and the talk's flat CSV form.

Kaggle layout: ``ROOT/{train,val,test}/{NORMAL,PNEUMONIA}/*`` with any subset of the splits and
class folders in any letter case. A ``ROOT/{NORMAL,PNEUMONIA}/*`` folder is one pool. Flat form:
one folder of images plus a CSV with ``filename,label`` (optional ``split``, ``patient``).
Splits that are missing are carved out of train by patient (see ``patients.grouped_split``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from .core import CLASS_NAMES, SPLITS, Decoded, Record, Scan, Skipped, Source, SourceError
from .images import IMAGE_EXTENSIONS, ImageError, read_grayscale
from .patients import DEFAULT_FRACTIONS, DEFAULT_SEED, grouped_split, patient_id

LAYOUT_VERSION = "folder-1"
EXPECTED_LAYOUT = (
    "Expected one of:\n"
    "  ROOT/train/NORMAL/*.jpeg, ROOT/train/PNEUMONIA/*.jpeg (val/ and test/ optional)\n"
    "  ROOT/NORMAL/*.jpeg, ROOT/PNEUMONIA/*.jpeg\n"
    "  ROOT/labels.csv with columns filename,label (+ the images it names)"
)
METADATA_NAMES = {
    ".ds_store": "macOS folder metadata",
    "thumbs.db": "Windows thumbnail cache",
    "desktop.ini": "Windows folder settings",
}
LABEL_WORDS = {"normal": 0, "0": 0, "pneumonia": 1, "1": 1}


def _child_dirs(folder: Path) -> dict[str, Path]:
    """Sub-folders by lower-case name (class and split folders may be in any letter case)."""
    return {p.name.lower(): p for p in sorted(folder.iterdir()) if p.is_dir()}


def _non_image_reason(path: Path) -> str | None:
    """Why a file is not even tried as an image, or None."""
    name = path.name
    if name.lower() in METADATA_NAMES:
        return METADATA_NAMES[name.lower()]
    if name.startswith("._"):
        return "macOS AppleDouble metadata file"
    if path.suffix.lower() not in IMAGE_EXTENSIONS:
        return f"not an image file (extension '{path.suffix or 'none'}')"
    return None


def display_path(path: Path | str) -> str:
    """A path as printable text, whatever bytes its name holds (JSON and tables stay valid).

    Records keep the raw name (``str(path)``, with surrogate escapes) so the file can be opened.
    """
    return str(path).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _fingerprint(root: Path, extra: str = "") -> str:
    digest = hashlib.sha256(f"{LAYOUT_VERSION}|{extra}".encode())
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            try:
                stat = path.stat()
            except OSError:
                continue
            rel = os.fsencode(path.relative_to(root))
            digest.update(rel + f"|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def carved_splits(records: list[Record], present: set[str]) -> tuple[str, ...]:
    """The splits that ``_carve`` made out of train (the source had no images for them)."""
    made = {r.split for r in records}
    return tuple(split for split in DEFAULT_FRACTIONS if split not in present and split in made)


def _carve(records: list[Record], present: set[str], notes: list[str]) -> list[Record]:
    """Carve missing val / test out of train, grouped by patient and stratified by class."""
    missing = {split: f for split, f in DEFAULT_FRACTIONS.items() if split not in present}
    train = [r for r in records if r.split == "train"]
    if not missing or not train:
        return records
    assignment = grouped_split(
        [r.label for r in train], [r.patient for r in train], missing, DEFAULT_SEED
    )
    carved = iter(assignment)
    out = [
        Record(r.origin, r.label, r.patient, next(carved)) if r.split == "train" else r
        for r in records
    ]
    shares = ", ".join(f"{split} {fraction:.0%}" for split, fraction in missing.items())
    notes.append(
        f"{' and '.join(missing)} carved out of train ({shares}), grouped by patient, "
        f"stratified by class, seed {DEFAULT_SEED}"
    )
    return out


class FolderSource(Source):
    """A folder of class sub-folders, with or without split folders."""

    kind = "folder"

    def __init__(self, spec: str):
        super().__init__(spec)
        self.root = Path(spec).expanduser().resolve()

    def describe(self) -> str:
        return f"folder {self.root}"

    def _layout(self) -> dict[str, Path]:
        """The split folders to read: {"train": path, ...}."""
        if not self.root.exists():
            raise SourceError(
                f"{self.root} does not exist. Check the path, or pick another source."
            )
        if not self.root.is_dir():
            raise SourceError(f"{self.root} is not a folder. {EXPECTED_LAYOUT}")
        children = _child_dirs(self.root)
        splits = {s: children[s] for s in SPLITS if s in children}
        if splits:
            return splits
        if any(name.lower() in children for name in CLASS_NAMES):
            return {"train": self.root}
        inner = [p for name, p in children.items() if not name.startswith(("_", "."))]
        if (
            len(inner) == 1
        ):  # a download that unpacks into one more folder, e.g. chest_xray/chest_xray
            self.root = inner[0]
            return self._layout()
        raise SourceError(f"No recognisable layout in {self.root}. {EXPECTED_LAYOUT}")

    def fingerprint(self) -> str:
        """File names, sizes and times only: no scan, no decode."""
        self._layout()
        return _fingerprint(self.root)

    def scan(self) -> Scan:
        layout = self._layout()
        records, skipped, notes = [], [], []
        for split, split_dir in layout.items():
            classes = _child_dirs(split_dir)
            notes += [
                f"{split}: no {name} folder" for name in CLASS_NAMES if name.lower() not in classes
            ]
            self._walk(split, split_dir, records, skipped)
        present = {r.split for r in records}
        notes += [
            f"{split}: no images in its folders, so it is treated as missing"
            for split in layout
            if split not in present
        ]
        records = _carve(records, present, notes)
        carved = carved_splits(records, present)
        for split in sorted(present | set(layout), key=SPLITS.index):
            for label, class_name in enumerate(CLASS_NAMES):
                if not any(r.split == split and r.label == label for r in records):
                    notes.append(f"{split}: class {class_name} has no images")
        if not records:
            raise SourceError(
                f"No usable images in {self.root} ({len(skipped)} files skipped). {EXPECTED_LAYOUT}"
            )
        return Scan(
            self.spec, self.kind, records, skipped, _fingerprint(self.root), True, notes, carved
        )

    def _walk(self, split: str, split_dir: Path, records: list, skipped: list) -> None:
        """Every file under ``split_dir`` as a Record of ``split``, or as a Skipped with why."""
        for dirpath, dirnames, filenames in os.walk(split_dir):
            dirnames.sort()
            here = Path(dirpath)
            for name in sorted(filenames):
                path = here / name
                label = self._label_of(path, split_dir)
                reason = _non_image_reason(path)
                if reason is None and label is None:
                    reason = f"outside the class folders ({', '.join(CLASS_NAMES)})"
                if reason:
                    skipped.append(Skipped(display_path(path), reason))
                    continue
                if path.stat().st_size == 0:
                    skipped.append(Skipped(display_path(path), "empty file (0 bytes)"))
                    continue
                records.append(Record(str(path), label, patient_id(display_path(path)), split))
            for name in dirnames:
                if Path(name).suffix.lower() in IMAGE_EXTENSIONS:
                    skipped.append(
                        Skipped(display_path(here / name), "a folder named like an image")
                    )

    def _label_of(self, path: Path, split_dir: Path) -> int | None:
        parts = path.relative_to(split_dir).parts
        if len(parts) < 2:
            return None
        names = [n.lower() for n in CLASS_NAMES]
        return names.index(parts[0].lower()) if parts[0].lower() in names else None

    def decode(self, records: list[Record], size: int) -> Decoded:
        return decode_files(records, size)


class CsvSource(Source):
    """The talk's flat form: a CSV of filename,label next to (or naming) its images."""

    kind = "csv"

    def __init__(self, spec: str):
        super().__init__(spec)
        path = Path(spec.removeprefix("csv:")).expanduser().resolve()
        if path.is_dir():
            found = sorted(path.glob("*.csv"))
            if len(found) != 1:
                raise SourceError(
                    f"{path} holds {len(found)} CSV files; expected exactly one. {EXPECTED_LAYOUT}"
                )
            path = found[0]
        self.csv_path = path

    def describe(self) -> str:
        return f"CSV {self.csv_path}"

    def scan(self) -> Scan:
        if not self.csv_path.is_file():
            raise SourceError(f"{self.csv_path} does not exist. {EXPECTED_LAYOUT}")
        try:
            # Names that are not valid UTF-8 come back as the file system's own bytes (export_csv writes them so).
            text = self.csv_path.read_bytes().decode("utf-8-sig", "surrogateescape")
        except OSError as error:
            raise SourceError(f"Cannot read {self.csv_path} ({error.strerror or error}).") from None
        rows = list(csv.DictReader(io.StringIO(text)))
        columns = {c.strip().lower() for c in (rows[0].keys() if rows else [])}
        if not {"filename", "label"} <= columns:
            raise SourceError(
                f"{self.csv_path} needs the columns filename,label; it has {sorted(columns) or 'none'}."
            )
        base = self.csv_path.parent
        records, skipped, present = [], [], set()
        for number, row in enumerate(rows, start=2):
            row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
            path = (base / row["filename"]).resolve()
            label = LABEL_WORDS.get(row["label"].lower())
            split = row.get("split", "").lower() or "train"
            problem = _row_problem(number, row["label"], label, split, path)
            if problem:
                skipped.append(
                    Skipped(
                        display_path(row["filename"]) or f"(row {number})", display_path(problem)
                    )
                )
                continue
            present.add(split)
            records.append(
                Record(str(path), label, row.get("patient") or patient_id(path.name), split)
            )
        notes: list[str] = []
        records = _carve(records, present, notes)
        carved = carved_splits(records, present)
        if not records:
            raise SourceError(
                f"{self.csv_path} names no usable images ({len(skipped)} rows skipped)."
            )
        return Scan(
            self.spec,
            self.kind,
            records,
            skipped,
            _csv_fingerprint(text, records),
            True,
            notes,
            carved,
        )

    def decode(self, records: list[Record], size: int) -> Decoded:
        return decode_files(records, size)


def _row_problem(
    number: int, written: str, label: int | None, split: str, path: Path
) -> str | None:
    """Why row ``number`` of a CSV source (its label as ``written``) cannot be used, or None."""
    if label is None:
        return f"row {number}: label '{written}' is not NORMAL/PNEUMONIA or 0/1"
    if split not in SPLITS:
        return f"row {number}: split '{split}' is not one of {', '.join(SPLITS)}"
    if not path.is_file():
        return f"row {number}: file not found"
    reason = _non_image_reason(path)
    return None if reason is None else f"row {number}: {reason}"


def _csv_fingerprint(text: str, records: list[Record]) -> str:
    """The CSV's text and each image file's name, size and time."""
    digest = hashlib.sha256(text.encode("utf-8", "surrogateescape"))
    for record in records:
        stat = Path(record.origin).stat()
        digest.update(os.fsencode(record.origin) + f"|{stat.st_size}|{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def decode_files(records: list[Record], size: int) -> Decoded:
    """Decode image files on two threads (PIL releases the GIL while decoding)."""

    def one(record: Record):
        try:
            return read_grayscale(Path(record.origin), size)
        except ImageError as error:
            return str(error)
        except OSError as error:
            return f"unreadable file ({error.strerror or error})"

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(one, records))
    kept, images, sizes, failed = [], [], [], []
    for index, (record, result) in enumerate(zip(records, results)):
        if isinstance(result, str):
            failed.append(Skipped(display_path(record.origin), result))
        else:
            kept.append(index)
            images.append(result[0])
            sizes.append(result[1])
    stack = np.stack(images) if images else np.zeros((0, size, size), np.uint8)
    return Decoded(stack, kept, failed, np.array(sizes, dtype=np.int32).reshape(-1, 2))


def export_csv(scan: Scan, out: Path | None = None, failed: list[Skipped] = ()) -> str:
    """The talk's flat form of a source: filename,label,split,patient.

    File names are relative to ``out``'s folder when given (so the CSV is itself a source),
    else absolute. Images in ``failed`` (they did not decode) are left out. Returns the CSV
    text and writes it to ``out`` if given; a name that is not valid UTF-8 is written as the
    file system's own bytes, so that the CSV still names that file.
    """
    unusable = {f.path for f in failed}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["filename", "label", "split", "patient"])
    base = out.resolve().parent if out else None
    for record in scan.records:
        if display_path(record.origin) in unusable:
            continue
        name = os.path.relpath(record.origin, base) if base else record.origin
        writer.writerow([name, CLASS_NAMES[record.label], record.split, record.patient])
    text = buffer.getvalue()
    if out:
        from pipeline.settings import atomic_write_bytes

        atomic_write_bytes(Path(out), text.encode("utf-8", "surrogateescape"))
    return text
