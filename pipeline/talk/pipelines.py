"""The talk's two data pipelines, shown on the active data.

Keras: four steps, Description, Explore, Preprocess, Implement; its preprocessing is the
normalisation ``normalise`` measures: uint8 images (N, width, height) reshaped to
(N, width, height, channel) and rescaled to [0, 1].

PyTorch needs more preprocessing before the same model sees an image: the nested class folders
(``train/NORMAL/x.jpeg``) become one flat image folder, the flat folder gets a
``filename,label`` CSV, and a custom ``Dataset`` reads the CSV. ``flat_name``, ``csv_text`` and
``XrayCsvDataset`` do those steps on the active source's own records and pixels.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import PurePath

import numpy as np

from pipeline.data import CLASS_NAMES, Record, Scan, SplitArrays, display_path

KERAS_STEPS = ("Description", "Explore", "Preprocess", "Implement")
TORCH_STAGES = (
    "Nested class folders",
    "One flat image folder",
    "filename,label CSV",
    "Custom Dataset",
)
SAMPLE_BATCH = 32  # the images actually converted to float to show the rescaled range


@dataclass(frozen=True)
class Normalised:
    shape_before: tuple[int, ...]
    dtype_before: str
    range_before: tuple[int, int]
    shape_after: tuple[int, ...]
    dtype_after: str
    range_after: tuple[float, float]  # over the whole split: uint8 range / 255, exact
    batch_range: tuple[float, float]  # over SAMPLE_BATCH images really converted


def normalise_batch(images: np.ndarray) -> np.ndarray:
    """The talk's preprocessing: (N, W, H) uint8 -> (N, W, H, 1) float32 in [0, 1]."""
    n, width, height = images.shape
    return images.reshape(n, width, height, 1).astype(np.float32) / 255.0


def normalise(images: np.ndarray) -> Normalised:
    """What ``normalise_batch`` does to a whole split, measured without a float copy of all of it."""
    n, width, height = images.shape
    low, high = (int(images.min()), int(images.max())) if n else (0, 0)
    batch = normalise_batch(images[:SAMPLE_BATCH])
    return Normalised(
        tuple(images.shape),
        str(images.dtype),
        (low, high),
        (n, width, height, 1),
        str(batch.dtype),
        (low / 255.0, high / 255.0),
        (float(batch.min()), float(batch.max())) if len(batch) else (0.0, 0.0),
    )


# ---- PyTorch: nested folders -> flat folder -> CSV -> Dataset ----


def nested_name(record: Record, root: str | None) -> str:
    """Where the record sits in its source: a path under the root, or a generated image's id."""
    if (
        "#" in record.origin
    ):  # synthetic#train/12, file.npz#test/3: no file; the folder it would be in
        return f"{record.split}/{CLASS_NAMES[record.label]}/{PurePath(record.origin).name}"
    path = PurePath(display_path(record.origin))
    if root:
        try:
            return str(path.relative_to(root))
        except ValueError:
            pass
    return "/".join(path.parts[-3:])


def flat_name(record: Record) -> str:
    """The record's name in one flat folder: split and class in front keep names unique."""
    stem = PurePath(record.origin.split("#", 1)[-1]).name
    suffix = PurePath(record.origin).suffix if "#" not in record.origin else ".png"
    stem = stem if stem.endswith(suffix) else stem + suffix
    return f"{record.split}-{CLASS_NAMES[record.label]}-{stem}"


def csv_text(records: list[Record]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["filename", "label"])
    for record in records:
        writer.writerow([flat_name(record), record.label])
    return buffer.getvalue()


class XrayCsvDataset:
    """A map-style dataset (what torch.utils.data.DataLoader takes: __len__ and __getitem__):
    item i is (image as float32 (1, H, W) in [0, 1], label) for row i of the CSV."""

    def __init__(self, csv_rows: str, pixels_by_name: dict[str, np.ndarray]):
        self.rows = list(csv.DictReader(io.StringIO(csv_rows)))
        self.pixels = pixels_by_name

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> tuple[np.ndarray, int]:
        row = self.rows[index]
        image = self.pixels[row["filename"]].astype(np.float32)[None] / 255.0
        return image, int(row["label"])


@dataclass(frozen=True)
class TorchStages:
    nested: list[str]
    flat: list[str]
    csv_head: str
    dataset_length: int
    item_shape: tuple[int, ...]
    item_dtype: str
    item_label: int
    total: int


def torch_stages(
    scan: Scan, arrays: SplitArrays, split: str = "train", shown: int = 4
) -> TorchStages:
    """The four stages on ``split``: a few names at each, and the Dataset built on all of it."""
    records = [r for r in scan.records if r.split == split]
    by_origin = {str(origin): i for i, origin in enumerate(arrays.origins)}
    kept = [r for r in records if r.origin in by_origin]
    root = None if scan.kind == "synthetic" else display_path(scan.source)
    examples = _both_classes(kept, shown)
    text = csv_text(kept)
    dataset = XrayCsvDataset(text, {flat_name(r): arrays.images[by_origin[r.origin]] for r in kept})
    image, label = dataset[0] if len(dataset) else (np.zeros((1, 0, 0), np.float32), -1)
    return TorchStages(
        nested=[nested_name(r, root) for r in examples],
        flat=[flat_name(r) for r in examples],
        csv_head=csv_text(examples).strip(),
        dataset_length=len(dataset),
        item_shape=tuple(image.shape),
        item_dtype=str(image.dtype),
        item_label=label,
        total=len(records),
    )


def _both_classes(records: list[Record], shown: int) -> list[Record]:
    """The first records of each class, alternating, so that both folders show."""
    normal = [r for r in records if r.label == 0][: shown // 2]
    pneumonia = [r for r in records if r.label == 1][: shown - len(normal)]
    return normal + pneumonia
