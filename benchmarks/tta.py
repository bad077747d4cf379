"""Test-time augmentation as an ingredient of the robust recipe (issue 11), measured on runs
that already exist: does averaging a model's probability over the X-ray and its mirror image
score better, clean and under the shift stress, than the X-ray alone?

    python -m benchmarks.tta --source ../shared/data/chest_xray --split val \
        --run f5f4ac854cb6f18e --run 56e5768324881406 --out docs/results/tta.json

The mirror is the only view both recipes trained on as it is (horizontal flips with
probability 0.5), so it adds no view the model has not seen. Each run is scored both ways on the
same clean and shifted images (``pipeline.evaluate.stress``, 36 shifted copies, fixed seed), at
the run's own threshold; the paired difference per copy gives a mean and the share of copies
where TTA is better. Cost: TTA scores every image twice.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np


def mirrored_mean(predict):
    """``predict`` averaged over the images and their left-right mirror."""
    return lambda images: 0.5 * (predict(images) + predict(images[:, :, ::-1]))


def measure(run_id: str, source: str, split: str) -> dict:
    from pipeline.evaluate.stress import acquisition_images, stress_mean, stress_scores
    from pipeline.inference import load_run_model, predict_proba

    loaded = load_run_model(run_id)
    images, labels = acquisition_images(source, split, loaded.img_size)
    plain = lambda batch: predict_proba(loaded, batch)  # noqa: E731
    out = {"run_id": run_id, "framework": loaded.framework, "threshold": loaded.threshold}
    for name, predict in (("plain", plain), ("tta", mirrored_mean(plain))):
        started = time.perf_counter()
        clean, rows = stress_scores(predict, images, labels, loaded.threshold, loaded.img_size)
        seconds = time.perf_counter() - started
        out[name] = {
            "clean": clean.to_dict(),
            "stress_mean": stress_mean(rows).to_dict(),
            "rows": [(r.shift, r.severity, r.auc, r.accuracy) for r in rows],
            "images_per_s": len(labels) * (len(rows) + 1) / seconds,
        }
    gains = [t[2] - p[2] for p, t in zip(out["plain"]["rows"], out["tta"]["rows"])]
    out["paired_auc_gain"] = {
        "mean": float(np.mean(gains)),
        "better_share": float(np.mean(np.array(gains) > 0)),
        "min": float(min(gains)),
        "max": float(max(gains)),
    }
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source", required=True)
    parser.add_argument("--split", default="val")
    parser.add_argument("--run", action="append", required=True, dest="runs")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    from pipeline.data import canonical_source

    source = canonical_source(args.source)
    results = []
    for run_id in args.runs:
        result = measure(run_id, source, args.split)
        results.append(result)
        plain, tta = result["plain"], result["tta"]
        print(
            f"{run_id} {result['framework']:5s} clean AUC {plain['clean']['auc']:.4f} -> "
            f"{tta['clean']['auc']:.4f}, stress-mean AUC {plain['stress_mean']['auc']:.4f} -> "
            f"{tta['stress_mean']['auc']:.4f}, accuracy {plain['stress_mean']['accuracy']:.3f} -> "
            f"{tta['stress_mean']['accuracy']:.3f}; better on "
            f"{result['paired_auc_gain']['better_share']:.0%} of the shifted copies",
            flush=True,
        )
    report = {"source": source, "split": args.split, "runs": results}
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
