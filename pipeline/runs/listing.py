"""Which runs a listing shows: the Training page's run history filtered by framework, state and
a search text.

    shown = RunFilter(frameworks=("keras",), text="synthetic").apply([run.summary() for run in runs])
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.runs.records import RunSummary


@dataclass(frozen=True)
class RunFilter:
    """Empty ``frameworks`` or ``states`` keep every one; ``text`` is searched for, as typed, in
    the run id and the source."""

    frameworks: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    text: str = ""

    def keeps(self, summary: RunSummary) -> bool:
        """Whether a run's ``Run.summary()`` passes."""
        return (
            (not self.frameworks or summary.framework in self.frameworks)
            and (not self.states or summary.status in self.states)
            and (
                not self.text or self.text in summary.run_id or self.text in (summary.source or "")
            )
        )

    def apply(self, summaries: list[RunSummary]) -> list[RunSummary]:
        return [summary for summary in summaries if self.keeps(summary)]
