"""Which test images the Predictions page offers (pipeline/evaluate/selection.py)."""

import numpy as np

from pipeline.evaluate.selection import ImageFilter, confident_mistakes, matching_images

# four images: NORMAL, NORMAL, PNEUMONIA, PNEUMONIA
LABELS = np.array([0, 0, 1, 1])
PROBABILITIES = np.array([0.1, 0.9, 0.4, 0.95])
THRESHOLD = 0.5  # so image 1 (NORMAL called PNEUMONIA) and image 2 (the other way) are wrong


def matching(**chosen) -> list[int]:
    return matching_images(LABELS, PROBABILITIES, THRESHOLD, ImageFilter(**chosen)).tolist()


def test_the_default_filter_keeps_every_image():
    assert matching() == [0, 1, 2, 3]


def test_class_outcome_and_band_each_narrow_the_images():
    assert matching(wanted_class="PNEUMONIA") == [2, 3]
    assert matching(outcome="wrong") == [1, 2]
    assert matching(outcome="correct") == [0, 3]
    assert matching(band=(0.4, 0.9)) == [1, 2]  # a closed range
    assert matching(wanted_class="NORMAL", outcome="wrong", band=(0.5, 1.0)) == [1]
    assert matching(wanted_class="NORMAL", outcome="correct", band=(0.5, 1.0)) == []


def test_the_outcome_reads_the_label_at_the_given_threshold():
    at_low = matching_images(LABELS, PROBABILITIES, 0.3, ImageFilter(outcome="wrong"))
    assert at_low.tolist() == [1]  # at 0.3 image 2 is called PNEUMONIA: right


def test_mistakes_come_most_confident_first_with_how_many_there_are():
    shown, wrong = confident_mistakes(LABELS, PROBABILITIES, THRESHOLD, limit=12)
    assert wrong == 2 and shown.tolist() == [1, 2]  # 0.9 is farther from 0.5 than 0.4
    shown, wrong = confident_mistakes(LABELS, PROBABILITIES, THRESHOLD, limit=1)
    assert wrong == 2 and shown.tolist() == [1]
    none, wrong = confident_mistakes(LABELS, np.array([0.1, 0.2, 0.8, 0.9]), THRESHOLD, 12)
    assert wrong == 0 and none.tolist() == []
