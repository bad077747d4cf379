"""Is ``personN`` one child, or is the child ``(personN, kind)``? The evidence, from the images.

    python -m benchmarks.patient_key [--data ../shared/data/chest_xray] [--size 64] [--pairs 20000]

Reads ``train/PNEUMONIA/personN_{bacteria,virus}_K*.jpeg`` of the Kermany data set and prints:

- the numbering: how many ``personN`` ids carry both kinds, whether the image numbers ``K`` are
  one sequence or one per kind, and how many ``personN`` ids carry both kinds per block of 100
  numbers against what two independent numberings would give by chance;
- image similarity for four kinds of pairs: two images of one ``(personN, kind)``, a bacteria
  image and a virus image of one ``personN``, and random pairs of different ``personN`` ids
  (bacteria with virus, and any with any). Similarity is the Pearson correlation of the
  ``size`` px grayscale images, the same after removing the mean image (the anatomy every chest
  X-ray shares), and the Hamming distance of their 64-bit difference hashes (dHash); quantiles
  per kind of pair, and the chance that a pair is more alike than a random one (an AUC);
- nearest neighbours: for an image of a group, how often the most similar image of the other
  images of the same kind is one of its own ``(personN, kind)``, and for a virus image of a
  ``personN`` with both kinds, how often the most similar bacteria image is one of that
  ``personN``'s; and what chance alone would give.

If ``personN`` were one child, its bacteria and virus images would be as alike as two images of
one group. docs/patients.md has the figures and what they decide. Takes under 10 s on two cores
(decoding 3,875 JPEGs of 224 px, two 3,875 x 3,875 correlation matrices).
"""

from __future__ import annotations

import argparse
import re
from collections import defaultdict
from itertools import combinations
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "chest_xray"
NAME = re.compile(r"^person(\d+)_(bacteria|virus)_(\d+)", re.IGNORECASE)
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
CONTROL = "different personN, bacteria vs virus"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the chest_xray folder")
    parser.add_argument("--size", type=int, default=64, help="side of the compared images, px")
    parser.add_argument("--pairs", type=int, default=20000, help="random pairs per random kind")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    files = sorted((args.data / "train" / "PNEUMONIA").glob("person*"))
    names = [(path, NAME.match(path.name)) for path in files]
    names = [(path, m) for path, m in names if m]
    person = np.array([int(m.group(1)) for _, m in names])
    kind = np.array([m.group(2).lower() for _, m in names])
    number = np.array([int(m.group(3)) for _, m in names])
    numbering(person, kind, number)

    print(f"\ndecoding {len(names):,} images at {args.size} px ...", flush=True)
    pixels = np.stack([_gray(path, args.size) for path, _ in names])
    hashes = np.stack([_dhash(path) for path, _ in names])
    unit = pixels - pixels.mean(axis=1, keepdims=True)
    unit /= np.linalg.norm(unit, axis=1, keepdims=True)

    groups = defaultdict(list)
    for i, key in enumerate(zip(person, kind)):
        groups[key].append(i)
    rng = np.random.default_rng(args.seed)
    pairs = {
        "same (personN, kind)": [p for idx in groups.values() for p in combinations(idx, 2)],
        "same personN, other kind": [
            (b, v)
            for n in sorted({n for n, _ in groups})
            for b in groups.get((n, "bacteria"), [])
            for v in groups.get((n, "virus"), [])
        ],
        CONTROL: _random_pairs(
            rng, person, np.flatnonzero(kind == "bacteria"), np.flatnonzero(kind == "virus"), args
        ),
        "different personN, any kinds": _random_pairs(
            rng, person, np.arange(len(person)), np.arange(len(person)), args
        ),
    }
    residual = unit - unit.mean(axis=0)  # the anatomy every chest X-ray shares, taken out
    residual /= np.linalg.norm(residual, axis=1, keepdims=True)
    measures = {  # the similarity of pairs (a, b), higher = more alike
        f"correlation of the {args.size} px images": lambda a, b: np.sum(unit[a] * unit[b], 1),
        "correlation after removing the mean image": lambda a, b: np.sum(
            residual[a] * residual[b], 1
        ),
        "dHash Hamming distance (of 64 bits; lower = more alike)": lambda a, b: (
            -np.count_nonzero(hashes[a] != hashes[b], axis=1)
        ),
    }
    quantiles = "".join(f"{f'q{int(q * 100):02d}':>7s}" for q in QUANTILES)
    print(
        "\nsimilarity of pairs: quantiles, and 'alike', the chance that a pair of the row is more "
        f"alike than a pair of '{CONTROL}' (0.5: no more alike)"
    )
    for measure, compute in measures.items():
        sign = -1 if measure.startswith("dHash") else 1
        control = compute(*np.array(pairs[CONTROL]).T)
        print(f"\n{measure}")
        print(f"  {'pairs':38s}{'count':>8s}{quantiles}  alike")
        for label, chosen in pairs.items():
            similarity = compute(*np.array(chosen).T)
            values = "".join(f"{v:7.2f}" for v in np.quantile(sign * similarity, QUANTILES))
            alike = _more_alike(similarity, control)
            print(f"  {label:38s}{len(chosen):8,d}{values}  {alike:5.3f}")

    print("\nnearest neighbour by correlation after removing the mean image")
    nearest(residual @ residual.T, person, kind, groups)
    return 0


def numbering(person: np.ndarray, kind: np.ndarray, number: np.ndarray) -> None:
    """What the file names alone say: per-kind sequences, and co-occurrence against chance."""
    by_kind = {k: set(person[kind == k].tolist()) for k in ("bacteria", "virus")}
    both = by_kind["bacteria"] & by_kind["virus"]
    print(f"{len(set(person.tolist())):,} personN ids, {len(both):,} of them carry both kinds")
    for k in ("bacteria", "virus"):
        mask = kind == k
        order = np.lexsort((number[mask], person[mask]))
        steps = np.diff(number[mask][order])
        print(
            f"{k:8s}: {mask.sum():,} images, {len(by_kind[k]):,} personN ids "
            f"(N {person[mask].min()}-{person[mask].max()}), K {number[mask].min()}-"
            f"{number[mask].max()}; sorted by (N, K), K goes down {int(np.sum(steps < 0))} times"
        )
    shared = set(number[kind == "bacteria"].tolist()) & set(number[kind == "virus"].tolist())
    print(f"K values used by both kinds: {len(shared):,} (one shared image counter would give 0)")
    print("personN ids with both kinds per block of 100 N, against two independent numberings:")
    observed = expected = 0
    for low in range(0, int(person.max()) + 1, 100):
        block = set(range(low, low + 100))
        b, v = len(by_kind["bacteria"] & block), len(by_kind["virus"] & block)
        seen, chance = len(both & block), b * v / 100
        observed, expected = observed + seen, expected + chance
        print(
            f"  N {low:4d}-{low + 99:4d}: bacteria {b:3d}, virus {v:3d}, "
            f"both {seen:3d}, chance {chance:5.1f}"
        )
    print(f"  total: both {observed:,}, chance {expected:,.0f}")


def nearest(corr: np.ndarray, person, kind, groups) -> None:
    """How often an image's most similar image is one its file name pairs it with."""
    print("(chance: the share of the pool that the paired images make)")
    for k in ("bacteria", "virus"):
        pool = np.flatnonzero(kind == k)
        hits, chance, total = 0, 0.0, 0
        for (_, group_kind), members in groups.items():
            if group_kind != k or len(members) < 2:
                continue
            for i in members:
                others = pool[pool != i]
                best = others[np.argmax(corr[i, others])]
                hits += best in members
                chance += (len(members) - 1) / len(others)
                total += 1
        print(
            f"  {k} image -> nearest other {k} image is of its own (personN, kind): "
            f"{hits:,} of {total:,} ({hits / total:.1%}; chance {chance / total:.1%})"
        )
    bacteria = np.flatnonzero(kind == "bacteria")
    hits, chance, total = 0, 0.0, 0
    for (n, group_kind), members in groups.items():
        partner = groups.get((n, "bacteria"), [])
        if group_kind != "virus" or not partner:
            continue
        for i in members:
            best = bacteria[np.argmax(corr[i, bacteria])]
            hits += best in partner
            chance += len(partner) / len(bacteria)
            total += 1
    print(
        f"  virus image -> nearest bacteria image is of the same personN: "
        f"{hits:,} of {total:,} ({hits / total:.1%}; chance {chance / total:.1%})"
    )


def _more_alike(values: np.ndarray, control: np.ndarray) -> float:
    """P(a pair of ``values`` is more alike than one of ``control``), ties counting half (AUC)."""
    ordered = np.sort(control)
    below = np.searchsorted(ordered, values, side="left")
    ties = np.searchsorted(ordered, values, side="right") - below
    return float(np.mean((below + ties / 2) / len(ordered)))


def _random_pairs(rng, person, left, right, args) -> list[tuple[int, int]]:
    a, b = rng.choice(left, args.pairs * 2), rng.choice(right, args.pairs * 2)
    keep = (person[a] != person[b]) & (a != b)
    return list(zip(a[keep][: args.pairs].tolist(), b[keep][: args.pairs].tolist()))


def _gray(path: Path, size: int) -> np.ndarray:
    with Image.open(path) as image:
        small = image.convert("L").resize((size, size), Image.Resampling.BILINEAR)
    return np.asarray(small, dtype=np.float32).ravel()


def _dhash(path: Path) -> np.ndarray:
    """64-bit difference hash: is each pixel of a 9 x 8 thumbnail brighter than its right one."""
    with Image.open(path) as image:
        small = np.asarray(image.convert("L").resize((9, 8), Image.Resampling.LANCZOS), np.int16)
    return (small[:, :-1] > small[:, 1:]).ravel()


if __name__ == "__main__":
    raise SystemExit(main())
