"""``pipeline.isolated``: a preview rendered in a child process equals the one rendered here, and
what crosses is JSON plus arrays, never a pickle (a forged request cannot run code)."""

import json

import numpy as np
import pytest

from pipeline import isolated
from pipeline.augment.preview import Preview, Rendered, rendered
from pipeline.augment.spec import AugmentSpec
from pipeline.augment.stats import DatasetStats


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    monkeypatch.setenv("PNEUMOLAB_CACHE", str(tmp_path))
    return tmp_path


def test_records_arrays_and_bytes_cross_unchanged(tmp_path):
    stats = DatasetStats(mean=0.5, std=0.2, images=10, rescale=1 / 255)
    value = {
        "spec": AugmentSpec.preset("talk"),
        "stats": stats,
        "png": b"\x89PNG\x00",
        "pair": (1, 2.5),
        "arrays": [np.arange(6, dtype=np.float32).reshape(2, 3)],
        3: None,
    }
    isolated.save(tmp_path / "v", value)
    back = isolated.load(tmp_path / "v")
    assert back["spec"] == value["spec"] and back["stats"] == stats
    assert back["png"] == value["png"] and back["pair"] == (1, 2.5) and back[3] is None
    np.testing.assert_array_equal(back["arrays"][0], value["arrays"][0])


def test_an_unknown_type_is_refused_both_ways(tmp_path):
    with pytest.raises(TypeError, match="cannot cross"):
        isolated.save(tmp_path / "v", {"f": open})
    isolated.save(tmp_path / "w", 1)
    (tmp_path / "w" / "value.json").write_text(
        json.dumps({"__record__": "os:system", "fields": {}})
    )
    with pytest.raises(TypeError, match="refusing os:system"):
        isolated.load(tmp_path / "w")


def test_a_request_for_a_module_outside_the_pipeline_fails_in_the_child(scratch):
    with pytest.raises(isolated.IsolatedError, match="only pipeline functions"):
        isolated.call("os", "getcwd")


@pytest.mark.slow  # the child imports both frameworks
def test_a_preview_made_in_a_child_equals_the_one_made_here(scratch):
    image = (np.arange(64 * 64) % 251).astype(np.uint8).reshape(64, 64)
    args = (AugmentSpec.preset("talk"), image, 2, 0, None, True, 8)
    child = isolated.call("pipeline.augment.preview", "rendered", *args)
    here = rendered(*args)
    assert isinstance(child, Rendered) and isinstance(child.preview, Preview)
    assert child.preview.torch_draws == here.preview.torch_draws
    assert child.keras == here.keras and child.torch == here.torch
    assert child.gap_captions == here.gap_captions
