"""Dataset statistics the Keras way and the PyTorch way, and the two ways of balancing classes."""

import numpy as np
import pytest
import torch
from torch.utils.data import WeightedRandomSampler

from pipeline.augment.balance import batch_mix, class_counts, keras_class_weights, sampler_weights
from pipeline.augment.keras_builder import image_data_generator_class
from pipeline.augment.stats import agreement, fit_stats, iter_chunks, precomputed_stats, split_stats
from pipeline.data import load_split

SIZE = 64


@pytest.fixture
def real_train(real_data):
    return load_split(str(real_data), "train", SIZE)


def test_fit_and_precomputed_agree_on_the_real_split(real_train):
    images = real_train.images
    fitted = fit_stats(iter_chunks(images, 256), 1 / 255)
    computed = precomputed_stats(iter_chunks(images, 256), 1 / 255)
    assert fitted.images == computed.images == len(images) > 4000
    assert agreement(fitted, computed) < 1e-5
    exact = images.astype(np.float64) / 255
    assert abs(computed.mean - exact.mean()) < 1e-9 and abs(computed.std - exact.std()) < 1e-9
    assert 0.3 < computed.mean < 0.7 and 0.1 < computed.std < 0.4  # X-rays: mid-grey, wide spread


def test_pooled_chunks_equal_one_fit_on_everything(real_train):
    images = real_train.images[:700]
    generator = image_data_generator_class()(
        featurewise_center=True, featurewise_std_normalization=True, rescale=1 / 255
    )
    generator.fit(images[..., None])  # the whole array in memory: what fit_stats avoids
    for chunk in (700, 128, 7):  # one chunk, even chunks, an uneven last chunk
        pooled = fit_stats(iter_chunks(images, chunk), 1 / 255)
        assert abs(pooled.mean - float(generator.mean.squeeze())) < 1e-6
        assert abs(pooled.std - float(generator.std.squeeze())) < 1e-6


def test_statistics_stream_from_disk(tmp_path, real_train):
    """A memory-mapped file is read one chunk at a time; the result does not change."""
    path = tmp_path / "train.npy"
    np.save(path, real_train.images)
    mapped = np.load(path, mmap_mode="r")
    streamed = precomputed_stats(iter_chunks(mapped, 100), 1.0)
    direct = precomputed_stats([real_train.images], 1.0)
    assert abs(streamed.mean - direct.mean) < 1e-9 and abs(streamed.std - direct.std) < 1e-9
    assert 255 * 0.3 < streamed.mean < 255 * 0.7  # rescale 1.0: grey levels


def test_split_stats_reads_the_training_split(real_data, real_train):
    fitted = split_stats(str(real_data), SIZE, 1 / 255, method="fit")
    computed = split_stats(str(real_data), SIZE, 1 / 255, method="precomputed")
    assert agreement(fitted, computed) < 1e-5 and fitted.images == len(real_train)


def test_no_images_is_an_error_not_a_zero():
    with pytest.raises(ValueError, match="no images"):
        precomputed_stats(iter_chunks(np.zeros((0, 8, 8), np.uint8)), 1.0)
    with pytest.raises(ValueError, match="no images"):
        fit_stats(iter_chunks(np.zeros((0, 8, 8), np.uint8)), 1.0)


def test_batch_mix_with_and_without_balancing():
    labels = np.array([0] * 1341 + [1] * 3875)  # the real training split's counts
    rows = {row.name: row for row in batch_mix(labels, batch_size=32)}
    assert rows["NORMAL"].per_batch_plain == pytest.approx(32 * 1341 / 5216)
    assert rows["PNEUMONIA"].per_batch_plain == pytest.approx(32 * 3875 / 5216)
    assert rows["NORMAL"].per_batch_sampler == rows["PNEUMONIA"].per_batch_sampler == 16
    weights = keras_class_weights(labels)
    assert weights[0] == pytest.approx(5216 / (2 * 1341)) and weights[1] == pytest.approx(
        5216 / (2 * 3875)
    )
    assert rows["NORMAL"].loss_share == pytest.approx(0.5)


def test_weighted_random_sampler_draws_the_expected_mix(real_train):
    labels = real_train.labels
    counts = class_counts(labels)
    assert counts[1] > 2 * counts[0]  # the real split is imbalanced
    generator = torch.Generator().manual_seed(0)
    sampler = WeightedRandomSampler(
        sampler_weights(labels), num_samples=20_000, replacement=True, generator=generator
    )
    drawn = labels[np.fromiter(iter(sampler), dtype=np.int64)]
    assert abs(drawn.mean() - 0.5) < 0.015  # about 50 : 50, as batch_mix says
    plain = np.random.default_rng(0).choice(labels, 20_000)
    assert abs(plain.mean() - counts[1] / counts.sum()) < 0.015  # without it: the split's own mix


def test_class_weights_skip_an_absent_class():
    assert keras_class_weights(np.array([1, 1, 1])) == {0: 0.0, 1: 1.0}
    with pytest.raises(ValueError, match="empty"):
        batch_mix(np.array([], dtype=np.int64))
