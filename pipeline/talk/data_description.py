"""The active data set described the way the talk does: structure, quantity, origin, quality.

    summary = pipeline.data.summary.summarize(spec)
    found = describe_data(summary, open_source(spec).scan(), open_source(spec).describe())
    found.quality.findings            # Finding(topic, level, text), in the page's order

A pure function of the summary (counts, patients, skipped files, sizes) and the scan (where
each record came from): every number is read from them, so the Problem page shows exactly
what ``summarize`` counts. Findings are sentences with a level (``ok``, ``info``, ``warning``)
that say what a number implies for training and evaluation.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from pathlib import PurePath

from pipeline.data import SPLITS, Scan, Skipped
from pipeline.data.summary import DataSummary, ImageSizes

KIND_LABELS = {
    "synthetic": "Synthetic generator (built-in demo)",
    "folder": "Image folder",
    "csv": "CSV of file names and labels",
    "medmnist": "MedMNIST PneumoniaMNIST (.npz)",
}
SMALL_SPLIT = 100  # fewer images than this make a split's accuracy too uncertain to compare models
SHARE_GAP = 0.10  # a split whose PNEUMONIA share differs from train's by more than this is flagged


@dataclass(frozen=True)
class Structure:
    kind: str  # the source's kind: synthetic, folder, csv or medmnist
    layout: str  # one sentence: where the splits and labels come from
    table: dict[str, dict[str, int]]  # split (and "all") -> images per class and "total"


@dataclass(frozen=True)
class Quantity:
    images: int
    totals: dict[str, int]  # class -> images
    pneumonia_per_normal: float | None  # None without NORMAL images
    patients: dict[str, int] | None  # split -> patients; None: the source names none
    images_per_patient: float | None


@dataclass(frozen=True)
class Origin:
    kind: str  # the source's kind in words
    description: str
    location: str
    fingerprint: str  # changes when a file does


@dataclass(frozen=True)
class Finding:
    """What a number implies for training and evaluation."""

    topic: str
    level: str  # ok, info or warning
    text: str


@dataclass(frozen=True)
class Quality:
    skipped: list[Skipped]  # each skipped file's path and reason, as the summary lists them
    image_size: ImageSizes  # width and height: min, max and median (px)
    patient_overlap: int | None  # patients in two splits; None: the source names none
    findings: list[Finding]


@dataclass(frozen=True)
class DataDescription:
    """One source described the way the talk does (``describe_data``)."""

    structure: Structure
    quantity: Quantity
    origin: Origin
    quality: Quality


def describe_data(summary: DataSummary, scan: Scan, description: str) -> DataDescription:
    """Structure, quantity, origin and quality of one source (see the module docstring)."""
    return DataDescription(
        structure(summary, scan), quantity(summary), origin(summary, description), quality(summary)
    )


# ---- structure: how the images are organised ----


def structure(summary: DataSummary, scan: Scan) -> Structure:
    table = {
        split: {**summary.splits[split], "total": sum(summary.splits[split].values())}
        for split in SPLITS
    }
    table["all"] = {**summary.totals, "total": summary.images}
    return Structure(summary.kind, layout_text(scan), table)


def layout_text(scan: Scan) -> str:
    """One sentence: where the splits and labels come from."""
    carved = carved_splits(scan)
    if scan.kind == "synthetic":
        return "Generated images in three splits (train, val, test), labelled NORMAL or PNEUMONIA by construction."
    if scan.kind == "medmnist":
        return "One .npz file holding MedMNIST's own train, val and test arrays, with a label per image."
    if scan.kind == "csv":
        given = [s for s in SPLITS if s not in carved]
        return f"A CSV naming each image's file and label; splits given: {', '.join(given)}" + (
            f"; {' and '.join(carved)} carved out of train by patient." if carved else "."
        )
    folders = split_folders(scan)
    if folders:
        named = (
            f"split folders {', '.join(folders)}, each"
            if len(folders) > 1
            else f"one split folder, {folders[0]},"
        )
        text = f"Kaggle layout: {named} with NORMAL and PNEUMONIA folders"
    else:
        text = "Class folders NORMAL and PNEUMONIA with no split folders"
    return text + (f"; {' and '.join(carved)} carved out of train by patient." if carved else ".")


def carved_splits(scan: Scan) -> list[str]:
    """Splits the data layer carved out of train; its note reads "val and test carved out of train (...)"."""
    carved_notes = [
        note.split(" carved out of train")[0]
        for note in scan.notes
        if " carved out of train" in note
    ]
    return [s for s in SPLITS if any(s in note.split(" and ") for note in carved_notes)]


def split_folders(scan: Scan) -> list[str]:
    """The splits that have their own folder (a path part above the class folder named like the split)."""
    found = set()
    for record in scan.records:
        above_class = [part.lower() for part in PurePath(record.origin).parts[:-2]]
        if above_class and above_class[-1] == record.split:
            found.add(record.split)
    return [s for s in SPLITS if s in found]


# ---- quantity: how many ----


def quantity(summary: DataSummary) -> Quantity:
    totals = summary.totals
    patients = summary.patients if summary.patients_known else None
    patients_total = sum(patients.values()) if patients else None
    return Quantity(
        images=summary.images,
        totals=dict(totals),
        pneumonia_per_normal=totals["PNEUMONIA"] / totals["NORMAL"] if totals["NORMAL"] else None,
        patients=patients,
        images_per_patient=summary.images / patients_total if patients_total else None,
    )


# ---- origin: where the images come from ----


def origin(summary: DataSummary, description: str) -> Origin:
    return Origin(
        KIND_LABELS.get(summary.kind, summary.kind),
        description,
        summary.source,
        summary.fingerprint,
    )


# ---- quality: what could go wrong ----


def quality(summary: DataSummary) -> Quality:
    skipped = list(summary.skipped)
    return Quality(
        skipped=skipped,
        image_size=summary.image_size,
        patient_overlap=summary.patient_overlap if summary.patients_known else None,
        findings=[
            *_skipped_findings(skipped),
            _size_finding(summary),
            _leakage_finding(summary),
            *_imbalance_findings(summary),
            *_small_split_findings(summary),
            *(Finding("note", "info", note) for note in summary.notes),
        ],
    )


def _skipped_findings(skipped: list[Skipped]) -> list[Finding]:
    if not skipped:
        return [Finding("files", "ok", "No file was skipped: every listed image decoded.")]
    reasons = Counter(item.reason for item in skipped)
    listed = "; ".join(f"{count} x {reason}" for reason, count in reasons.most_common())
    return [
        Finding(
            "files",
            "warning",
            f"{len(skipped)} {'file was' if len(skipped) == 1 else 'files were'} "
            f"skipped, none silently: {listed}.",
        )
    ]


def _size_finding(summary: DataSummary) -> Finding:
    width, height = summary.image_size.width, summary.image_size.height
    size = summary.cached_size
    if width.min is None:
        return Finding("size", "warning", "No image decoded, so there are no sizes to report.")
    if width.min == width.max and height.min == height.max:
        return Finding(
            "size",
            "info",
            f"Every image is {width.min} x {height.min} px; the models see "
            f"them at {size} x {size}.",
        )
    return Finding(
        "size",
        "info",
        f"Sizes vary: width {width.min}-{width.max} px (median "
        f"{width.median:g}), height {height.min}-{height.max} px (median {height.median:g}); "
        f"all are resized to {size} x {size}, so aspect ratios change.",
    )


def _leakage_finding(summary: DataSummary) -> Finding:
    if not summary.patients_known:
        return Finding(
            "patients",
            "info",
            "The source names no patients: whether a patient's images sit in two "
            "splits (leakage) cannot be checked.",
        )
    overlap = summary.patient_overlap
    # personN ids in two splits with another kind of pneumonia in each: two children, no leak
    other_kind = summary.patient_overlap_other_kind
    not_a_leak = (
        f"{other_kind:,} {'personN id appears' if other_kind == 1 else 'personN ids appear'} in "
        "two splits, with a different kind of pneumonia in each: the file names number patients "
        "per kind, so these are different children, not a leak (docs/patients.md)."
    )
    if overlap:
        return Finding(
            "patients",
            "warning",
            f"{overlap:,} {'patient has' if overlap == 1 else 'patients have'} images in more "
            "than one split: images of one patient look more alike than those of two, so they "
            "leak into validation and test, and those scores will be too good."
            + (f" {not_a_leak}" if other_kind else ""),
        )
    if other_kind:
        return Finding(
            "patients",
            "info",
            f"{not_a_leak} No patient has images in two splits: validation and test scores "
            "measure new patients.",
        )
    return Finding(
        "patients",
        "ok",
        "No patient has images in two splits: validation and test scores measure new patients.",
    )


def _imbalance_findings(summary: DataSummary) -> list[Finding]:
    totals, images = summary.totals, summary.images
    if not images:
        return []
    if not totals["NORMAL"] or not totals["PNEUMONIA"]:
        missing = "NORMAL" if not totals["NORMAL"] else "PNEUMONIA"
        return [
            Finding(
                "balance",
                "warning",
                f"There are no {missing} images: a classifier cannot learn two classes.",
            )
        ]
    share = totals["PNEUMONIA"] / images
    majority, majority_share = ("PNEUMONIA", share) if share >= 0.5 else ("NORMAL", 1 - share)
    ratio = totals["PNEUMONIA"] / totals["NORMAL"]
    findings = [
        Finding(
            "balance",
            "warning" if majority_share > 0.6 else "ok",
            f"{ratio:.2f} PNEUMONIA images per NORMAL one: always answering {majority} already scores "
            f"{majority_share:.0%} accuracy. Weigh the classes in the loss (class_weight) and judge models by the "
            "recall of each class and by AUC, not by accuracy alone.",
        )
    ]
    train = summary.splits["train"]
    train_total = sum(train.values())
    for split in SPLITS[1:]:
        counts = summary.splits[split]
        total = sum(counts.values())
        if not train_total or not total:
            continue
        split_share, train_share = counts["PNEUMONIA"] / total, train["PNEUMONIA"] / train_total
        if abs(split_share - train_share) > SHARE_GAP:
            findings.append(
                Finding(
                    "balance",
                    "warning",
                    f"{split} is {split_share:.0%} PNEUMONIA, train {train_share:.0%}: a decision threshold tuned on "
                    f"one mix of classes does not carry over to the other.",
                )
            )
    return findings


def _small_split_findings(summary: DataSummary) -> list[Finding]:
    findings = []
    for split in SPLITS:
        total = sum(summary.splits[split].values())
        if total == 0:
            findings.append(Finding("size of splits", "warning", f"The {split} split is empty."))
        elif total < SMALL_SPLIT:
            margin = 1.96 * math.sqrt(0.25 / total)  # the widest 95% interval of a proportion
            findings.append(
                Finding(
                    "size of splits",
                    "warning",
                    f"{split} holds only {total} images: an accuracy measured there is uncertain by up to "
                    f"±{margin:.0%} (95% interval), too wide to tell two models apart.",
                )
            )
    return findings
