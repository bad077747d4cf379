"""Prediction plus Grad-CAM for one image, both frameworks, on CPU, once the models are loaded.

    python -m benchmarks.explain_speed                        # untrained talk-sized models, 150 px
    python -m benchmarks.explain_speed --img-size 64 --width 0.5
    python -m benchmarks.explain_speed --run KERAS_RUN --run TORCH_RUN   # finished runs instead
    python -m benchmarks.explain_speed --torch-threads 1

The issue's budget: under 1 s for both frameworks together (what the Predictions page pays for
a new image). Without ``--run`` the models are untrained runs in a temporary run store, built
as the inference benchmark builds them and loaded through ``load_run_model``: speed does not
depend on the weights' values. Each figure is the median of ``--repeats`` rounds after three
warm-up rounds; a round predicts one test image and computes its Grad-CAM (last conv layer) in
each framework. Faithfulness (ROAD) is timed once per framework for reference: the page
computes it once per new map and caches it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BUDGET_S = 1.0
WARM_UP = 3


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--run", action="append", default=[], help="a finished run to measure (repeatable)"
    )
    parser.add_argument("--img-size", type=int, default=150)
    parser.add_argument("--width", type=float, default=1.0)
    parser.add_argument("--method", default="gradcam")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument(
        "--torch-threads",
        type=int,
        help="torch.set_num_threads; on a busy 2-core machine 1 thread answers one image "
        "faster than 2 (their spin-waits lose the cores)",
    )
    args = parser.parse_args()

    import pipeline.explain.torch_cams  # the torch stack before TensorFlow
    from pipeline.explain import faithfulness, make_explainer
    from pipeline.inference import load_run_model, predict_proba

    if args.torch_threads:
        pipeline.explain.torch_cams.torch.set_num_threads(args.torch_threads)

    if not args.run:
        os.environ["PNEUMOLAB_CACHE"] = tempfile.mkdtemp(prefix="pneumolab-bench-")
        from benchmarks.inference_speed import untrained_run

        args.run = [
            untrained_run(framework, args.img_size, args.width) for framework in ("torch", "keras")
        ]
    models = [load_run_model(run_id) for run_id in args.run]
    explainers = [make_explainer(loaded, args.method) for loaded in models]
    images = {loaded.run_id: test_image(loaded.img_size) for loaded in models}

    rounds = []
    for repeat in range(WARM_UP + args.repeats):
        timings = {}
        for loaded, explainer in zip(models, explainers):
            image = images[loaded.run_id]
            started = time.perf_counter()
            predict_proba(loaded, image)
            predicted = time.perf_counter()
            explainer(image)
            timings[loaded.framework] = (predicted - started, time.perf_counter() - predicted)
        if repeat >= WARM_UP:
            rounds.append(timings)

    print(
        f"{args.method}, one image, median of {args.repeats} rounds (torch threads: {torch_threads()})"
    )
    print(
        f"{'framework':9s} {'size':>4s} {'predict ms':>10s} {'map ms':>7s} {'total ms':>8s} {'ROAD s':>7s}"
    )
    for loaded, explainer in zip(models, explainers):
        predict_ms = 1000 * statistics.median(r[loaded.framework][0] for r in rounds)
        map_ms = 1000 * statistics.median(r[loaded.framework][1] for r in rounds)
        total_ms = 1000 * statistics.median(sum(r[loaded.framework]) for r in rounds)
        image = images[loaded.run_id][None]
        started = time.perf_counter()
        faithfulness(explainer, image, explainer(image))
        road_s = time.perf_counter() - started
        print(
            f"{loaded.framework:9s} {loaded.img_size:4d} {predict_ms:10.1f} {map_ms:7.1f} {total_ms:8.1f} {road_s:7.2f}"
        )
    both = statistics.median(sum(sum(t) for t in r.values()) for r in rounds)
    slowest = max(sum(sum(t) for t in r.values()) for r in rounds)
    verdict = "within" if both < BUDGET_S else "OVER"
    print(
        f"both frameworks: {1000 * both:.0f} ms median, {1000 * slowest:.0f} ms slowest round; "
        f"{verdict} the {BUDGET_S:.0f} s budget"
    )


def test_image(size: int):
    from pipeline.data import load_split

    return load_split("synthetic", "test", size).images[0]


def torch_threads() -> int:
    import torch

    return torch.get_num_threads()


if __name__ == "__main__":
    main()
