"""The talk's conclusion bullets, each set beside what this app measures about it.

The talk concludes: Keras is easy to use, has a high-level API and low performance; PyTorch the
opposite. ``check(source)`` returns one ``Topic`` per pair of bullets, with the measurements that
bear on it and a verdict derived from them (never typed in):

- ease of use: lines of model code, ``models/keras_cnn.py`` against ``models/torch_cnn.py``;
- API level: lines of this app's training engines, which do the same work in each framework
  (``pipeline/training/engines``): Keras' ``fit`` hides the loop that the PyTorch engine writes;
- performance: training images per second of the Conclusion's default runs on the active source
  (their ``result.json``), and DLBench's CNN on MNIST on a CPU (``pipeline.talk.dlbench``).

Everything here is cheap (files and run records; nothing is trained or scored), so the
Conclusion page can call it on every run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.talk import conclusion, dlbench

ROOT = Path(__file__).resolve().parents[2]
ENGINES = {
    "keras": ROOT / "pipeline" / "training" / "engines" / "keras_engine.py",
    "torch": ROOT / "pipeline" / "training" / "engines" / "torch_engine.py",
}
VERDICTS = {
    "agrees": "the measurements agree with the talk",
    "disagrees": "the measurements say the opposite",
    "mixed": "the measurements disagree with each other",
    "not measured": "nothing measured yet",
}


@dataclass(frozen=True)
class Measure:
    name: str
    keras: float | None
    torch: float | None
    unit: str
    lower_is_better: bool
    source: str  # where the numbers come from

    def favours(self) -> str | None:
        """The framework this measure puts ahead (None: not measured, or a tie)."""
        if self.keras is None or self.torch is None or self.keras == self.torch:
            return None
        keras_ahead = (self.keras < self.torch) == self.lower_is_better
        return "keras" if keras_ahead else "torch"


@dataclass(frozen=True)
class Topic:
    topic: str
    keras_bullet: str  # the talk's words
    torch_bullet: str
    talk_favours: str  # the framework the talk puts ahead on this topic
    measures: tuple[Measure, ...]

    @property
    def verdict(self) -> str:
        favoured = {m.favours() for m in self.measures} - {None}
        if not favoured:
            return "not measured"
        if len(favoured) > 1:
            return "mixed"
        return "agrees" if favoured == {self.talk_favours} else "disagrees"


@dataclass(frozen=True)
class BulletReport:
    source: str
    runs: dict[str, str | None]  # framework -> the run id the performance row reads
    topics: tuple[Topic, ...]


def ease_of_use() -> Topic:
    return Topic(
        "Ease of use",
        "Easy to use",
        "Harder to use",
        "keras",
        (
            Measure(
                "Lines of model code (the same CNN)",
                conclusion.model_code_lines("keras"),
                conclusion.model_code_lines("torch"),
                "lines",
                True,
                "models/keras_cnn.py and models/torch_cnn.py, blank lines, comments and docstrings not counted",
            ),
        ),
    )


def api_level() -> Topic:
    def lines(framework: str) -> int | None:
        path = ENGINES[framework]
        return conclusion.code_lines(path.read_text()) if path.is_file() else None

    return Topic(
        "API level",
        "High-level API",
        "Low-level API, flexible",
        "keras",
        (
            Measure(
                "Lines of training engine (the same work)",
                lines("keras"),
                lines("torch"),
                "lines",
                True,
                "pipeline/training/engines: Keras' fit() runs the loop the PyTorch engine writes out",
            ),
        ),
    )


def performance(runs: dict) -> Topic:
    def speed(framework: str) -> float | None:
        run = runs.get(framework)
        return conclusion.images_per_second(run) if run is not None else None

    keras_mnist, torch_mnist = dlbench.result_of("Keras"), dlbench.result_of("PyTorch")
    return Topic(
        "Performance",
        "Low performance",
        "High performance",
        "torch",
        (
            Measure(
                "Training speed here (images/s)",
                speed("keras"),
                speed("torch"),
                "images/s",
                False,
                "the Conclusion's default runs on the active source (result.json)",
            ),
            Measure(
                "DLBench: CNN on MNIST, CPU (minutes)",
                round(keras_mnist.minutes, 1),
                round(torch_mnist.minutes, 1),
                "min",
                True,
                f"{dlbench.CITATION} (Keras {keras_mnist.version}, PyTorch {torch_mnist.version})",
            ),
        ),
    )


def check(source: str) -> BulletReport:
    """The three topics for the default runs on ``source`` (run store and files only)."""
    runs = conclusion.default_runs(source)
    return BulletReport(
        source,
        {framework: run.id if run is not None else None for framework, run in runs.items()},
        (ease_of_use(), api_level(), performance(runs)),
    )
