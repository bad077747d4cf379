"""The synthetic demo dataset: deterministic, fast, cached, well-formed, and learnable.

The generator is real and runs in full here (1,700 images); the learnability check trains a
real tiny CNN with torch on the CPU.
"""

import re
import time

import numpy as np
import pytest

from pipeline.data.core import SPLITS, Record
from pipeline.data.synthetic import (
    NATIVE_SIZE,
    SyntheticParams,
    SyntheticSource,
    generate,
)

# The requirement: under 5 s on 2 cores. CPU seconds are held to it (about 2 s here); wall seconds
# get a generous bound only, as other work on a shared machine stretches them (4.5-5.3 s seen with
# a load average of 10 on 2 cores).
CPU_BOUND_S = 5.0
WALL_BOUND_S = 30.0


@pytest.fixture(scope="module")
def fresh_cache(tmp_path_factory):
    """A cache directory of this module's own, so the first scan really generates."""
    return tmp_path_factory.mktemp("synthetic-cache")


@pytest.fixture(scope="module")
def first_scan(fresh_cache):
    """The first scan on an empty cache, timed: it generates and writes the dataset."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PNEUMOLAB_CACHE", str(fresh_cache))
        source = SyntheticSource("synthetic")
        wall, cpu = time.perf_counter(), time.process_time()
        scan = source.scan()
        seconds = {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}
        path = source.cache_path()
    return scan, seconds, path


@pytest.fixture(scope="module")
def data():
    return generate(SyntheticParams())


def test_first_scan_generates_within_bound_and_writes_a_plain_npz(first_scan):
    _scan, seconds, path = first_scan
    print(f"generation + cache write: {seconds['wall']:.2f} s wall, {seconds['cpu']:.2f} s CPU")
    assert seconds["cpu"] < CPU_BOUND_S
    assert seconds["wall"] < WALL_BOUND_S
    assert path.is_file() and path.parent.name == "synthetic"
    with np.load(path, allow_pickle=False) as npz:  # no pickled objects inside
        assert npz["images"].shape == (1700, NATIVE_SIZE, NATIVE_SIZE)
        assert npz["images"].dtype == np.uint8


def test_second_scan_reuses_the_cache(first_scan, fresh_cache, monkeypatch):
    scan, _, path = first_scan
    written = path.stat().st_mtime_ns
    monkeypatch.setenv("PNEUMOLAB_CACHE", str(fresh_cache))
    again = SyntheticSource("synthetic").scan()  # a new instance: nothing held in memory
    assert path.stat().st_mtime_ns == written
    assert again.records == scan.records
    assert again.fingerprint == scan.fingerprint


def test_a_damaged_cache_file_is_regenerated(tmp_path, monkeypatch):
    monkeypatch.setenv("PNEUMOLAB_CACHE", str(tmp_path))
    params = SyntheticParams(train=40, val=8, test=12)
    source = SyntheticSource("synthetic", params)
    source.cache_path().parent.mkdir(parents=True)
    source.cache_path().write_bytes(b"not an npz")
    scan = SyntheticSource("synthetic", params).scan()
    assert len(scan.records) == 60
    with np.load(source.cache_path(), allow_pickle=False) as npz:
        assert len(npz["labels"]) == 60


def test_generation_is_deterministic(first_scan, data):
    _, _, path = first_scan
    with np.load(path, allow_pickle=False) as cached:
        assert np.array_equal(cached["images"], data.images)
        assert np.array_equal(cached["labels"], data.labels)
        assert np.array_equal(cached["patients"], data.patients)
        assert np.array_equal(cached["masks"], np.packbits(data.masks, axis=-1))
    other_seed = generate(SyntheticParams(seed=1, train=40, val=8, test=12))
    same_sizes = generate(SyntheticParams(seed=0, train=40, val=8, test=12))
    assert not np.array_equal(other_seed.images, same_sizes.images)


def test_fingerprint_follows_the_parameters():
    assert SyntheticParams().fingerprint() == SyntheticParams().fingerprint()
    assert SyntheticParams(seed=1).fingerprint() != SyntheticParams().fingerprint()
    assert SyntheticParams(train=100).fingerprint() != SyntheticParams().fingerprint()


def test_splits_sizes_and_class_mix(data):
    for split, size in zip(SPLITS, (1200, 200, 300)):
        labels = data.labels[data.splits == split]
        assert len(labels) == size
        normal_share = np.mean(labels == 0)
        assert 0.22 <= normal_share <= 0.28, (
            f"{split}: NORMAL share {normal_share:.2f}, expected ~1:3"
        )


def test_masks_mark_opacities_inside_the_lungs_of_pneumonia_images_only(data):
    mask_pixels = data.masks.sum(axis=(1, 2))
    assert np.all((mask_pixels > 0) == (data.labels == 1))
    assert not np.any(data.masks & ~data.lungs), "an opacity mask leaves the lung fields"
    # The masks mark what the pixels show: the masked lung is brighter than the rest of it.
    brighter = []
    for image, mask, lungs in zip(data.images, data.masks, data.lungs):
        if mask.any():
            brighter.append(image[mask].mean() > image[lungs & ~mask].mean())
    assert np.mean(brighter) > 0.98


def test_patients_never_span_two_splits(data):
    assert all(re.fullmatch(r"syn-\d{4}", p) for p in np.unique(data.patients))
    split_of, label_of = {}, {}
    for patient, split, label in zip(data.patients, data.splits, data.labels):
        assert split_of.setdefault(patient, split) == split, f"{patient} is in two splits"
        assert label_of.setdefault(patient, label) == label, f"{patient} has two labels"
    images_per_patient = np.unique(data.patients, return_counts=True)[1]
    assert set(images_per_patient) == {1, 2}  # some patients have a second image


def test_scan_lists_every_image_with_its_split(first_scan):
    scan, _, _ = first_scan
    assert scan.kind == "synthetic" and scan.source == "synthetic"
    assert scan.patients_known and not scan.skipped
    assert any("generated" in note.lower() for note in scan.notes)
    assert [len(scan.split(s)) for s in SPLITS] == [1200, 200, 300]
    assert scan.split("val")[0].origin == "synthetic#val/0"
    assert scan.split("test")[-1].origin == "synthetic#test/299"
    assert scan.fingerprint == SyntheticParams().fingerprint()


def test_decode_resizes_images_and_masks(first_scan, fresh_cache, monkeypatch, data):
    scan, _, _ = first_scan
    monkeypatch.setenv("PNEUMOLAB_CACHE", str(fresh_cache))
    source = SyntheticSource("synthetic")
    records = scan.split("test")[:40]
    stranger = Record(origin="synthetic#test/99999", label=0, patient="syn-0000", split="test")

    small = source.decode([*records, stranger], 64)
    assert small.images.shape == (40, 64, 64) and small.images.dtype == np.uint8
    assert small.masks.shape == (40, 64, 64) and small.masks.dtype == bool
    assert small.kept == list(range(40))
    assert [f.path for f in small.failed] == [stranger.origin]
    assert (small.original_sizes == NATIVE_SIZE).all() and small.original_sizes.shape == (40, 2)
    labels = np.array([r.label for r in records])
    assert np.all(small.masks.any(axis=(1, 2)) == (labels == 1))  # no lesion lost at 64 px

    native = source.decode(records, NATIVE_SIZE)
    first_test = np.flatnonzero(data.splits == "test")[0]
    assert np.array_equal(native.images, data.images[first_test : first_test + 40])
    assert np.array_equal(native.masks, data.masks[first_test : first_test + 40])
    nothing = source.decode([stranger], 64)
    assert nothing.images.shape == (0, 64, 64) and nothing.masks.shape == (0, 64, 64)


def test_brightness_alone_does_not_separate_the_classes(data):
    """Exposure varies per image, so the opacities are no global-brightness shortcut."""
    means = data.images.reshape(len(data.images), -1).mean(axis=1)
    best = max(np.mean((means > t) == data.labels) for t in np.unique(means))
    assert best < 0.8  # the majority class alone gives 0.75


@pytest.mark.slow
def test_a_tiny_cnn_learns_it(first_scan, fresh_cache, monkeypatch):
    """Learnable but not trivial: a small CNN at 64 px needs a few epochs to pass 90%."""
    import torch

    monkeypatch.setenv("PNEUMOLAB_CACHE", str(fresh_cache))
    scan, _, _ = first_scan
    source = SyntheticSource("synthetic")
    # One thread: convolutions this small gain nothing from two, and on a busy 2-core machine
    # two threads waiting on each other made an epoch 15x slower here.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        accuracy, seconds = _train_and_test(scan, source, epochs=10, seed=0)
    finally:
        torch.set_num_threads(threads)
    print(f"tiny CNN, 64 px, 10 epochs, 1 thread: test accuracy {accuracy:.3f} in {seconds:.1f} s")
    assert accuracy > 0.90


def _train_and_test(scan, source, epochs: int, seed: int):
    """Train a ~15k-parameter CNN on the train split at 64 px; its accuracy on the test split."""
    import torch

    torch.manual_seed(seed)

    def tensors(split):
        records = scan.split(split)
        pixels = torch.from_numpy(source.decode(records, 64).images).float().unsqueeze(1)
        # Per-image standardisation: exposure differs from film to film.
        pixels = (pixels - pixels.mean((1, 2, 3), keepdim=True)) / pixels.std(
            (1, 2, 3), keepdim=True
        )
        return pixels, torch.tensor([r.label for r in records], dtype=torch.float32)

    x_train, y_train = tensors("train")
    x_test, y_test = tensors("test")

    def block(inputs, outputs, kernel=3):
        conv = torch.nn.Conv2d(inputs, outputs, kernel, stride=2, padding=kernel // 2, bias=False)
        return [conv, torch.nn.BatchNorm2d(outputs), torch.nn.ReLU()]

    model = torch.nn.Sequential(
        *block(1, 8, 5),
        *block(8, 16),
        *block(16, 32),
        torch.nn.Conv2d(32, 32, 3, padding=1),
        torch.nn.AdaptiveMaxPool2d(1),  # "is there a lesion anywhere": the strongest response
        torch.nn.Flatten(),
        torch.nn.Linear(32, 1),
    )
    batch = 32
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=1e-2, total_steps=epochs * -(-len(x_train) // batch)
    )
    started = time.perf_counter()
    for _ in range(epochs):
        model.train()
        for batch_index in torch.randperm(len(x_train)).split(batch):
            logits = model(x_train[batch_index]).squeeze(1)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                logits, y_train[batch_index]
            )
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
    model.eval()
    with torch.no_grad():
        accuracy = ((model(x_test).squeeze(1) > 0).float() == y_test).float().mean().item()
    return accuracy, time.perf_counter() - started
