"""The shortcut check (pipeline/explain/shortcuts.py): regions found on real X-rays, masses."""

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from pipeline.data import open_source
from pipeline.explain.shortcuts import (
    REGIONS,
    Lungs,
    Markers,
    estimate_lungs,
    shortcut_check,
)

SIZE = 150


@pytest.fixture(scope="module")
def xrays():
    from tests.conftest import REAL_DATA

    if not (REAL_DATA / "train").is_dir():
        pytest.skip(f"real data not found at {REAL_DATA}")
    source = open_source(str(REAL_DATA))
    records = source.scan().split("val")[::20][:24]
    return source.decode(records, SIZE).images


def test_lungs_are_found_on_real_xrays_between_neck_and_diaphragm(xrays):
    found = [estimate_lungs(image) for image in xrays]
    assert sum(lungs.estimated for lungs in found) >= 0.8 * len(found)
    for lungs in found:
        top, bottom, left, right = lungs.box
        assert 0 < top < SIZE * 0.6 and bottom > SIZE * 0.5  # the lungs span the chest's middle
        assert left < SIZE / 2 < right  # one lung each side of the spine
        assert 0.05 < lungs.mask.mean() < 0.6


def test_a_burned_in_letter_near_the_edge_is_a_marker_and_the_lungs_are_not(xrays):
    image = xrays[0].copy()
    assert not Markers().mask(image, estimate_lungs(image))[10:30, 8:24].any()
    canvas = Image.fromarray(image)
    ImageDraw.Draw(canvas).text((10, 10), "R", fill=255, font=ImageFont.load_default(size=16))
    marked = np.asarray(canvas)
    lungs = estimate_lungs(marked)
    found = Markers().mask(marked, lungs)
    letter = marked.astype(int) - image > 60
    assert found[letter].mean() > 0.8  # the letter is covered
    assert not (found & lungs.mask).any()  # and nothing on the lungs


def test_masses_a_map_on_a_corner_is_all_off_lung_and_one_on_the_lungs_is_not(xrays):
    images = xrays[:2]
    lungs = estimate_lungs(images[1])
    corner, on_lungs = np.zeros((SIZE, SIZE)), lungs.mask.astype(float)
    corner[:10, :10] = 1.0
    check = shortcut_check(np.stack([corner, on_lungs]), np.stack([images[0], images[1]]))
    names = check.regions
    assert check.mass[0, names.index("corners")] == 1.0
    assert check.mass[0, names.index("off the lungs")] == 1.0
    assert check.mass[1, names.index("off the lungs")] == 0.0
    assert check.most_off_lung(2) == [0, 1]
    assert set(check.to_json()["regions"][0]) == {"region", "description", "mean_mass", "area"}
    assert len(check.to_json()["regions"]) == len(REGIONS)


def test_an_empty_map_counts_as_empty_not_as_zero_mass(xrays):
    check = shortcut_check(np.zeros((1, SIZE, SIZE)), xrays[:1])
    assert check.empty == 1 and np.isnan(check.mass).all()


def test_an_image_without_lungs_falls_back_and_says_so():
    flat = np.full((SIZE, SIZE), 128, np.uint8)
    lungs = estimate_lungs(flat)
    assert isinstance(lungs, Lungs) and not lungs.estimated
