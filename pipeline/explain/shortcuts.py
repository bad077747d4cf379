"""A shortcut check without hand-drawn masks: how much Grad-CAM mass lies where no disease is.

    check = shortcut_check(heatmaps, images)     # heatmaps (N, S, S) in [0, 1], images uint8
    check.mean_mass["border"], check.area["border"]   # mass there vs the share of the image
    check.most_off_lung(8)                         # indices, the most off-lung maps first

A model that learnt the hospital rather than the disease looks at what marks the hospital: the
image borders and corners (collimation, the detector's edge), burned-in markers (the "R"/"L"
letters, text), and the neck and shoulders above the lungs. Each region is a small class with
one ``mask`` method, computed from the image alone:

- ``Border``: the outer ``BORDER`` share of each side; ``Corners``: the four corner squares.
- ``Markers``: small, very bright connected blobs near the edges (letters are burned in at the
  detector's maximum; anatomy is never that bright in so small a spot), slightly dilated.
- ``estimate_lungs`` and ``AboveLungs``: the lung fields from the image's intensity profiles,
  without any mask (the projection-profile approach of classical chest X-ray analysis). Air is
  dark on an X-ray. On the smoothed image, the mean of each column over the middle rows is
  bright at the spine and mediastinum, dark over each lung, bright again at the chest wall and
  arm, dark outside the body: each lung's columns are the dark valley between the spine and
  the chest wall (where the profile stays below half-way from the valley to its rims). The
  mean of each row over those columns is dark over the lungs and bright above (neck,
  shoulders, clavicles) and below (diaphragm): the rows around its darkest point, to half-way
  up either rim, are the lungs' height. Two boxes, so coarse, but Grad-CAM maps are coarse too
  (9 x 9 cells at 150 px). ``AboveLungs`` is every row above their top. When no plausible lungs
  are found (less than ``MIN_LUNG_SHARE`` of the image, a top below 45% of the height, less
  than a third of the height), the estimate falls back to the middle 70% of the rows and
  columns, and the image is counted in ``check.fallbacks``.
- ``OffLungs``: everything outside the lungs' bounding box, dilated by ``LUNG_MARGIN``: a
  coarse map that sits on the lungs still bleeds a little past their edge.

The mass of a map in a region is its sum there over its sum everywhere; a map spread evenly
would put the region's area share there, so ``area`` is the chance level to compare with.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

BORDER = 0.1  # share of the side counted as border
CORNER = 0.2  # side of each corner square, as a share of the image's side
MARKER_CONTRAST = 60  # grey levels above the neighbourhood (white top-hat)
MARKER_MIN_LEVEL = 80  # and at least this bright (letters on black film: 100-140 at 150 px)
MARKER_MAX_AREA = 0.005  # a blob bigger than this share of the image is anatomy, not a letter
MARKER_EDGE = 0.15  # markers sit within this share of the side from an edge
MIN_LUNG_SHARE = 0.05
LUNG_MARGIN = 0.08


@dataclass(frozen=True)
class Lungs:
    mask: np.ndarray  # (S, S) bool
    top: int  # first row of the lungs
    box: tuple[int, int, int, int]  # top, bottom, left, right (inclusive-exclusive)
    estimated: bool  # False: the fallback box


class Region:
    """Where a shortcut could hide, from the image alone (and the lung estimate)."""

    name = ""
    description = ""

    def mask(self, image: np.ndarray, lungs: Lungs) -> np.ndarray:
        raise NotImplementedError


class Border(Region):
    name, description = "border", f"the outer {BORDER:.0%} of each side"

    def mask(self, image, lungs):
        outer = _outer(image.shape[0], BORDER)
        return outer[:, None] | outer[None, :]


class Corners(Region):
    name, description = "corners", f"the four corner squares ({CORNER:.0%} of the side)"

    def mask(self, image, lungs):
        outer = _outer(image.shape[0], CORNER)
        return outer[:, None] & outer[None, :]


def _outer(side: int, share: float) -> np.ndarray:
    """(side,) bool: the outer ``share`` of a square image's side at both ends, one pixel at least."""
    width = max(1, round(side * share))
    outer = np.zeros(side, bool)
    outer[:width] = outer[-width:] = True
    return outer


class Markers(Region):
    name, description = "markers", "small bright marks near the edges (letters, R/L)"

    def mask(self, image, lungs):
        side = image.shape[0]
        # white top-hat: what is bright against its neighbourhood and smaller than a rib
        pixels = image.astype(np.float32)
        tophat = pixels - ndimage.grey_opening(pixels, size=max(3, side // 12))
        blobs, _ = ndimage.label((tophat >= MARKER_CONTRAST) & (pixels >= MARKER_MIN_LEVEL))
        out = np.zeros(image.shape, bool)
        edge = side * MARKER_EDGE
        for index, box in enumerate(ndimage.find_objects(blobs), start=1):
            blob = blobs[box] == index
            rows, cols = box
            centre = ((rows.start + rows.stop) / 2, (cols.start + cols.stop) / 2)
            near_edge = min(*centre, side - centre[0], side - centre[1]) < edge
            if near_edge and blob.sum() <= MARKER_MAX_AREA * side * side:
                out |= _isolated(pixels, blobs == index)
        return ndimage.binary_dilation(out, iterations=max(1, side // 50)) if out.any() else out


def _isolated(pixels: np.ndarray, blob: np.ndarray) -> np.ndarray:
    """``blob`` if darker pixels surround it on most sides (a mark on the film, not the bright
    edge of an arm or a shoulder, which continues into bright tissue), else nothing."""
    ring = ndimage.binary_dilation(blob, iterations=3) & ~blob
    if np.percentile(pixels[ring], 75) < pixels[blob].mean() - MARKER_CONTRAST / 2:
        return blob
    return np.zeros_like(blob)


class AboveLungs(Region):
    name, description = "above the lungs", "rows above the estimated lung tops (neck, shoulders)"

    def mask(self, image, lungs):
        out = np.zeros(image.shape, bool)
        out[: lungs.top] = True
        return out


class OffLungs(Region):
    name, description = "off the lungs", "outside the lungs' box (with a small margin)"

    def mask(self, image, lungs):
        side = image.shape[0]
        margin = round(side * LUNG_MARGIN)
        top, bottom, left, right = lungs.box
        inside = np.zeros(image.shape, bool)
        inside[max(0, top - margin) : bottom + margin, max(0, left - margin) : right + margin] = (
            True
        )
        return ~inside


REGIONS = (Border(), Corners(), Markers(), AboveLungs(), OffLungs())


def estimate_lungs(image: np.ndarray) -> Lungs:
    """Two lung boxes from the image's intensity profiles (see the module doc)."""
    side = image.shape[0]
    smooth = ndimage.gaussian_filter(image.astype(np.float32), sigma=side / 40)
    band = smooth[round(side * 0.25) : round(side * 0.75)]
    columns = band.mean(axis=0)  # bright spine in the middle, dark lungs either side
    spine = _argmax(columns, 0.35 * side, 0.65 * side)
    gap = round(side * 0.05)
    boxes = []
    for low, high in ((round(side * 0.02), spine - gap), (spine + gap, round(side * 0.98))):
        if high - low < 6:
            return _fallback(side)
        # between the body's lateral edge (its brightest column there) and the spine: outside the
        # body the background is dark too, so the search must not go past that edge
        if low < spine:
            low = _argmax(columns, low, 0.25 * side)
        else:
            high = _argmax(columns, 0.75 * side, high) + 1
        if high - low < 3:
            return _fallback(side)
        centre = _argmin(columns, low, high)
        boxes.append(_extent(columns, centre, low, high))
    left, right = boxes[0][0], boxes[1][1]
    rows = np.concatenate([smooth[:, a:b] for a, b in boxes], axis=1).mean(axis=1)
    centre = _argmin(rows, 0.2 * side, 0.8 * side)
    top, bottom = _extent(rows, centre, round(side * 0.02), round(side * 0.98))
    mask = np.zeros(image.shape, bool)
    for a, b in boxes:
        mask[top:bottom, a:b] = True
    # lungs start in the upper half and span at least a third of the height: anything else is a
    # profile misread (a dark bowel loop, an arm across the chest), and the fallback is safer
    if mask.mean() < MIN_LUNG_SHARE or top > 0.45 * side or bottom - top < side / 3:
        return _fallback(side)
    return Lungs(mask, top, (top, bottom, left, right), True)


def _argmin(profile: np.ndarray, low: float, high: float) -> int:
    low, high = int(low), int(high)
    return low + int(np.argmin(profile[low:high]))


def _argmax(profile: np.ndarray, low: float, high: float) -> int:
    low, high = int(low), int(high)
    return low + int(np.argmax(profile[low:high]))


def _extent(profile: np.ndarray, centre: int, low: int, high: int) -> tuple[int, int]:
    """From the dark ``centre`` outwards, as far as the profile stays below the half-way level
    between its minimum and the brightest point on that side (within [low, high))."""
    bottom = profile[centre]
    start = centre
    level = bottom + 0.5 * (profile[low : centre + 1].max() - bottom)
    while start > low and profile[start - 1] < level:
        start -= 1
    end = centre + 1
    level = bottom + 0.5 * (profile[centre:high].max() - bottom)
    while end < high and profile[end] < level:
        end += 1
    return start, end


def _fallback(side: int) -> Lungs:
    low, high = round(side * 0.15), round(side * 0.85)
    mask = np.zeros((side, side), bool)
    mask[low:high, low:high] = True
    return Lungs(mask, low, (low, high, low, high), False)


# ---- over a split ----


@dataclass
class ShortcutCheck:
    """Each region's share of the Grad-CAM mass, per image and on average, with the chance level."""

    regions: tuple[str, ...]
    mass: np.ndarray  # (N, R): share of each map's mass in each region (NaN: an empty map)
    areas: np.ndarray  # (N, R): share of each image's pixels in each region
    fallbacks: int  # images whose lungs were not found (the fallback box was used)
    empty: int = 0  # maps with no mass at all (nothing to place)
    notes: list[str] = field(default_factory=list)

    @property
    def mean_mass(self) -> dict[str, float]:
        return dict(zip(self.regions, np.nanmean(self.mass, axis=0).tolist()))

    @property
    def area(self) -> dict[str, float]:
        return dict(zip(self.regions, self.areas.mean(axis=0).tolist()))

    def most_off_lung(self, count: int = 8) -> list[int]:
        """Image indices, the largest share of mass off the lungs first (empty maps last)."""
        off = self.mass[:, self.regions.index(OffLungs.name)]
        return [int(i) for i in np.argsort(np.nan_to_num(off, nan=-1.0))[::-1][:count]]

    def to_json(self) -> dict:
        return {
            "regions": [
                {
                    "region": name,
                    "description": region.description,
                    "mean_mass": self.mean_mass[name],
                    "area": self.area[name],
                }
                for name, region in zip(self.regions, REGIONS)
            ],
            "images": len(self.mass),
            "lungs_not_found": self.fallbacks,
            "empty_maps": self.empty,
            "most_off_lung": self.most_off_lung(),
        }


def shortcut_check(heatmaps: np.ndarray, images: np.ndarray) -> ShortcutCheck:
    """Region masses of ``heatmaps`` (N, S, S) over ``images`` (N, S, S) uint8, same size."""
    if heatmaps.shape != images.shape:
        raise ValueError(f"maps {heatmaps.shape} and images {images.shape} differ in shape")
    mass = np.full((len(images), len(REGIONS)), np.nan)
    areas = np.zeros((len(images), len(REGIONS)))
    fallbacks = empty = 0
    for i, (heatmap, image) in enumerate(zip(heatmaps, images)):
        lungs = estimate_lungs(image)
        fallbacks += not lungs.estimated
        total = float(heatmap.sum())
        empty += total <= 0
        for r, region in enumerate(REGIONS):
            inside = region.mask(image, lungs)
            areas[i, r] = inside.mean()
            if total > 0:
                mass[i, r] = float(heatmap[inside].sum()) / total
    return ShortcutCheck(tuple(r.name for r in REGIONS), mass, areas, fallbacks, empty)


def explain_split(loaded, images: np.ndarray, layer: str | None = None, batch: int = 32):
    """Grad-CAM of each image for the class the run predicts for it, at the image's size."""
    from pipeline.explain import DEFAULT_METHOD, make_explainer
    from pipeline.inference import predict_proba

    predicted = (predict_proba(loaded, images) >= loaded.threshold).astype(int)
    maps = np.zeros(images.shape, np.float32)
    for target in (0, 1):
        chosen = np.flatnonzero(predicted == target)
        explain = make_explainer(loaded, DEFAULT_METHOD, layer, target)
        for start in range(0, len(chosen), batch):
            part = chosen[start : start + batch]
            maps[part] = explain(images[part])
    return maps, predicted


# ---- a run over a split, cached on disk, and the command line ----

VERSION = "shortcuts-1"


@dataclass
class RunShortcuts:
    run_id: str
    framework: str
    source: str
    split: str
    layer: str
    check: ShortcutCheck
    predicted: np.ndarray  # (N,) the class each map explains
    origins: np.ndarray  # (N,) which image

    def to_json(self) -> dict:
        return {
            "run_id": self.run_id,
            "framework": self.framework,
            "source": self.source,
            "split": self.split,
            "layer": self.layer,
            **self.check.to_json(),
            "mass": np.nan_to_num(self.check.mass, nan=-1.0).round(4).tolist(),
            "areas": self.check.areas.round(4).tolist(),
            "predicted": self.predicted.tolist(),
            "origins": self.origins.tolist(),
        }

    @classmethod
    def from_json(cls, data: dict) -> RunShortcuts:
        mass = np.asarray(data["mass"], dtype=np.float64)
        mass[mass < 0] = np.nan
        check = ShortcutCheck(
            tuple(r["region"] for r in data["regions"]),
            mass,
            np.asarray(data["areas"], dtype=np.float64),
            data["lungs_not_found"],
            data["empty_maps"],
        )
        return cls(
            data["run_id"],
            data["framework"],
            data["source"],
            data["split"],
            data["layer"],
            check,
            np.asarray(data["predicted"], dtype=np.int64),
            np.asarray(data["origins"], dtype=str),
        )


def _cache_path(run_id: str, source: str, split: str):
    import hashlib
    import json

    from pipeline.data import open_source
    from pipeline.runs import Run
    from pipeline.settings import cache_root

    result = Run(run_id).result()
    weights = (result.weights_sha256 if result else None) or "none"
    key = json.dumps([run_id, weights, source, open_source(source).fingerprint(), split])
    name = f"{hashlib.sha256(key.encode()).hexdigest()[:20]}-{VERSION}.json"
    return cache_root() / "shortcuts" / name


def cached_check(run_id: str, source: str, split: str = "test") -> RunShortcuts | None:
    """The stored check, or None when there is none (or it is damaged: computed again)."""
    from pipeline.settings import read_cached_json

    return read_cached_json(_cache_path(run_id, source, split), RunShortcuts.from_json)


def check_run(run_id: str, source: str | None = None, split: str = "test", loaded=None):
    """The shortcut check of ``run_id`` on ``split`` (its own source by default), from the disk
    cache when it was computed before (and stored there after)."""
    import json

    from pipeline.data import load_split
    from pipeline.explain import default_layer
    from pipeline.inference import load_run_model
    from pipeline.runs import Run
    from pipeline.settings import write_cache_entry

    source = source or Run(run_id).config().source
    found = cached_check(run_id, source, split)
    if found is not None:
        return found
    loaded = loaded or load_run_model(run_id)
    arrays = load_split(source, split, loaded.img_size)
    layer = default_layer(loaded.img_size)
    maps, predicted = explain_split(loaded, arrays.images, layer)
    check = shortcut_check(maps, arrays.images)
    result = RunShortcuts(
        run_id, loaded.framework, source, split, layer, check, predicted, arrays.origins
    )
    write_cache_entry(_cache_path(run_id, source, split), json.dumps(result.to_json()).encode())
    return result


def main(argv: list[str] | None = None) -> int:
    """python -m pipeline.explain.shortcuts --run RUN_ID [--source S] [--split test] [--json]"""
    import argparse
    import json
    import sys

    parser = argparse.ArgumentParser(
        prog="python -m pipeline.explain.shortcuts",
        description="How much of a run's Grad-CAM mass lies on borders, corners, burned-in "
        "markers and above the lungs, over a split (no hand-drawn masks; see the module doc).",
    )
    parser.add_argument("--run", required=True)
    parser.add_argument("--source", help="default: the run's training source")
    parser.add_argument("--split", default="test", choices=("train", "val", "test"))
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    from pipeline.data import SourceError
    from pipeline.inference import ModelLoadError
    from pipeline.runs import RunError

    try:
        result = check_run(args.run, args.source, args.split)
    except (ModelLoadError, RunError, SourceError, ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    summary = {
        k: v
        for k, v in result.to_json().items()
        if k not in ("mass", "areas", "predicted", "origins")
    }
    summary["most_off_lung"] = [str(result.origins[i]) for i in result.check.most_off_lung()]
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(
        f"{result.framework} run {result.run_id}, {result.split} split of {result.source}, "
        f"Grad-CAM at {result.layer}, {summary['images']} images"
    )
    for row in summary["regions"]:
        print(
            f"  {row['region']:16s} mass {row['mean_mass']:.3f}  area {row['area']:.3f}  "
            f"({row['description']})"
        )
    print(f"  lungs not found (fallback box): {summary['lungs_not_found']}")
    print("  most off-lung first:", ", ".join(summary["most_off_lung"][:5]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
