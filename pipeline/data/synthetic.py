"""Synthetic chest X-rays: the demo dataset, generated in seconds, with known lesions.

Each image is drawn from a few soft shapes in body coordinates (the middle of the chest at
(0, 0), the image edges near +-1): a dark background, the body's soft tissue, two dark lung
fields cut by domed diaphragms, the heart shadow over the patient's left lung (the viewer's
right, as on a real PA film), the spine, clavicles and curved rib bands, vessel texture and
noise, every edge soft. PNEUMONIA images carry 1-3 opacities - blurry, mottled, brighter
patches - inside the lung fields, and their boolean masks are kept so that saliency maps can
be checked against them. NORMAL images have empty masks.

Anatomy, pose, exposure and lesions vary per image, so that the classes differ only by the
opacities, and faint ones make the task learnable but not trivial. Some patients have two
images (near duplicates, as in the real data), and a patient never spans two splits.

Everything is vectorised with numpy over chunks of images: the whole default set (1,700
images at 128 x 128) takes about 1.5 CPU seconds and is cached as one ``.npz``, keyed by
``GENERATOR_VERSION`` and the parameters.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from pipeline.data.core import SPLITS, Decoded, Record, Scan, Skipped, Source
from pipeline.data.images import resize_square
from pipeline.settings import cache_entry_intact, cache_root, write_cache_entry

GENERATOR_VERSION = "synthetic-1"  # change whenever the pixels a given seed produces change
NATIVE_SIZE = 128
CHUNK = 50  # images drawn at once: enough to vectorise, few enough to stay in the CPU cache
MAX_OPACITIES = 3
OPACITY_COUNT_ODDS = (0.45, 0.35, 0.20)  # chance of 1, 2 or 3 opacities in a PNEUMONIA image
CANDIDATES = 24  # random tries to place each opacity where the lung field is clear


@dataclass(frozen=True)
class SyntheticParams:
    """Everything that decides the dataset; its hash names the cache file."""

    seed: int = 0
    train: int = 1200  # images per split
    val: int = 200
    test: int = 300
    pneumonia_fraction: float = 0.75  # the real data's mix: about 1 NORMAL to 3 PNEUMONIA
    paired_fraction: float = 0.2  # share of images whose patient has a second image

    def split_size(self, split: str) -> int:
        return getattr(self, split)

    def total(self) -> int:
        return sum(self.split_size(split) for split in SPLITS)

    def fingerprint(self) -> str:
        identity = json.dumps({"version": GENERATOR_VERSION, **asdict(self)}, sort_keys=True)
        return hashlib.sha256(identity.encode()).hexdigest()[:32]


@dataclass
class Generated:
    """The whole synthetic dataset, in split order (all train, then val, then test)."""

    images: np.ndarray  # (N, 128, 128) uint8
    masks: np.ndarray  # (N, 128, 128) bool, opacity pixels; all False for NORMAL
    lungs: np.ndarray  # (N, 128, 128) bool, the visible lung fields (every mask lies inside)
    labels: np.ndarray  # (N,) int64
    splits: np.ndarray  # (N,) str
    patients: np.ndarray  # (N,) str


# ---------------------------------------------------------------- the source


class SyntheticSource(Source):
    """The generated demo dataset, opened as ``"synthetic"``."""

    kind = "synthetic"

    def __init__(self, spec: str = "synthetic", params: SyntheticParams | None = None):
        super().__init__(spec)
        self.params = params or SyntheticParams()
        self._data: Generated | None = None

    def describe(self) -> str:
        return (
            f"Synthetic chest X-rays: {self.params.total():,} generated {NATIVE_SIZE} px images, "
            f"about 1:3 NORMAL:PNEUMONIA, seed {self.params.seed}"
        )

    def cache_path(self) -> Path:
        return cache_root() / "synthetic" / f"{self.params.fingerprint()}.npz"

    def fingerprint(self) -> str:
        """The generator's version and parameters: known without generating anything."""
        return self.params.fingerprint()

    def scan(self) -> Scan:
        data = self._load()
        records = []
        position_in_split = dict.fromkeys(SPLITS, 0)
        for label, split, patient in zip(data.labels, data.splits, data.patients):
            origin = f"synthetic#{split}/{position_in_split[split]}"
            position_in_split[split] += 1
            records.append(Record(origin, int(label), str(patient), str(split)))
        return Scan(
            source=self.spec,
            kind=self.kind,
            records=records,
            skipped=[],
            fingerprint=self.params.fingerprint(),
            patients_known=True,
            notes=[
                f"Generated, not real X-rays ({GENERATOR_VERSION}, seed {self.params.seed}): "
                "PNEUMONIA images carry 1-3 synthetic opacities whose masks are known.",
            ],
        )

    def decode(self, records: list[Record], size: int) -> Decoded:
        data = self._load()
        index_of = _index_by_origin(data.splits)
        images, masks, kept, failed = [], [], [], []
        for position, record in enumerate(records):
            index = index_of.get(record.origin)
            if index is None:
                failed.append(Skipped(record.origin, "not an image of the synthetic dataset"))
                continue
            images.append(_resize_image(data.images[index], size))
            masks.append(_resize_mask(data.masks[index], size))
            kept.append(position)
        empty = (0, size, size)
        return Decoded(
            images=np.stack(images) if images else np.zeros(empty, np.uint8),
            kept=kept,
            failed=failed,
            original_sizes=np.full((len(kept), 2), NATIVE_SIZE, dtype=np.int64),
            masks=np.stack(masks) if masks else np.zeros(empty, bool),
        )

    def _load(self) -> Generated:
        """The dataset from the cache, generated and cached on first use."""
        if self._data is None:
            path = self.cache_path()
            self._data = _read_cache(path) if cache_entry_intact(path) else None
            if self._data is None:
                self._data = generate(self.params)
                _write_cache(path, self._data)
        return self._data


def _index_by_origin(splits: np.ndarray) -> dict[str, int]:
    index_of, position_in_split = {}, dict.fromkeys(SPLITS, 0)
    for index, split in enumerate(splits):
        index_of[f"synthetic#{split}/{position_in_split[split]}"] = index
        position_in_split[split] += 1
    return index_of


def _resize_image(pixels: np.ndarray, size: int) -> np.ndarray:
    if size == NATIVE_SIZE:
        return pixels.copy()
    return resize_square(pixels, size)


def _resize_mask(mask: np.ndarray, size: int) -> np.ndarray:
    """The mask resized like its image, then thresholded at half: a lesion keeps its area and
    place at any size, where nearest-neighbour sampling could drop or jag small ones."""
    if size == NATIVE_SIZE:
        return mask.copy()
    return resize_square(mask.astype(np.float32), size) > 0.5  # mode "F"


BIT_PLANES = ("masks", "lungs")  # stored with np.packbits: 8x smaller, and far faster than zlib


def _read_cache(path: Path) -> Generated | None:
    """The cached dataset, or None if the file is damaged (it is then regenerated)."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {f.name: npz[f.name] for f in fields(Generated)}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    for name in BIT_PLANES:
        arrays[name] = np.unpackbits(arrays[name], axis=-1, count=NATIVE_SIZE).astype(bool)
    return Generated(**arrays)


def _write_cache(path: Path, data: Generated) -> None:
    arrays = asdict(data)
    for name in BIT_PLANES:
        arrays[name] = np.packbits(arrays[name], axis=-1)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # the images are noise-rich: zlib would spend a second to save 10%
    write_cache_entry(
        path, buffer.getvalue()
    )  # a full or read-only cache warns; the data stays in hand


# ---------------------------------------------------------------- the layout: who is where


def generate(params: SyntheticParams = SyntheticParams()) -> Generated:
    """Draw the whole dataset; the same ``params`` always give the same arrays."""
    # The matrix products here are small: on a busy 2-core machine, BLAS threads waiting on
    # each other made generation slower than one thread (docs/architecture.md).
    with threadpool_limits(limits=1, user_api="blas"):
        return _generate(params)


def _generate(params: SyntheticParams) -> Generated:
    rng = np.random.default_rng(params.seed)
    labels, splits, patient_of_image, n_patients = _layout(params, rng)
    patient_traits = _draw_patients(_labels_of_patients(labels, patient_of_image, n_patients), rng)
    images, masks, lungs = [], [], []
    for start in range(0, len(labels), CHUNK):
        chunk = patient_of_image[start : start + CHUNK]
        pose = _draw_pose(len(chunk), rng)
        traits = {name: values[chunk] for name, values in patient_traits.items()}
        chunk_images, chunk_masks, chunk_lungs = _render(traits, pose, rng)
        images.append(chunk_images)
        masks.append(chunk_masks)
        lungs.append(chunk_lungs)
    width = max(4, len(str(n_patients)))
    return Generated(
        images=np.concatenate(images),
        masks=np.concatenate(masks),
        lungs=np.concatenate(lungs),
        labels=labels,
        splits=splits,
        patients=np.array([f"syn-{p + 1:0{width}d}" for p in patient_of_image]),
    )


def _layout(params: SyntheticParams, rng: np.random.Generator):
    """Labels, splits and patients of every image, patients numbered in order of appearance.

    Per split and class, ``paired_fraction`` of the images come as pairs of one patient; the
    patients of a split are shuffled, so classes are mixed, and a pair's images stay adjacent.
    """
    labels, splits, patients = [], [], []
    next_patient = 0
    for split in SPLITS:
        total = params.split_size(split)
        n_pneumonia = round(total * params.pneumonia_fraction)
        groups = []  # (label, number of images) per patient
        for label, count in ((0, total - n_pneumonia), (1, n_pneumonia)):
            pairs = round(count * params.paired_fraction / 2)
            groups += [(label, 2)] * pairs + [(label, 1)] * (count - 2 * pairs)
        for group in rng.permutation(len(groups)):
            label, count = groups[group]
            labels += [label] * count
            splits += [split] * count
            patients += [next_patient] * count
            next_patient += 1
    return np.array(labels, np.int64), np.array(splits), np.array(patients), next_patient


def _labels_of_patients(
    labels: np.ndarray, patient_of_image: np.ndarray, n_patients: int
) -> np.ndarray:
    out = np.zeros(n_patients, np.int64)
    out[patient_of_image] = labels
    return out


# ---------------------------------------------------------------- random traits


def _draw_patients(labels: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """What belongs to a patient (shared by both images of a pair): anatomy and lesions.

    Lengths are in body coordinates: the chest's middle at (0, 0), the image edges near +-1,
    ``u`` across (the viewer's right positive), ``v`` down.
    """
    n = len(labels)
    u = rng.uniform
    traits = {
        "body_width": u(0.86, 0.98, n),
        "tissue": u(0.50, 0.62, n),
        "lung_x": u(0.36, 0.42, n),
        "lung_y": u(-0.10, 0.0, n),
        "lung_w": u(0.24, 0.30, n),
        "lung_h": u(0.64, 0.76, n),
        "lung_taper": u(0.15, 0.35, n),
        "lung_dark": u(0.30, 0.40, n),
        "dome_right": u(0.38, 0.50, n),
        "dome_left": u(0.44, 0.56, n),
        "dome_curve": u(0.06, 0.10, n),
        "heart_x": u(0.08, 0.16, n),
        "heart_y": u(0.22, 0.32, n),
        "heart_w": u(0.24, 0.32, n),
        "heart_h": u(0.19, 0.25, n),
        "heart_tilt": u(-0.6, -0.3, n),
        "spine_w": u(0.055, 0.075, n),
        "spine_bright": u(0.10, 0.16, n),
        "rib_period": u(0.11, 0.14, n),
        "rib_phase": u(0.0, 1.0, n),
        "rib_curve": u(0.7, 1.0, n),
        "rib_bright": u(0.06, 0.10, n),
        "clavicle_y": u(-0.72, -0.62, n),
    }
    drawn = rng.choice(np.arange(1, MAX_OPACITIES + 1), n, p=OPACITY_COUNT_ODDS)
    count = np.where(labels == 1, drawn, 0)
    traits["opacity_on"] = np.arange(MAX_OPACITIES)[None, :] < count[:, None]  # (n, 3)
    traits["opacity_u"], traits["opacity_v"] = _place_in_lungs(traits, (n, MAX_OPACITIES), rng)
    traits["opacity_su"] = u(0.09, 0.19, (n, MAX_OPACITIES))
    traits["opacity_sv"] = traits["opacity_su"] * u(0.7, 1.4, (n, MAX_OPACITIES))
    # Strength as a share of the lung's darkness: 0.5 is faint, 1 obvious.
    traits["opacity_strength"] = u(0.5, 1.0, (n, MAX_OPACITIES))
    return traits


def _place_in_lungs(
    traits: dict[str, np.ndarray], shape: tuple[int, int], rng: np.random.Generator
):
    """Opacity centres where the lung field is clear (not behind the heart or the diaphragm).

    Tries ``CANDIDATES`` random points per opacity within the lungs' bounding boxes and keeps
    the first clear one. The last candidate is the middle of the upper right lung, always clear,
    so every opacity lands in a lung and every PNEUMONIA image gets a non-empty mask.
    """
    n, k = shape
    t = _shorthand(traits)
    side = rng.choice(np.array([-1.0, 1.0], np.float32), (n, k, CANDIDATES))
    side[..., -1] = -1.0
    across = rng.uniform(-0.75, 0.75, (n, k, CANDIDATES)).astype(np.float32)
    down = rng.uniform(-0.75, 0.6, (n, k, CANDIDATES)).astype(np.float32)
    across[..., -1], down[..., -1] = 0.0, -0.3
    centre_u = side * t("lung_x") + across * t("lung_w")
    centre_v = t("lung_y") + down * t("lung_h")
    clear = _lungs_and_heart(traits, centre_u, centre_v)[0] > 0.9
    first_clear = np.argmax(clear, axis=-1)[..., None]
    return (
        np.take_along_axis(centre_u, first_clear, -1)[..., 0],
        np.take_along_axis(centre_v, first_clear, -1)[..., 0],
    )


def _draw_pose(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """What differs between two images of one patient: placement, exposure, noise."""
    u = rng.uniform
    return {
        "shift_x": u(-0.06, 0.06, n),
        "shift_y": u(-0.05, 0.07, n),
        "scale_x": u(0.94, 1.08, n),
        "scale_y": u(0.94, 1.08, n),
        "background": u(0.02, 0.10, n),
        "gamma": u(0.8, 1.25, n),
        "contrast": u(0.85, 1.15, n),
        "brightness": u(-0.06, 0.06, n),
        "noise": u(0.01, 0.03, n),
        "vessels": u(0.025, 0.05, n),
    }


# ---------------------------------------------------------------- drawing
#
# Shapes are written for broadcasting: on the pixel grid ``u`` is (n, 1, W) and ``v`` is
# (n, H, 1), so whatever depends on one axis only costs a row, not a whole image; on
# candidate points both are (n, k, CANDIDATES). Traits broadcast as (n, 1, 1).


def _soft_inside(distance: np.ndarray, edge: float) -> np.ndarray:
    """1 inside a shape (distance < -edge/2), 0 outside (> edge/2), a linear ramp between.

    A ramp instead of a sigmoid: half the cost, and as soft once a few pixels wide.
    """
    return np.clip(0.5 - distance / edge, 0.0, 1.0)


def _lungs_and_heart(traits: dict[str, np.ndarray], u: np.ndarray, v: np.ndarray):
    """The lung field (how much air each point sees: 1 in a clear lung, 0 outside, less
    behind the heart) and the heart shadow."""
    t = _shorthand(traits)
    # Each half of the chest holds one lung: evaluating the nearer one's shape everywhere draws
    # both at the cost of one (and keeps everything that depends on u alone a single row).
    side = np.where(u < 0, -1.0, 1.0).astype(np.float32)
    across = (u - side * t("lung_x")) / t("lung_w")
    down = (v - t("lung_y")) / t("lung_h")
    tapered = across / (1.0 + t("lung_taper") * down)  # a narrow apex, a wide base
    ellipse = np.square(tapered) + np.square(down)
    # The diaphragm: a dome, highest mid-lung, lowest at the lateral costophrenic angle; the
    # patient's right half (the viewer's left) sits higher, over the liver.
    dome_top = np.where(u < 0, t("dome_right"), t("dome_left"))
    dome_v = dome_top - t("dome_curve") * (1.0 - np.square(across))
    lungs = _soft_inside(ellipse - 1.0, 0.25) * _soft_inside(v - dome_v, 0.04)
    heart = _heart(traits, u, v)
    return lungs * (1.0 - 0.85 * heart), heart


def _heart(traits: dict[str, np.ndarray], u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The heart shadow: a tilted ellipse over the patient's left lung (the viewer's right)."""
    t = _shorthand(traits)
    du, dv = u - t("heart_x"), v - t("heart_y")
    cos, sin = np.cos(t("heart_tilt")), np.sin(t("heart_tilt"))
    w, h = t("heart_w"), t("heart_h")
    along, across = du * (cos / w) - dv * (sin / w), du * (sin / h) + dv * (cos / h)
    return _soft_inside(np.square(along) + np.square(across) - 1.0, 0.6)


def _shorthand(traits: dict[str, np.ndarray]):
    """``t("name")``: one trait per image, shaped (n, 1, 1) to broadcast over pixels or points."""
    return lambda name: traits[name].reshape(-1, 1, 1).astype(np.float32)


def _render(traits: dict[str, np.ndarray], pose: dict[str, np.ndarray], rng: np.random.Generator):
    """Images, opacity masks and lung masks of one chunk, all (n, 128, 128)."""
    n, size = len(pose["scale_x"]), NATIVE_SIZE
    t, p = _shorthand(traits), _shorthand(pose)

    # Pixel grid -> body coordinates: the pose shifts and scales the patient.
    grid = np.linspace(-1.0, 1.0, size, dtype=np.float32)
    u = (grid[None, None, :] - p("shift_x")) / p("scale_x")
    v = (grid[None, :, None] - p("shift_y")) / p("scale_y")

    waist = (1.0 - 0.06 * v) ** -4  # broad shoulders, a narrower waist
    trunk = _soft_inside((u / t("body_width")) ** 4 * waist + ((v - 0.3) / 1.2) ** 4 - 1.0, 0.12)
    neck = _soft_inside(np.abs(u) - 0.25, 0.1) * _soft_inside(v + 0.6, 0.2)
    body = np.maximum(trunk, neck)
    thinner_at_sides = 0.8 + 0.2 * np.clip(1.0 - (u / t("body_width")) ** 2, 0.0, 1.0)
    lungs, heart = _lungs_and_heart(traits, u, v)

    vertebrae = 0.75 + 0.25 * np.cos(np.pi * v / 0.11) ** 2
    spine = _soft_inside(np.abs(u) - t("spine_w"), 0.03) * vertebrae * (1.0 - 0.5 * heart) * body

    # Posterior ribs: arcs rising from the spine, then bending down towards the body's sides.
    beside_spine = _soft_inside(np.abs(u) - 0.78, 0.05) * _soft_inside(0.12 - np.abs(u), 0.05)
    arc = (v - t("rib_curve") * (np.abs(u) - 0.22) ** 2) / t("rib_period") + t("rib_phase")
    ribs = np.square(np.clip(np.cos(2 * np.pi * arc), 0.0, 1.0))  # bands a third of a period wide
    ribs = ribs * (beside_spine * _soft_inside(v - 0.45, 0.1))
    ribs = ribs * (0.4 + lungs)  # bone shows best against air

    clavicle_v = (
        t("clavicle_y") - 0.25 * np.abs(u) + 0.2 * np.abs(u) ** 2
    )  # rising to the shoulders
    beside_sternum = _soft_inside(np.abs(np.abs(u) - 0.38) - 0.3, 0.06)  # 0.08 < |u| < 0.68
    clavicles = _soft_inside(np.abs(v - clavicle_v) - 0.03, 0.03) * beside_sternum

    hila = 1.0 - 0.5 * np.clip(np.abs(u), 0.0, 1.0)  # vessel markings are densest near the hila
    vessels = _smooth_noise(n, 32, rng) * hila

    in_lungs = lungs > 0.5
    opacities, masks = _opacities(traits, u, v, rng)
    image = (
        body * t("tissue") * thinner_at_sides
        + lungs
        * t("lung_dark")
        * (opacities - 1.0)  # air darkens; an opacity fills some of it back
        + lungs * p("vessels") * vessels
        + spine * t("spine_bright")
        + ribs * t("rib_bright")
        + clavicles * 0.12
    )
    return _expose(image, pose, rng), masks & in_lungs, in_lungs


def _opacities(traits, u, v, rng):
    """Blurry, mottled patches (0-1, the share of the lung's air they fill) and their masks.

    Each opacity is a Gaussian, separable into a row and a column factor; its mask is where it
    reaches 40% of its peak. Both count only inside the lungs: the caller multiplies and cuts.
    """
    n = u.shape[0]
    strongest = np.zeros((n, NATIVE_SIZE, NATIVE_SIZE), np.float32)
    masks = np.zeros((n, NATIVE_SIZE, NATIVE_SIZE), bool)
    for k in range(MAX_OPACITIES):
        on = traits["opacity_on"][:, k]
        if not on.any():
            continue
        o = _shorthand({name: traits[name][:, k] for name in traits if name.startswith("opacity")})
        blob = (
            np.exp(-0.5 * ((u - o("opacity_u")) / o("opacity_su")) ** 2)
            * o("opacity_on")
            * np.exp(-0.5 * ((v - o("opacity_v")) / o("opacity_sv")) ** 2)
        )
        strongest = np.maximum(strongest, blob * o("opacity_strength"))
        masks |= blob > 0.4
    mottled = 0.75 + 0.25 * np.tanh(_smooth_noise(n, 24, rng))
    return strongest * mottled, masks


def _expose(image: np.ndarray, pose: dict[str, np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """From attenuation to a film: background, noise, exposure, 8 bits.

    No blur pass: every shape is drawn with soft edges already.
    """
    p = _shorthand(pose)
    image = p("background") + (1.0 - p("background")) * np.clip(image, 0.0, 1.0)
    # Uniform noise with a Gaussian's spread: alike once in 8 bits, and 3x cheaper to draw.
    uniform = rng.random(image.shape, np.float32) - 0.5
    image = image + p("noise") * np.sqrt(12.0, dtype=np.float32) * uniform
    image = np.clip(image, 0.0, 1.0) ** p("gamma")
    image = (image - 0.5) * p("contrast") + 0.5 + p("brightness")
    return np.clip(image * 255.0 + 0.5, 0, 255).astype(np.uint8)


def _smooth_noise(n: int, cells: int, rng: np.random.Generator) -> np.ndarray:
    """Smooth random texture, unit variance at every pixel, features about 128/cells px wide.

    Drawn on a coarse ``cells`` x ``cells`` grid and interpolated up with a Gaussian, one axis
    at a time, each a single large matrix product: far cheaper than blurring full-size noise.
    """
    coarse = rng.standard_normal((n * cells, cells), dtype=np.float32)
    fine_at = (np.arange(NATIVE_SIZE, dtype=np.float32) + 0.5) * (cells / NATIVE_SIZE) - 0.5
    distance = fine_at[:, None] - np.arange(cells, dtype=np.float32)[None, :]
    up = np.where(np.abs(distance) < 3.0, np.exp(-0.5 * (distance / 0.8) ** 2), 0.0).astype(
        np.float32
    )
    # Rows of unit norm: a weighted sum of unit normals then has unit variance, on both axes.
    up /= np.sqrt(np.square(up).sum(axis=1, keepdims=True))
    across = (coarse @ up.T).reshape(n, cells, NATIVE_SIZE)
    # The second product leaves the image transposed: harmless for a texture without direction.
    return (across.transpose(0, 2, 1).reshape(-1, cells) @ up.T).reshape(
        n, NATIVE_SIZE, NATIVE_SIZE
    )
