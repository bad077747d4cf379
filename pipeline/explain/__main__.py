"""Explain one image with a run's model: write the heatmap overlay, print the probability.

    python -m pipeline.explain --run RUN_ID --image chest.png --out overlay.png
    python -m pipeline.explain --run RUN_ID --image chest.jpeg --out o.png --method gradcam++ --layer conv4

The image is converted exactly as training images are (grayscale, the run's size), with the
upload rules of the dashboard (10 MB at most; the conversions made are listed under "notes").
Exit status: 0 written, 2 a bad image, run or option (with a message saying which).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from pipeline import cli
from pipeline.explain import CONV_LAYERS, DEFAULT_METHOD, MIN_MAP_SIDE, PNEUMONIA
from pipeline.explain.overlay import overlay, png_bytes
from pipeline.settings import atomic_write_bytes

DISPLAY_SIZE = 384  # small training sizes are enlarged so the overlay can be read
CLASSES = {"PNEUMONIA": PNEUMONIA, "NORMAL": 1 - PNEUMONIA}


def main(argv: list[str] | None = None) -> int:
    args = cli.parse(_parser(), argv)
    try:
        result = explain_file(args)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result.to_dict()))
    else:
        print(
            f"P(PNEUMONIA) = {result.probability:.4f}: {result.label} at threshold "
            f"{result.threshold:.3f} ({result.framework} run {result.run_id}); "
            f"{result.method} ({result.layer}) overlay written to {result.out}"
        )
        for note in result.notes:
            print(f"note: {note}")
    return 0


class UserError(Exception):
    """Bad input from the command line; the message says what to change."""


@dataclass(frozen=True)
class Explanation:
    """What ``explain_file`` did: the prediction, the map it drew, and where it wrote it."""

    run_id: str
    framework: str
    probability: float
    threshold: float
    label: str  # PNEUMONIA at or above the threshold, else NORMAL
    method: str
    layer: str
    target: str  # the class the map explains
    image: str  # printable
    notes: list[str]  # the conversions the upload rules made
    out: str  # printable

    def to_dict(self) -> dict:
        """As ``--json`` prints it."""
        return dataclasses.asdict(self)


def explain_file(args: argparse.Namespace) -> Explanation:
    from pipeline.data.images import ImageError, printable_name, read_upload
    from pipeline.explain import make_explainer, methods
    from pipeline.inference import ModelLoadError, load_run_model, predict_proba
    from pipeline.runs import RunError

    image_name = printable_name(
        args.image, limit=400
    )  # argv may hold any bytes; output stays printable
    try:
        data = Path(args.image).read_bytes()
    except OSError as error:
        raise UserError(f"cannot read {image_name}: {error.strerror or error}") from None
    try:
        loaded = load_run_model(args.run)
    except (RunError, ModelLoadError) as error:
        raise UserError(str(error)) from None
    offered = methods(loaded.framework)
    if args.method not in offered:
        raise UserError(
            f"{loaded.framework} runs offer --method {', '.join(offered)}; got '{args.method}'"
        )
    try:
        converted = read_upload(data, loaded.img_size)
    except ImageError as error:
        raise UserError(f"{image_name}: {error}") from None
    pixels = converted.pixels

    probability = float(predict_proba(loaded, pixels[None])[0])
    explainer = make_explainer(loaded, args.method, args.layer, CLASSES[args.target])
    heatmap = explainer(pixels)
    picture = overlay(pixels, heatmap, args.opacity, size=max(DISPLAY_SIZE, loaded.img_size))
    try:
        atomic_write_bytes(Path(args.out), png_bytes(picture))
    except OSError as error:
        raise UserError(
            f"cannot write {printable_name(args.out, limit=400)}: {error.strerror or error}"
        ) from None
    return Explanation(
        run_id=loaded.run_id,
        framework=loaded.framework,
        probability=probability,
        threshold=loaded.threshold,
        label="PNEUMONIA" if probability >= loaded.threshold else "NORMAL",
        method=args.method,
        layer=explainer.layer,
        target=args.target,
        image=image_name,
        notes=list(converted.notes),
        out=printable_name(args.out, limit=400),
    )


def _opacity(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"opacity must lie between 0 and 1, got {text}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = cli.parser("pipeline.explain", __doc__)
    parser.add_argument("--run", required=True, help="run id (see `python -m pipeline.runs list`)")
    parser.add_argument("--image", required=True, help="PNG or JPEG chest X-ray")
    parser.add_argument("--out", required=True, help="where to write the overlay (PNG)")
    parser.add_argument(
        "--method",
        default=DEFAULT_METHOD,
        help="gradcam (default), gradcam++; torch runs also hirescam, xgradcam, "
        "layercam, eigencam, scorecam",
    )
    parser.add_argument(
        "--layer",
        choices=CONV_LAYERS,
        help=f"target layer (default: the last one whose map has at least {MIN_MAP_SIDE} x "
        f"{MIN_MAP_SIDE} cells: conv5 from 96 px, conv4 from 48 px)",
    )
    parser.add_argument(
        "--target",
        default="PNEUMONIA",
        choices=tuple(CLASSES),
        help="the class whose evidence the map shows (default: %(default)s)",
    )
    parser.add_argument(
        "--opacity", type=_opacity, default=0.5, help="heatmap opacity, 0-1 (default 0.5)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


if __name__ == "__main__":
    sys.exit(main())
