"""Evaluation metrics, bootstrap intervals and exports on fixed predictions (no framework needed)."""

import csv
import io
import json
import time

import numpy as np
import pytest
from sklearn.calibration import calibration_curve
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    brier_score_loss,
    classification_report,
    confusion_matrix,
    roc_auc_score,
    roc_curve,
)

from pipeline.evaluate.bootstrap import (
    _draw_counts,
    bootstrap_intervals,
    paired_differences,
    resampled_statistics,
    weighted_auc,
)
from pipeline.evaluate.formats import to_csv, to_html, to_json
from pipeline.evaluate.metrics import (
    classification_metrics,
    report_table,
)
from pipeline.threshold import optimal_interval


def fixed_predictions(n=624, seed=7):
    """A test-split-sized set: 234 NORMAL / 390 PNEUMONIA in the official proportion, rounded scores (ties)."""
    rng = np.random.default_rng(seed)
    labels = (np.arange(n) >= round(n * 234 / 624)).astype(int)
    rng.shuffle(labels)
    probabilities = np.clip(rng.normal(0.3 + 0.4 * labels, 0.22), 0, 1).round(2)
    patients = np.array([f"p{i // 2}" for i in range(n)])  # two images per patient
    return labels, probabilities, patients


@pytest.mark.parametrize("threshold", [0.5, 0.37, 0.8])
def test_metrics_equal_sklearn(threshold):
    labels, probabilities, _ = fixed_predictions()
    metrics = classification_metrics(labels, probabilities, threshold)
    predicted = (probabilities >= threshold).astype(int)
    report = classification_report(
        labels, predicted, target_names=["NORMAL", "PNEUMONIA"], output_dict=True
    )

    assert metrics.accuracy == pytest.approx(accuracy_score(labels, predicted), abs=1e-12)
    for name in ("NORMAL", "PNEUMONIA"):
        ours = metrics.per_class[name]
        assert ours["precision"] == pytest.approx(report[name]["precision"], abs=1e-12)
        assert ours["recall"] == pytest.approx(report[name]["recall"], abs=1e-12)
        assert ours["f1"] == pytest.approx(report[name]["f1-score"], abs=1e-12)
        assert ours["support"] == report[name]["support"]
    assert metrics.per_class["NORMAL"]["support"] == 234
    for ours, theirs in (("macro_avg", "macro avg"), ("weighted_avg", "weighted avg")):
        assert getattr(metrics, ours)["f1"] == pytest.approx(report[theirs]["f1-score"], abs=1e-12)
        assert getattr(metrics, ours)["precision"] == pytest.approx(
            report[theirs]["precision"], abs=1e-12
        )
    assert metrics.confusion_matrix == confusion_matrix(labels, predicted).tolist()
    (tn, fp), (fn, tp) = metrics.confusion_matrix
    assert metrics.sensitivity == pytest.approx(tp / (tp + fn))
    assert metrics.specificity == pytest.approx(tn / (tn + fp))
    assert metrics.sensitivity == pytest.approx(report["PNEUMONIA"]["recall"])
    assert metrics.auc == pytest.approx(roc_auc_score(labels, probabilities), abs=1e-12)
    assert metrics.average_precision == pytest.approx(
        average_precision_score(labels, probabilities), abs=1e-12
    )
    assert metrics.brier == pytest.approx(brier_score_loss(labels, probabilities), abs=1e-12)
    observed, predicted_mean = calibration_curve(labels, probabilities, n_bins=10)
    assert np.allclose(metrics.calibration.fraction_positive, observed)
    assert np.allclose(metrics.calibration.mean_predicted, predicted_mean)
    assert sum(metrics.calibration.bin_counts) == len(labels)
    assert len(metrics.calibration.bin_counts) == len(observed)
    # the talk's printout is sklearn's own text
    assert metrics.report_text == classification_report(
        labels, predicted, target_names=["NORMAL", "PNEUMONIA"]
    )
    json.dumps(metrics.to_dict(), allow_nan=False)  # plain JSON, no NaN


def test_report_table_has_the_talks_layout():
    labels, probabilities, _ = fixed_predictions()
    rows = report_table(classification_metrics(labels, probabilities, 0.5))
    assert [r.label for r in rows] == [
        "NORMAL",
        "PNEUMONIA",
        "accuracy",
        "macro avg",
        "weighted avg",
    ]
    assert list(rows[0].to_dict()) == ["", "precision", "recall", "f1-score", "support"]
    assert rows[2].precision is None and rows[2].support == 624


def test_threshold_is_inclusive_like_roc_curve():
    labels = np.array([0, 0, 1, 1])
    probabilities = np.array([0.2, 0.6, 0.6, 0.9])
    assert classification_metrics(labels, probabilities, 0.6).confusion_matrix == [
        [1, 1],
        [0, 2],
    ]
    assert classification_metrics(labels, probabilities, 0.61).confusion_matrix == [
        [2, 0],
        [1, 1],
    ]


def test_the_threshold_rules_best_j_is_sklearns_roc_maximum():
    labels, probabilities, _ = fixed_predictions()
    low, high, best, _ = optimal_interval(labels, probabilities)
    fpr, tpr, _ = roc_curve(labels, probabilities)
    assert best == pytest.approx(np.max(tpr - fpr))
    metrics = classification_metrics(labels, probabilities, high)  # the top of the interval is good
    assert metrics.sensitivity + metrics.specificity - 1 >= best - 1e-12 - (
        1 / labels.sum() + 1 / (len(labels) - labels.sum())
    )
    assert low < high


@pytest.mark.parametrize(
    "labels, probabilities, message",
    [
        ([0, 1], [0.5], "2 labels but 1"),
        ([0, 2], [0.1, 0.2], "labels must be 0"),
        ([0, 1], [0.1, 1.5], "between 0 and 1"),
        ([0, 1], [0.1, float("nan")], "between 0 and 1"),
        ([], [], "no images"),
    ],
)
def test_bad_inputs_are_named(labels, probabilities, message):
    with pytest.raises(ValueError, match=message):
        classification_metrics(labels, probabilities)


def test_one_class_split_has_no_auc_but_no_crash():
    metrics = classification_metrics([1, 1, 1], [0.2, 0.7, 0.9], 0.5)
    assert metrics.auc is None and metrics.specificity is None
    json.dumps(metrics.to_dict(), allow_nan=False)


def test_weighted_auc_equals_sklearn_with_resample_weights():
    labels, probabilities, _ = fixed_predictions()
    weights = _draw_counts(np.random.default_rng(3), 20, len(labels))
    ours = weighted_auc(labels, probabilities, weights)
    theirs = [roc_auc_score(labels, probabilities, sample_weight=w) for w in weights]
    assert np.allclose(ours, theirs, atol=1e-12)


def test_bootstrap_intervals_are_seeded_fast_and_sensible():
    labels, probabilities, _ = fixed_predictions()
    started = time.perf_counter()
    first = bootstrap_intervals(labels, probabilities, 0.5, resamples=2000, seed=1)
    seconds = time.perf_counter() - started
    assert seconds < 5, f"2000 resamples took {seconds:.1f} s"
    assert first == bootstrap_intervals(labels, probabilities, 0.5, resamples=2000, seed=1)
    assert first != bootstrap_intervals(labels, probabilities, 0.5, resamples=2000, seed=2)
    metrics = classification_metrics(labels, probabilities, 0.5)
    for name in ("accuracy", "auc", "sensitivity", "specificity"):
        interval = first.of(name)
        assert interval.estimate == pytest.approx(getattr(metrics, name))
        assert interval.low < interval.estimate < interval.high
        assert 0.01 < interval.high - interval.low < 0.2  # about +-2-4 points at n = 624


def test_bootstrap_matches_a_plain_loop():
    """The vectorised resamples give what a loop of sklearn calls gives on the same draws."""
    labels, probabilities, _ = fixed_predictions(n=200)
    vectorised = resampled_statistics(labels, [probabilities], 0.5, None, resamples=50, seed=4)[0]
    rng = np.random.default_rng(4)
    weights = _draw_counts(rng, 50, len(labels))
    loop_auc = [roc_auc_score(labels, probabilities, sample_weight=w) for w in weights]
    loop_acc = [np.average((probabilities >= 0.5) == labels, weights=w) for w in weights]
    assert np.allclose(vectorised.auc, loop_auc)
    assert np.allclose(vectorised.accuracy, loop_acc)


def test_patient_bootstrap_keeps_patients_together_and_is_wider_for_duplicates():
    labels, probabilities, _ = fixed_predictions(n=300)
    # each patient has two identical images: the image bootstrap pretends they are independent
    labels2, probabilities2 = np.repeat(labels, 2), np.repeat(probabilities, 2)
    patients = np.repeat(np.arange(300), 2)
    by_image = bootstrap_intervals(labels2, probabilities2, 0.5, seed=0)
    by_patient = bootstrap_intervals(labels2, probabilities2, 0.5, groups=patients, seed=0)
    assert by_patient.settings["unit"] == "patient"
    width = lambda r: r.accuracy.high - r.accuracy.low  # noqa: E731
    assert width(by_patient) > 1.25 * width(by_image)


def test_paired_difference_of_a_model_with_itself_is_zero_and_a_real_gap_is_outside():
    labels, probabilities, _ = fixed_predictions()
    same = paired_differences(labels, probabilities, probabilities, 0.5, 0.5)
    for name in ("accuracy", "auc", "sensitivity", "specificity"):
        difference = same.of(name)
        assert difference.low == difference.high == difference.estimate == 0
        assert difference.outside is False
    rng = np.random.default_rng(0)
    worse = np.clip(probabilities + rng.normal(0, 0.35, len(labels)), 0, 1)
    gap = paired_differences(labels, probabilities, worse, 0.5, 0.5)
    assert gap.auc.estimate > 0 and gap.auc.outside is True
    assert gap.auc.estimate_a == pytest.approx(roc_auc_score(labels, probabilities))
    assert gap.auc.estimate_b == pytest.approx(roc_auc_score(labels, worse))
    assert gap.settings["paired"] is True


def evaluation_with_hostile_names():
    labels, probabilities, _ = fixed_predictions(n=120)
    metrics = classification_metrics(labels, probabilities, 0.5)
    return {
        "run_id": "0123456789abcdef",
        "framework": "torch",
        "trained_on": "synthetic",
        "source": "/data/<img src=x onerror=alert(1)>",
        "split": "test",
        "img_size": 48,
        "threshold_origin": "validation",
        **metrics.to_dict(),
        "bootstrap": bootstrap_intervals(labels, probabilities, 0.5, resamples=200).to_dict(),
        "costs": {"inference_ms_per_image": 0.5, "parameters": 1000},
        "skipped": [
            {"path": "/data/NORMAL/<script>x</script>.png", "reason": "not an image & <b>bad</b>"}
        ],
    }


def test_html_report_escapes_file_names_and_sources():
    page = to_html(evaluation_with_hostile_names(), title="<i>title</i>")
    assert "<script>" not in page and "<img" not in page and "<b>" not in page and "<i>" not in page
    assert "&lt;script&gt;x&lt;/script&gt;.png" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<svg" in page and "Classification report" in page  # the curves and report are there
    assert "macro avg" in page and "weighted avg" in page


def test_json_and_csv_exports_hold_the_numbers():
    evaluation = evaluation_with_hostile_names()
    assert json.loads(to_json(evaluation))["accuracy"] == evaluation["accuracy"]
    rows = list(csv.reader(io.StringIO(to_csv(evaluation))))
    values = {(section, name): value for section, name, value in rows[1:]}
    assert float(values[("metric", "accuracy")]) == pytest.approx(evaluation["accuracy"])
    assert int(values[("confusion_matrix", "TP")]) == evaluation["confusion_matrix"][1][1]
    assert float(values[("report", "PNEUMONIA recall")]) == pytest.approx(
        evaluation["per_class"]["PNEUMONIA"]["recall"]
    )
    assert ("bootstrap_95", "auc low") in values


def test_csv_export_defuses_spreadsheet_formulas():
    evaluation = {**evaluation_with_hostile_names(), "source": '=HYPERLINK("http://x")'}
    rows = list(csv.reader(io.StringIO(to_csv(evaluation))))
    source = next(value for section, name, value in rows if name == "source")
    assert source.startswith("'=")
