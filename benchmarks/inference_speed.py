"""How fast a run's model loads and predicts, per framework, and what the evaluation costs.

    python -m benchmarks.inference_speed                      # untrained talk-sized models, 150 px
    python -m benchmarks.inference_speed --img-size 64 --width 0.5
    python -m benchmarks.inference_speed --run RUN_ID [--run OTHER_ID]   # finished runs instead

Without ``--run``, each framework's model is built untrained at the given size and stored as a
finished run in a temporary run store, so loading goes through ``load_run_model`` exactly as
the page and the CLI do (speed does not depend on the weights' values). Figures:

- load: seconds for ``load_run_model`` once the framework is imported (safe loading)
- batch ms/image: ``predict_proba`` over the synthetic test split, best of 3
- single ms: ``predict_proba`` on one image, median and fastest of 30 (what the Predictions
  page pays); on a busy 2-core machine the median of torch's two threads suffers most
- Keras ``model.predict`` on one image, median, for comparison (what the inference module avoids)
- metrics, bootstrap and paired bootstrap on 624 predictions (the official test split's size)
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--run", action="append", default=[], help="a finished run to measure (repeatable)"
    )
    parser.add_argument("--img-size", type=int, default=150)
    parser.add_argument("--width", type=float, default=1.0)
    parser.add_argument("--source", default="synthetic", help="images to predict (its test split)")
    args = parser.parse_args()

    if not args.run:
        os.environ["PNEUMOLAB_CACHE"] = tempfile.mkdtemp(prefix="pneumolab-bench-")
    run_ids = args.run or [
        untrained_run(framework, args.img_size, args.width) for framework in ("torch", "keras")
    ]
    rows = [measure(run_id, args.source) for run_id in sorted(run_ids, key=_torch_first)]
    print(
        f"{'framework':9s} {'size':>4s} {'params':>9s} {'load s':>7s} "
        f"{'batch ms/img':>12s} {'single ms (min)':>16s} {'keras predict() single ms':>26s}"
    )
    for row in rows:
        print(
            f"{row['framework']:9s} {row['img_size']:4d} {row['parameters']:9,d} "
            f"{row['load_s']:7.2f} {row['batch_ms']:12.2f} {row['single_ms']:8.2f} ({row['single_min_ms']:5.2f}) "
            f"{row.get('predict_single_ms', float('nan')):26.2f}"
        )
    print()
    evaluation_costs()


def untrained_run(framework: str, img_size: int, width: float) -> str:
    """A finished run holding an untrained model, in the (temporary) run store."""
    from pipeline.runs import Run, write_json
    from pipeline.training.config import TrainConfig

    config = TrainConfig.from_preset(
        "full", framework=framework, img_size=img_size, width=width, augment="none"
    )
    run = Run(config.stable_hash())
    (run.path / "weights").mkdir(parents=True, exist_ok=True)
    (run.path / "config.json").write_text(config.to_json())
    weights = "model.pt" if framework == "torch" else "model.keras"
    if framework == "torch":
        import torch

        from models.torch_cnn import PneumoniaCNN

        torch.save(PneumoniaCNN(img_size, 1, width).state_dict(), run.path / "weights" / weights)
    else:
        from models.keras_cnn import build_keras_cnn

        build_keras_cnn(img_size, 1, width).save(run.path / "weights" / weights)
    write_json(run.path / "result.json", {"val": {"threshold": 0.5}, "weights": weights})
    run.set_status("finished", created=time.time())
    return run.id


def measure(run_id: str, source: str) -> dict:
    from pipeline.data import load_split
    from pipeline.inference import load_run_model, parameter_count, predict_proba
    from pipeline.runs import Run

    framework = Run(run_id).config().framework
    load_run_model(run_id)  # the first load pays for importing the framework
    started = time.perf_counter()
    loaded = load_run_model(run_id)
    load_s = time.perf_counter() - started
    images = load_split(source, "test", loaded.img_size).images
    predict_proba(loaded, images[:8])  # warm-up: first calls build kernels and graphs
    batch = (
        min(_seconds(lambda: predict_proba(loaded, images)) for _ in range(3)) / len(images) * 1000
    )
    singles = [_seconds(lambda: predict_proba(loaded, images[:1])) * 1000 for _ in range(30)]
    row = {
        "framework": framework,
        "img_size": loaded.img_size,
        "parameters": parameter_count(loaded),
        "load_s": load_s,
        "batch_ms": batch,
        "single_ms": statistics.median(singles),
        "single_min_ms": min(singles),
    }
    if framework == "keras":
        from pipeline.inference import model_input

        x = model_input(loaded, images[:1])
        loaded.model.predict(x, verbose=0)
        row["predict_single_ms"] = (
            statistics.median(
                _seconds(lambda: loaded.model.predict(x, verbose=0)) for _ in range(30)
            )
            * 1000
        )
    return row


def evaluation_costs(n: int = 624) -> None:
    from pipeline.evaluate.bootstrap import RESAMPLES, bootstrap_intervals, paired_differences
    from pipeline.evaluate.metrics import classification_metrics

    rng = np.random.default_rng(0)
    labels = (rng.random(n) < 390 / 624).astype(int)
    a = np.clip(rng.normal(0.3 + 0.4 * labels, 0.2), 0, 1)
    b = np.clip(a + rng.normal(0, 0.1, n), 0, 1)
    patients = np.arange(n) // 2
    print(f"evaluation of {n} predictions:")
    print(
        f"  metrics + curves            {_seconds(lambda: classification_metrics(labels, a, 0.5)) * 1000:8.1f} ms"
    )
    print(
        f"  bootstrap, {RESAMPLES} resamples   "
        f"{_seconds(lambda: bootstrap_intervals(labels, a, 0.5, groups=patients)) * 1000:8.1f} ms"
    )
    print(
        f"  paired bootstrap (2 models) "
        f"{_seconds(lambda: paired_differences(labels, a, b, 0.5, 0.5, groups=patients)) * 1000:8.1f} ms"
    )


def _seconds(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def _torch_first(run_id: str) -> int:
    """Measure torch before Keras: torch's import time is then not hidden inside Keras's."""
    from pipeline.runs import Run

    return 0 if Run(run_id).config().framework == "torch" else 1


if __name__ == "__main__":
    main()
