"""Score chest X-rays with an exported PneumoLab run: only its framework, NumPy and Pillow needed.

    python predict.py image.png [more.png ...]        # the folder the zip unpacked to
    python predict.py --json image.png                 # one JSON object per image

Not a medical device: for teaching only, never for diagnosis (see MODEL_CARD.md).
The preprocessing (size, rescale, normalisation), class names and threshold come from
preprocessing.json, as training recorded them; nothing else is needed.
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent


def preprocess(path, prep):
    """One image file -> (S, S) float32, as the run's validation images were fed."""
    size = prep["img_size"]
    image = Image.open(path).convert("L").resize((size, size), Image.Resampling.BILINEAR)
    x = np.asarray(image).astype(np.float32) * np.float32(prep["rescale"])
    if prep["normalization"] == "per_sample":
        x = (x - x.mean()) / (x.std() + prep["epsilon"])
    elif prep["normalization"] == "per_dataset":
        x = (x - np.float32(prep["mean"])) / np.float32(prep["std"] + prep["epsilon"])
    return x


def probabilities(config, weights, batch):
    """Probability of class 1 for a batch (N, S, S), with the run's framework only."""
    if config["framework"] == "torch":
        import torch

        # The architecture is the zip's models/ package: Python puts this script's folder first
        # on the import path when it runs as `python predict.py`.
        from models.torch_cnn import load

        model = load(weights, batch.shape[-1], width=config.get("width", 1.0))
        with torch.no_grad():
            return torch.sigmoid(model(torch.from_numpy(batch[:, None]))).numpy().ravel()
    import keras

    model = keras.models.load_model(weights, compile=False, safe_mode=True)
    return np.asarray(model(batch[..., None], training=False)).ravel()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="+", help="image files (PNG, JPEG, ...)")
    parser.add_argument("--json", action="store_true", help="print JSON lines")
    args = parser.parse_args(argv)
    config = json.loads((HERE / "config.json").read_text())
    result = json.loads((HERE / "result.json").read_text())
    prep = json.loads((HERE / "preprocessing.json").read_text())
    batch = np.stack([preprocess(path, prep) for path in args.images])
    p = probabilities(config, HERE / "weights" / result["weights"], batch)
    names = prep["class_names"]
    for path, value in zip(args.images, p):
        label = names[1] if value >= prep["threshold"] else names[0]
        row = {
            "image": str(path),
            "probability": float(value),
            "label": label,
            "threshold": prep["threshold"],
        }
        print(json.dumps(row) if args.json else f"{path}: {label} (p={value:.4f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
