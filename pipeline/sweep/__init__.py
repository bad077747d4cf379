"""Sweeps: a grid of presets and settings over frameworks and seeds, each cell a cached run,
scored and tabulated with paired deltas against a baseline and the noise rule.

    grid = grid_from_flags(source, ("torch", "keras"), ("full",), [("img_size", [160, 224])],
                           (0, 1, 2))
    train_grid(grid, executor="ray")     # triggers every cell (cached ones cost nothing), waits
    report = score_grid(grid)            # SweepReport: rows, summary, deltas; .markdown()

``grid.py`` is the grid and its cells, ``runs.py`` one cell (train, score: the shift stress on
the patient-grouped validation split), ``table.py`` the ablation table and its noise rule.
``python -m pipeline.sweep`` is the command line; ``benchmarks/generalisation_ablation.py``
is the issue-11 ablation written as one grid.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

from pipeline.sweep.grid import (
    Cell,
    Grid,
    GridError,
    Variant,
    expand,
    grid_from_flags,
    grid_from_json,
)
from pipeline.sweep.runs import EXECUTORS, TrainingFailed, finished_run_id, score, start
from pipeline.sweep.table import SweepDelta, SweepRow, SweepSummary, deltas, markdown, summary

__all__ = [
    "EXECUTORS",
    "Grid",
    "GridError",
    "SweepReport",
    "Variant",
    "grid_from_flags",
    "grid_from_json",
    "score_grid",
    "train_grid",
]


@dataclass(frozen=True)
class SweepReport:
    """A scored grid: one row per finished cell, the per-variant summary, the paired deltas."""

    grid: Grid
    rows: list[SweepRow]
    summary: list[SweepSummary]
    deltas: list[SweepDelta]
    missing: list[str]  # cells with no finished run ("variant framework seed N")

    def markdown(self) -> str:
        return markdown(self.rows, [v.name for v in self.grid.variants], self.grid.baseline_of)

    def to_dict(self) -> dict:
        return {
            "grid": self.grid.to_dict(),
            "runs": [row.to_dict() for row in self.rows],
            "summary": [entry.to_dict() for entry in self.summary],
            "deltas": [delta.to_dict() for delta in self.deltas],
            "missing": self.missing,
        }


def train_grid(grid: Grid, executor: str | None = None, log=None) -> list[str]:
    """Trigger every cell (all queued at once, so an executor that trains several at a time
    can), then wait for each; returns the problems ("variant framework seed N: why")."""
    from pipeline.sweep.runs import finish

    log = log or _stderr
    started = [(cell, time.monotonic(), start(cell.config, executor)) for cell in expand(grid)]
    problems = []
    for cell, since, outcome in started:
        try:
            finish(outcome, cell.config)
        except TrainingFailed as error:
            problems.append(f"{_label(cell)}: {error}")
            log(f"{_label(cell)}: {error}")
            continue
        log(
            f"{_label(cell)}: finished ({outcome.how}) {time.monotonic() - since:.0f} s run {outcome.run.id}"
        )
    return problems


def score_grid(grid: Grid, stress: bool = True, log=None) -> SweepReport:
    """Score every cell whose run has finished (trained by ``train_grid`` or earlier)."""
    log = log or _stderr
    rows, missing = [], []
    for cell in expand(grid):
        run_id = finished_run_id(cell.config)
        if run_id is None:
            missing.append(_label(cell))
            continue
        figures = score(run_id, grid.source, stress)
        rows.append(SweepRow(cell.variant, cell.framework, cell.seed, figures))
        log(f"{_label(cell)}: scored run {run_id}")
    return SweepReport(
        grid,
        rows,
        summary(rows),
        deltas(rows, [v.name for v in grid.variants], grid.baseline_of),
        missing,
    )


def _label(cell: Cell) -> str:
    return f"{cell.variant} {cell.framework} seed {cell.seed}"


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
