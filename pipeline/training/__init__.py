"""Training the talk's CNN with Keras or PyTorch, behind one call.

    from pipeline.training import train
    from pipeline.training.config import TrainConfig
    outcome = train(TrainConfig.from_preset("quick", framework="keras"), Path("work"),
                    report=print, should_stop=lambda: False)

Both engines (``engines/keras_engine.py``, ``engines/torch_engine.py``) take the same
arguments and return the same dict; see ``train``. Importing this package loads no framework.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pipeline.records import RunResult
from pipeline.training.errors import Cancelled

__all__ = ["Cancelled", "engine", "train"]


def engine(framework: str):
    """The engine module of ``framework`` ("keras" or "torch"); loads that framework only."""
    if framework == "torch":
        from pipeline.training.engines import torch_engine

        return torch_engine
    if framework == "keras":
        from pipeline.training.engines import keras_engine

        return keras_engine
    raise ValueError(f"unknown framework {framework!r}; expected keras or torch")


def train(
    config, workdir: Path, report: Callable[[dict], None], should_stop: Callable[[], bool]
) -> RunResult:
    """Train ``config`` with its framework's engine; weights go into ``workdir``.

    ``report`` receives ``{"event": "step", ...}`` about every half second and
    ``{"event": "epoch", ...}`` after each epoch; ``should_stop`` is asked before every step and
    a yes raises ``Cancelled``. Returns a ``pipeline.records.RunResult`` (history, validation
    metrics, timings, device, parameters, weights file, best epoch), the weights of the best
    validation epoch saved.
    """
    return engine(config.framework).train(config, Path(workdir), report, should_stop)
