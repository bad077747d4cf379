"""The active data set described the way the talk does: structure, quantity, origin, quality.

    summary = pipeline.data.summary.summarize(spec)
    text = describe_data(summary, open_source(spec).scan(), open_source(spec).describe())

A pure function of the summary (counts, patients, skipped files, sizes) and the scan (where
each record came from): every number is read from them, so the Problem page shows exactly
what ``summarize`` counts. Findings are sentences with a level (``ok``, ``info``, ``warning``)
that say what a number implies for training and evaluation.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import PurePath

from pipeline.data import SPLITS, Scan, Skipped
from pipeline.data.summary import DataSummary

KIND_LABELS = {
    "synthetic": "Synthetic generator (built-in demo)",
    "folder": "Image folder",
    "csv": "CSV of file names and labels",
    "medmnist": "MedMNIST PneumoniaMNIST (.npz)",
}
SMALL_SPLIT = 100  # fewer images than this make a split's accuracy too uncertain to compare models
SHARE_GAP = 0.10  # a split whose PNEUMONIA share differs from train's by more than this is flagged


def describe_data(summary: DataSummary, scan: Scan, description: str) -> dict:
    """``{"structure", "quantity", "origin", "quality"}`` of one source (see the module docstring)."""
    return {
        "structure": structure(summary, scan),
        "quantity": quantity(summary),
        "origin": origin(summary, description),
        "quality": quality(summary),
    }


# ---- structure: how the images are organised ----


def structure(summary: DataSummary, scan: Scan) -> dict:
    table = {
        split: {**summary.splits[split], "total": sum(summary.splits[split].values())}
        for split in SPLITS
    }
    table["all"] = {**summary.totals, "total": summary.images}
    return {"kind": summary.kind, "layout": layout_text(scan), "table": table}


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


def quantity(summary: DataSummary) -> dict:
    totals = summary.totals
    patients = summary.patients if summary.patients_known else None
    patients_total = sum(patients.values()) if patients else None
    return {
        "images": summary.images,
        "totals": dict(totals),
        "pneumonia_per_normal": totals["PNEUMONIA"] / totals["NORMAL"]
        if totals["NORMAL"]
        else None,
        "pneumonia_share": totals["PNEUMONIA"] / summary.images if summary.images else None,
        "patients": patients,
        "images_per_patient": summary.images / patients_total if patients_total else None,
    }


# ---- origin: where the images come from ----


def origin(summary: DataSummary, description: str) -> dict:
    return {
        "kind": KIND_LABELS.get(summary.kind, summary.kind),
        "description": description,
        "location": summary.source,
        "fingerprint": summary.fingerprint,
    }


# ---- quality: what could go wrong ----


def quality(summary: DataSummary) -> dict:
    skipped = list(summary.skipped)
    return {
        "skipped": skipped,
        "skipped_by_reason": dict(Counter(item.reason for item in skipped).most_common()),
        "image_size": summary.image_size,
        "patient_overlap": summary.patient_overlap if summary.patients_known else None,
        "findings": [
            *_skipped_findings(skipped),
            _size_finding(summary),
            _leakage_finding(summary),
            *_imbalance_findings(summary),
            *_small_split_findings(summary),
            *({"topic": "note", "level": "info", "text": note} for note in summary.notes),
        ],
    }


def _finding(topic: str, level: str, text: str) -> dict:
    return {"topic": topic, "level": level, "text": text}


def _skipped_findings(skipped: list[Skipped]) -> list[dict]:
    if not skipped:
        return [_finding("files", "ok", "No file was skipped: every listed image decoded.")]
    reasons = Counter(item.reason for item in skipped)
    listed = "; ".join(f"{count} x {reason}" for reason, count in reasons.most_common())
    return [
        _finding(
            "files",
            "warning",
            f"{len(skipped)} {'file was' if len(skipped) == 1 else 'files were'} "
            f"skipped, none silently: {listed}.",
        )
    ]


def _size_finding(summary: DataSummary) -> dict:
    width, height = summary.image_size.width, summary.image_size.height
    size = summary.cached_size
    if width.min is None:
        return _finding("size", "warning", "No image decoded, so there are no sizes to report.")
    if width.min == width.max and height.min == height.max:
        return _finding(
            "size",
            "info",
            f"Every image is {width.min} x {height.min} px; the models see "
            f"them at {size} x {size}.",
        )
    return _finding(
        "size",
        "info",
        f"Sizes vary: width {width.min}-{width.max} px (median "
        f"{width.median:g}), height {height.min}-{height.max} px (median {height.median:g}); "
        f"all are resized to {size} x {size}, so aspect ratios change.",
    )


def _leakage_finding(summary: DataSummary) -> dict:
    if not summary.patients_known:
        return _finding(
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
        return _finding(
            "patients",
            "warning",
            f"{overlap:,} {'patient has' if overlap == 1 else 'patients have'} images in more "
            "than one split: images of one patient look more alike than those of two, so they "
            "leak into validation and test, and those scores will be too good."
            + (f" {not_a_leak}" if other_kind else ""),
        )
    if other_kind:
        return _finding(
            "patients",
            "info",
            f"{not_a_leak} No patient has images in two splits: validation and test scores "
            "measure new patients.",
        )
    return _finding(
        "patients",
        "ok",
        "No patient has images in two splits: validation and test scores measure new patients.",
    )


def _imbalance_findings(summary: DataSummary) -> list[dict]:
    totals, images = summary.totals, summary.images
    if not images:
        return []
    if not totals["NORMAL"] or not totals["PNEUMONIA"]:
        missing = "NORMAL" if not totals["NORMAL"] else "PNEUMONIA"
        return [
            _finding(
                "balance",
                "warning",
                f"There are no {missing} images: a classifier cannot learn two classes.",
            )
        ]
    share = totals["PNEUMONIA"] / images
    majority, majority_share = ("PNEUMONIA", share) if share >= 0.5 else ("NORMAL", 1 - share)
    ratio = totals["PNEUMONIA"] / totals["NORMAL"]
    findings = [
        _finding(
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
                _finding(
                    "balance",
                    "warning",
                    f"{split} is {split_share:.0%} PNEUMONIA, train {train_share:.0%}: a decision threshold tuned on "
                    f"one mix of classes does not carry over to the other.",
                )
            )
    return findings


def _small_split_findings(summary: DataSummary) -> list[dict]:
    findings = []
    for split in SPLITS:
        total = sum(summary.splits[split].values())
        if total == 0:
            findings.append(_finding("size of splits", "warning", f"The {split} split is empty."))
        elif total < SMALL_SPLIT:
            margin = 1.96 * math.sqrt(0.25 / total)  # the widest 95% interval of a proportion
            findings.append(
                _finding(
                    "size of splits",
                    "warning",
                    f"{split} holds only {total} images: an accuracy measured there is uncertain by up to "
                    f"±{margin:.0%} (95% interval), too wide to tell two models apart.",
                )
            )
    return findings
