"""A dataset's identity comes from its training images' content: not their path, not file times.

Also what that identity does to the run store: the same settings on a copy of the same images
are the same run (trained once), ``runs list --source`` finds it by content, and a store written
before identities is migrated to today's ids."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from pipeline.data import canonical_source, open_source
from pipeline.data.identity import dataset_identity, identity_of
from pipeline.runs import Run, make_run_id, trained_on, write_json
from pipeline.runs.choice import runs_to_show
from pipeline.training.migrate import migrate_store
from tests.helpers.configs import tiny
from tests.helpers.imagetree import kaggle_tree

ROOT = Path(__file__).resolve().parents[2]


def identity(path: Path) -> str:
    return identity_of(open_source(str(path))).fingerprint


@pytest.fixture
def tree(tmp_path) -> Path:
    return kaggle_tree(tmp_path / "original" / "chest_xray", per_class=(20, 44), broken=False)


def copy_with_new_times(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)  # copytree keeps times; give every file new ones
    for path in dst.rglob("*"):
        os.utime(path, (1_000_000_000, 1_000_000_000))
    return dst


def test_a_copy_elsewhere_with_new_times_is_the_same_dataset(tree, tmp_path):
    copy = copy_with_new_times(tree, tmp_path / "mounted" / "elsewhere" / "xrays")
    assert open_source(str(copy)).fingerprint() != open_source(str(tree)).fingerprint()
    assert identity(copy) == identity(tree)
    assert dataset_identity(str(tree)).images == 64
    assert dataset_identity(str(tree)).name == "chest_xray"


def test_a_reencoded_image_an_extra_image_or_a_new_split_is_another_dataset(tree, tmp_path):
    before = identity(tree)
    reencoded = copy_with_new_times(tree, tmp_path / "reencoded")
    image = next((reencoded / "train" / "NORMAL").glob("*.jpeg"))
    Image.open(image).save(image, "JPEG", quality=60)  # same picture, other bytes
    assert identity(reencoded) != before

    extra = copy_with_new_times(tree, tmp_path / "extra")
    shutil.copy(image, extra / "train" / "NORMAL" / "IM-9999-0001.jpeg")
    assert identity(extra) != before

    # a test/ folder of its own: train is no longer carved into a test split, so it trains on more
    with_test = copy_with_new_times(tree, tmp_path / "with_test")
    kaggle_tree(tmp_path / "scratch", splits=("test",), per_class=(2, 4), broken=False)
    shutil.copytree(tmp_path / "scratch" / "test", with_test / "test")
    assert identity(with_test) != before


def test_only_the_training_images_count(tree, tmp_path):
    """Two sources with the same train/ and different official test splits train alike only when
    neither carves: the test images themselves never enter the identity."""
    a, b = copy_with_new_times(tree, tmp_path / "a"), copy_with_new_times(tree, tmp_path / "b")
    kaggle_tree(tmp_path / "ta", splits=("val", "test"), per_class=(2, 4), broken=False)
    kaggle_tree(tmp_path / "tb", splits=("val", "test"), per_class=(4, 2), broken=False)
    for target, extra in ((a, tmp_path / "ta"), (b, tmp_path / "tb")):
        for split in ("val", "test"):
            shutil.copytree(extra / split, target / split)
    assert identity(a) == identity(b)


@pytest.mark.slow
def test_the_same_run_on_a_copy_is_cached_and_listed_by_content(tree, tmp_path):
    from pipeline.training.queue import trigger, wait

    source = canonical_source(str(tree))
    first = trigger(tiny("torch", seed=5, source=source))
    assert wait(first.run, poll_s=0.3).status == "finished"
    assert first.run.identity() == dataset_identity(source).fingerprint

    copy = canonical_source(str(copy_with_new_times(tree, tmp_path / "copy")))
    again = trigger(tiny("torch", seed=5, source=copy))
    assert (again.how, again.run.id) == ("cached", first.run.id)
    assert trained_on(first.run, copy)
    shown = runs_to_show(copy, "torch")
    assert shown.own and first.run.id in [r.id for r in shown.runs]

    listed = subprocess.run(
        [sys.executable, "-m", "pipeline.runs", "list", "--source", copy, "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    assert first.run.id in [row["run_id"] for row in json.loads(listed.stdout)]


@pytest.mark.slow
def test_a_store_from_before_identities_is_migrated_to_todays_ids(tree):
    """An old run (id from the config with its path and the stat fingerprint, no identity in
    data.json) moves to today's id, so the same training is found instead of trained again."""
    from models import MODEL_CODE_VERSION
    from pipeline.training.queue import trigger, wait

    source = canonical_source(str(tree))
    config = tiny("torch", seed=6, source=source)
    run = trigger(config).run
    assert wait(run, poll_s=0.3).status == "finished"
    today = run.id
    # rewrite it as the code before identities left it
    old_id = make_run_id(
        config.stable_hash(), open_source(source).fingerprint(), MODEL_CODE_VERSION
    )
    data = {
        k: v
        for k, v in run.data().to_dict().items()
        if k not in ("identity", "identity_version", "dataset", "label_space", "training_images")
    }
    write_json(run.path / "data.json", data)
    run.path.rename(run.path.with_name(old_id))
    old = Run(old_id)
    write_json(old.path / "status.json", {**old.status().to_dict(), "run_id": old_id})
    assert old.identity() is None and not Run(today).exists()

    moved = migrate_store()

    assert [(m.old_id, m.new_id, m.moved) for m in moved] == [(old_id, today, True)]
    assert not old.path.exists()
    migrated = Run(today)
    assert migrated.state == "finished" and migrated.status().run_id == today
    assert migrated.identity() == dataset_identity(source).fingerprint
    assert trigger(config).how == "cached"
    assert migrate_store() == []  # nothing left to do


def test_an_old_run_whose_source_changed_stays_as_it_was(tree, tmp_path):
    """Its content cannot be proven: it keeps its id and is matched by its source string."""
    source = canonical_source(str(tree))
    old = Run("0123456789abcdef")
    old.path.mkdir(parents=True)
    (old.path / "config.json").write_text(tiny("torch", seed=7, source=source).to_json())
    write_json(
        old.path / "data.json",
        {"source": source, "fingerprint": "not-the-files-now", "model_code_version": "x"},
    )
    write_json(old.path / "status.json", {"run_id": old.id, "status": "failed"})
    assert migrate_store() == []
    assert old.path.exists() and old.identity() is None
    shutil.rmtree(old.path)
