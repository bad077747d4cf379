"""The tiny training settings every test that trains uses: one epoch at 32 px, width 0.25, on the
synthetic data. One definition, in the forms the tests need: the settings as a dict, a
TrainConfig, ``python -m pipeline.train`` options, ``--set`` options of the sweep and tune CLIs.

Files that need other values say so through arguments: ``tiny(..., width=0.5)`` changes a
setting, ``tiny(..., augment=None)`` leaves it out (the preset's value, or TrainConfig's own
default with ``preset=None``). Two configs equal as TrainConfigs share a run id, so tests that
train the same settings share the run store's cached run.
"""

from __future__ import annotations

from pipeline.training.config import TrainConfig

TINY = dict(
    source="synthetic",
    epochs=1,
    img_size=32,
    width=0.25,
    batch_size=32,
    augment="none",
    early_stopping_patience=0,
)


def tiny_settings(**changes) -> dict:
    """TINY with ``changes`` applied; a change to None leaves that setting out."""
    settings = {**TINY, **changes}
    return {name: value for name, value in settings.items() if value is not None}


def tiny(framework: str = "torch", seed: int = 0, *, preset: str | None = "quick", **changes):
    """A TrainConfig of ``preset`` (None: TrainConfig's defaults) with the tiny settings."""
    settings = tiny_settings(**changes)
    if preset is None:
        return TrainConfig(framework=framework, seed=seed, **settings)
    return TrainConfig.from_preset(preset, framework=framework, seed=seed, **settings)


def tiny_cli(**changes) -> list[str]:
    """The tiny settings as options of ``python -m pipeline.train`` (after ``--preset quick``)."""
    options = ["--preset", "quick"]
    for name, value in tiny_settings(**changes).items():
        options += [f"--{name.replace('_', '-')}", str(value)]
    return options


def tiny_sets(**changes) -> list[str]:
    """The tiny settings as ``--set=name=value`` options (``python -m pipeline.sweep``, ``tune``)."""
    return [f"--set={name}={value}" for name, value in tiny_settings(**changes).items()]
