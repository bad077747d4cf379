"""What a search is, as the app and the command line read it: typed records, no Optuna."""

from __future__ import annotations

from dataclasses import dataclass

TRIAL_STATES = ("running", "complete", "pruned", "failed")


@dataclass(frozen=True)
class Trial:
    """One augmentation spec tried: its runs (one per framework and seed) and what they scored."""

    number: int
    augment: dict  # the full AugmentSpec.to_dict(); {} until the trial has drawn its spec
    run_ids: tuple[str, ...]  # in the order trained: frameworks outer, seeds inner
    objective: float | None  # mean shift-stress AUC on the validation split (complete only)
    spread: float | None  # seed-to-seed sd of that AUC (mean over frameworks); None for one seed
    state: str  # one of TRIAL_STATES
    cost_s: float | None  # wall-clock seconds (so far, while running)


@dataclass(frozen=True)
class SearchState:
    """A search as stored: its settings, every trial so far, and the best spec."""

    name: str
    source: str
    frameworks: tuple[str, ...]
    preset: str
    trials: tuple[Trial, ...]
    best_augment: dict | None
    best_objective: float | None
    running: bool  # a search process works on it now
    importances: dict[str, float]  # AugmentSpec field -> importance; {} under 2 complete trials
