"""Shift-stress evaluation (pipeline/evaluate/stress.py) on real X-rays, and on a tiny real run."""

import json

import numpy as np
import pytest

from pipeline.data import open_source
from pipeline.evaluate.stress import (
    SHIFTS,
    StressReport,
    acquisition_images,
    apply_shift,
    stress_scores,
)

MODEL_SIZE = 64


@pytest.fixture(scope="module")
def xrays():
    """Twelve real X-rays of each class at the acquisition size (2 x the model's)."""
    from tests.conftest import REAL_DATA

    if not (REAL_DATA / "train").is_dir():
        pytest.skip(f"real data not found at {REAL_DATA}")
    scan = open_source(str(REAL_DATA)).scan()
    records = [r for r in scan.split("val") if r.label == 0][:12]
    records += [r for r in scan.split("val") if r.label == 1][:12]
    decoded = open_source(str(REAL_DATA)).decode(records, 2 * MODEL_SIZE)
    return decoded.images, np.array([r.label for r in records])


@pytest.mark.parametrize("shift", SHIFTS, ids=lambda s: s.name)
def test_every_shift_changes_real_xrays_more_at_each_severity_and_reproducibly(xrays, shift):
    images, _ = xrays
    distances = []
    for severity in (1, 2, 3):
        shifted = apply_shift(images, shift, severity, MODEL_SIZE, seed=0)
        assert shifted.shape == images.shape and shifted.dtype == np.uint8
        again = apply_shift(images, shift, severity, MODEL_SIZE, seed=0)
        assert np.array_equal(shifted, again)  # seeded: the same numbers every time
        distances.append(np.abs(shifted.astype(float) - images).mean())
    assert 0 < distances[0] < distances[1] < distances[2], distances


def test_a_different_seed_draws_other_noise_and_crops(xrays):
    images, _ = xrays
    noise = next(s for s in SHIFTS if s.name == "noise")
    assert not np.array_equal(
        apply_shift(images, noise, 2, MODEL_SIZE, 0), apply_shift(images, noise, 2, MODEL_SIZE, 1)
    )


def test_scores_of_a_real_predictor_fall_under_shift_and_the_report_has_the_cli_fields(xrays):
    """A real, fixed predictor: the brightness of the lower lung field (pneumonia is whiter)."""
    images, labels = xrays

    def predict(batch):
        side = batch.shape[-1]
        field = batch[:, side // 3 : 3 * side // 4, side // 6 : 5 * side // 6].astype(float)
        return np.clip(field.mean(axis=(1, 2)) / 255.0, 0, 1)

    clean, rows = stress_scores(predict, images, labels, 0.5, MODEL_SIZE, seed=0)
    assert len(rows) == 36 and {r.shift for r in rows} == {s.name for s in SHIFTS}
    brightness = [r for r in rows if r.shift == "brightness"]
    # adding grey levels moves every probability up: accuracy at a fixed threshold changes
    assert brightness[2].accuracy != clean.accuracy
    report = StressReport("r", "torch", "s", "val", 0.5, len(labels), 128, 0, 1.0, clean, rows)
    data = json.loads(json.dumps(report.to_json()))
    assert set(data["stress"][0]) == {"shift", "severity", "auc", "accuracy"}
    assert set(data["stress_mean"]) == {"auc", "accuracy"}
    assert data["stress_mean"]["accuracy"] == pytest.approx(np.mean([r.accuracy for r in rows]))
    assert StressReport.from_json(data).rows == rows
    assert StressReport.from_json(data).clean == clean


def test_acquisition_images_are_twice_the_model_size_and_refuse_an_unknown_split():
    images, labels = acquisition_images("synthetic", "val", 32)
    assert images.shape[1:] == (64, 64) and len(images) == len(labels) > 0
    with pytest.raises(ValueError, match="not one of"):
        acquisition_images("synthetic", "holdout", 32)
