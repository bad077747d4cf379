"""Evaluation: how good a finished run is on a split it never trained on, and what it cost.

    from pipeline.evaluate import score_run, evaluate, compare
    scored = score_run(run_id, source="synthetic", split="test")   # probabilities (loads the model)
    evaluation = evaluate(scored)                                   # metrics, intervals, curves
    table = compare(keras_scored, torch_scored)                      # Keras vs PyTorch

Modules, one idea each: ``metrics`` (scikit-learn metrics from labels and probabilities),
``bootstrap`` (vectorised 95% intervals, paired differences), ``scoring`` (a run's
probabilities on a split), ``report`` (one ``Evaluation``), ``compare`` (two runs), ``export``
(JSON, CSV, HTML), ``stress`` (shifted copies), ``seeds`` and ``ensemble`` (seed groups),
``basis`` (what a split rests on).
``python -m pipeline.evaluate`` is the command line. The one threshold rule is
``pipeline.threshold``, below this package: training and inference apply it too.

Importing this package loads neither TensorFlow nor torch: only ``score_run`` does, and only
the framework of the run it scores.
"""

from pipeline.evaluate.compare import compare
from pipeline.evaluate.metrics import classification_metrics
from pipeline.evaluate.report import evaluate
from pipeline.evaluate.scoring import Scored, score_run
from pipeline.threshold import ThresholdChoice, choose_threshold

__all__ = [
    "Scored",
    "ThresholdChoice",
    "choose_threshold",
    "classification_metrics",
    "compare",
    "evaluate",
    "score_run",
]
