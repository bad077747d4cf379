"""Command line for the augmentation studio.

    python -m pipeline.augment preview --preset talk --source synthetic --n 8 --seed 0 --out DIR
    python -m pipeline.augment preview --spec spec.json --source /data/chest_xray --n 4 --out DIR

Writes DIR/source.png, DIR/keras/000.png ... and DIR/torch/000.png ... (N augmented versions
of one training image, grayscale, same size) and DIR/params.json (spec, image and the drawn
parameters per sample and framework). With ``--preset none`` every PNG equals source.png.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from pipeline import cli

from .spec import PRESETS, AugmentSpec, SpecError

PREVIEW_SIZE = 224


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser("pipeline.augment", __doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    preview = commands.add_parser(
        "preview", help="augmented samples of one image from both frameworks"
    )
    chosen = preview.add_mutually_exclusive_group(required=True)
    chosen.add_argument("--preset", help=f"one of: {', '.join(PRESETS)}")
    chosen.add_argument("--spec", type=Path, help="a spec JSON file (as the page downloads it)")
    preview.add_argument(
        "--source", default="synthetic", help="data source string (default: synthetic)"
    )
    preview.add_argument("--index", type=int, default=0, help="which training image (default: 0)")
    preview.add_argument(
        "--size", type=int, default=PREVIEW_SIZE, help=f"pixels (default: {PREVIEW_SIZE})"
    )
    preview.add_argument(
        "--n", type=int, default=8, help="samples per framework, 1-16 (default: 8)"
    )
    preview.add_argument("--seed", type=int, default=0)
    preview.add_argument("--out", type=Path, required=True)
    args = cli.parse(parser, argv)
    try:
        spec = _spec(args)
        summary = write_preview(
            spec, args.source, args.index, args.size, args.n, args.seed, args.out
        )
    except (SpecError, ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(summary)
    return 0


def _spec(args) -> AugmentSpec:
    if args.preset is not None:
        return AugmentSpec.preset(args.preset)
    try:
        text = args.spec.read_bytes()
    except OSError as error:
        raise SpecError("spec", f"cannot read {args.spec}: {error.strerror or error}") from None
    return AugmentSpec.from_json(text)


def write_preview(
    spec: AugmentSpec, source: str, index: int, size: int, count: int, seed: int, out: Path
) -> str:
    from pipeline.data import load_split

    from .preview import make_preview, to_pixels
    from .stats import iter_chunks, precomputed_stats

    train = load_split(source, "train", size)
    if not 0 <= index < len(train):
        raise ValueError(
            f"--index {index} is out of range: the training split has {len(train)} images"
        )
    stats = (
        precomputed_stats(iter_chunks(train.images), spec.rescale)
        if spec.normalization == "per_dataset"
        else None
    )
    image = train.images[index]
    result = make_preview(spec, image, count, seed, stats, replay=False)

    out.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).save(out / "source.png")
    for framework, images in (("keras", result.keras), ("torch", result.torch)):
        folder = out / framework
        folder.mkdir(exist_ok=True)
        for old in folder.glob("*.png"):  # a smaller --n must not leave older samples behind
            old.unlink()
        for i, x in enumerate(images):
            Image.fromarray(to_pixels(x, spec, stats)).save(folder / f"{i:03d}.png")
    params = {
        "spec": spec.to_dict(),
        "spec_hash": spec.stable_hash(),
        "source": source,
        "image": {
            "index": index,
            "origin": str(train.origins[index]),
            "label": int(train.labels[index]),
            "size": size,
        },
        "seed": seed,
        "statistics": None
        if stats is None
        else {"mean": stats.mean, "std": stats.std, "images": stats.images},
        "samples": [
            {"index": i, "keras": k.to_dict(), "torch": t.to_dict()}
            for i, (k, t) in enumerate(zip(result.keras_draws, result.torch_draws))
        ],
    }
    (out / "params.json").write_text(json.dumps(params, indent=2) + "\n")
    ranges = {
        f: (float(np.min(x)), float(np.max(x)))
        for f, x in (("keras", result.keras), ("torch", result.torch))
    }
    return (
        f"wrote {count} samples per framework of {train.origins[index]} to {out} "
        f"(spec {spec.stable_hash()}; value range keras {ranges['keras'][0]:.3g}..{ranges['keras'][1]:.3g}, "
        f"torch {ranges['torch'][0]:.3g}..{ranges['torch'][1]:.3g})"
    )


if __name__ == "__main__":
    sys.exit(main())
