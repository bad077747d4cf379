"""Which threshold holds when the X-rays shift: the run's own, 0.5, and the best over the shifts.

Scores a finished run on a split under the shift stress (``pipeline.evaluate.stress``, the same
36 shifted copies, seeded) and reports, at each candidate threshold, the mean over the shifts
of accuracy, NORMAL recall (specificity) and PNEUMONIA recall (sensitivity), next to the clean
split's. A threshold that is optimal on the clean validation split but loses NORMAL recall
under shift is what the external test showed for Youden's pick.

    PNEUMOLAB_CACHE=... python -m benchmarks.threshold_under_stress --run RUN_ID \
        --source ../shared/data/chest_xray --split val --json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

CANDIDATES = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)


def figures(labels: np.ndarray, probabilities: np.ndarray, threshold: float) -> dict:
    called = probabilities >= threshold
    positive, negative = labels == 1, labels == 0
    return {
        "accuracy": float(np.mean(called == positive)),
        "normal_recall": float((~called[negative]).mean()),
        "pneumonia_recall": float(called[positive].mean()),
    }


def analyse(run_id: str, source: str | None, split: str) -> dict:
    from pipeline.evaluate.stress import SEED, acquisition_images, stress_scores
    from pipeline.inference import load_run_model, predict_proba

    loaded = load_run_model(run_id)
    source = source or loaded.config.source
    images, labels = acquisition_images(source, split, loaded.img_size)
    seen: list[np.ndarray] = []

    def predict(batch):
        probabilities = predict_proba(loaded, batch)
        seen.append(np.asarray(probabilities, dtype=np.float64))
        return probabilities

    clean, rows = stress_scores(predict, images, labels, loaded.threshold, loaded.img_size, SEED)
    clean_p, shifted = seen[0], seen[1:]
    thresholds = sorted({*CANDIDATES, round(float(loaded.threshold), 4)})
    table = []
    for t in thresholds:
        under = [figures(labels, p, t) for p in shifted]
        table.append(
            {
                "threshold": t,
                "clean": figures(labels, clean_p, t),
                "stress_mean": {k: float(np.mean([u[k] for u in under])) for k in under[0]},
            }
        )
    return {
        "run_id": run_id,
        "framework": loaded.framework,
        "split": split,
        "n": len(labels),
        "run_threshold": float(loaded.threshold),
        "threshold_rule": getattr(loaded.threshold_choice, "rule", None),
        "clean_auc": clean.auc,
        "stress_mean_auc": float(np.mean([r.auc for r in rows if r.auc is not None])),
        "stress_mean_accuracy_at_run_threshold": float(np.mean([r.accuracy for r in rows])),
        "by_threshold": table,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--run", required=True, action="append", help="run id (repeatable)")
    parser.add_argument("--source")
    parser.add_argument("--split", default="val")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    report = [analyse(run, args.source, args.split) for run in args.run]
    text = json.dumps(report, indent=2)
    if args.out:
        args.out.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
