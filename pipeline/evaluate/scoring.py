"""Scoring a finished run on one split of any source: probabilities, labels, timing.

    scored = score_run("3f2a...", source="synthetic", split="test")
    scored.probabilities      # (N,) probability of PNEUMONIA, one per image of the split

A run trained on one source can be scored on another (a hospital's own folder, say): the
images are read at the run's image size, as its training images were. The threshold that
comes with a run was chosen on its validation split; nothing here looks at test labels to
choose anything.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from pipeline.data import SPLITS, load_split, open_source
from pipeline.data.identity import dataset_identity
from pipeline.runs import Run
from pipeline.threshold import ThresholdChoice


@dataclass
class Scored:
    """One run's predictions on one split, with what is needed to judge and compare them."""

    run_id: str
    framework: str
    trained_on: str  # the run's training source
    source: str  # the source scored here
    split: str
    img_size: int
    threshold: float  # chosen on validation by pipeline.threshold's rule
    threshold_origin: str
    labels: np.ndarray  # (N,) int64
    probabilities: np.ndarray  # (N,) float64
    patients: np.ndarray  # (N,) str
    origins: np.ndarray  # (N,) str: file paths or "<source>#split/i"
    inference_ms_per_image: float
    parameters: int
    skipped: list[dict] = field(default_factory=list)  # images of the source that could not be read
    warnings: list[str] = field(default_factory=list)  # reasons these figures may flatter the run
    threshold_choice: ThresholdChoice | None = None  # the rule's record: value, reason, interval

    @property
    def n(self) -> int:
        return len(self.labels)


def score_run(run_id: str, source: str | None = None, split: str = "test", loaded=None) -> Scored:
    """Predict every image of ``split`` of ``source`` (default: the run's own source).

    ``loaded`` is a ``LoadedModel`` already in memory (the page keeps one per run); raises
    ``ModelLoadError`` for a run that cannot be used and ValueError / SourceError for data.
    """
    from pipeline.inference import load_run_model, parameter_count, predict_proba

    if split not in SPLITS:
        raise ValueError(f"split '{split}' is not one of {', '.join(SPLITS)}")
    scan = (
        open_source(source).scan() if source else None
    )  # an unreadable source fails before a model loads
    loaded = loaded or load_run_model(run_id)
    trained_on = loaded.config.source or ""
    source = source or trained_on
    scan = scan or open_source(source).scan()
    arrays = load_split(source, split, loaded.img_size)
    if len(arrays) == 0:
        raise ValueError(f"the {split} split of {source} has no images to score")
    started = time.perf_counter()
    probabilities = predict_proba(loaded, arrays.images)
    seconds = time.perf_counter() - started
    return Scored(
        run_id=loaded.run_id,
        framework=loaded.framework,
        trained_on=trained_on,
        source=source,
        split=split,
        img_size=loaded.img_size,
        threshold=loaded.threshold,
        threshold_origin=loaded.threshold_origin,
        threshold_choice=loaded.threshold_choice,
        labels=np.asarray(arrays.labels, np.int64),
        probabilities=np.asarray(probabilities, np.float64),
        patients=np.asarray(arrays.patients),
        origins=np.asarray(arrays.origins),
        inference_ms_per_image=1000 * seconds / len(arrays),
        parameters=parameter_count(loaded),
        skipped=[{"path": f.path, "reason": f.reason} for f in arrays.failed],
        warnings=leakage_warnings(Run(loaded.run_id), source, split, scan.fingerprint),
    )


def _changed_since(run: Run, source: str, fingerprint: str) -> str | None:
    """How ``source`` differs from what ``run`` trained on, or None. By content where the run
    recorded its training images' identity: file times (the stat fingerprint) differ on every
    copy of a folder, so a run shipped or moved to another machine would always look stale."""
    data = run.data()
    if data.identity:
        now = dataset_identity(source).fingerprint
        return (
            None
            if now == data.identity
            else f"content identity {data.identity[:8]} then, {now[:8]} now"
        )
    if data.fingerprint and data.fingerprint != fingerprint:
        return f"data fingerprint {data.fingerprint[:8]} then, {fingerprint[:8]} now"
    return None


def leakage_warnings(run: Run, source: str, split: str, fingerprint: str) -> list[str]:
    """Why a score on ``split`` of ``source`` may not be a fair test of ``run``, if it may not.

    On the run's own source, its train and val splits were seen in training, and a source that
    changed since (files added, a new generator) may have moved training images into test.
    """
    if source != run.config().source:
        return []
    warnings = []
    if split == "train":
        warnings.append(
            "The run trained on this split: its figures here are optimistic. Use the test split."
        )
    elif split == "val":
        warnings.append(
            "The run chose its best epoch and its threshold on this split: its figures here are "
            "optimistic. Use the test split."
        )
    changed = _changed_since(run, source, fingerprint)
    if changed:
        warnings.append(
            f"The source changed since this run trained on it ({changed}): its {split} split "
            "may hold images the run trained or chose its threshold on. Train the run again on "
            "the current data for a fair test."
        )
    return warnings
