"""What makes Keras and PyTorch score differently, as measured: the talk's "data processing makes
the difference", read from the ablation over seeds (issue 11, item 6).

    finding = load_finding()            # docs/results/framework_gap.json, or None if absent
    finding.sentences()                 # the Conclusion page's words
    finding.table()                     # a GapRow per change and framework, mean ± sd and verdict

The file is written by ``python -m benchmarks.framework_gap`` from the scored ablation
(``python -m benchmarks.generalisation_ablation --score``): every run a real training on the
real X-rays, scored on the patient-grouped validation split and its 36 shifted copies
(``pipeline.evaluate.stress``). Nothing here trains or scores; the page says the basis.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pipeline.frameworks import FRAMEWORK_NAMES

FINDING_FILE = Path(__file__).resolve().parents[2] / "docs" / "results" / "framework_gap.json"
METRICS = {
    "val_auc": "val AUC",
    "val_accuracy": "val accuracy",
    "stress_auc": "stress-mean AUC",
    "stress_accuracy": "stress-mean accuracy",
}
VERDICT_WORDS = {
    "exceeds noise": "larger than the seed-to-seed spread",
    "within noise": "within the seed-to-seed spread, so no framework difference",
}
SHORT_VERDICT = {
    "exceeds noise": "beyond the seed spread",
    "within noise": "within the seed spread",
}
GAP = "Keras − PyTorch"  # the framework column of the rows that compare the frameworks
IDENTICAL = "identical processing (the talk's settings in both)"  # the change of those rows


@dataclass(frozen=True)
class Effect:
    """One measured difference over seeds: a change's effect in one framework (paired by seed
    with the talk's settings), or the Keras - PyTorch gap at identical settings."""

    change: str
    framework: str  # a framework's name, or GAP
    metric: str  # a key of METRICS
    mean: float
    std: float | None
    n: int
    verdict: str  # "exceeds noise", "within noise" or "one seed: ..."

    def text(self) -> str:
        scale, unit = (100, " points") if "accuracy" in self.metric else (1, "")
        digits = 1 if scale == 100 else 4
        spread = "" if self.std is None else f" ± {self.std * scale:.{digits}f}"
        return f"{self.mean * scale:+.{digits}f}{spread}{unit}"


@dataclass(frozen=True)
class GapRow:
    """One change in one framework (or the Keras - PyTorch gap): a cell per metric measured."""

    change: str
    framework: str  # a framework's name, or GAP
    cells: dict[str, str]  # a METRICS name -> 'mean ± sd (verdict, n = N)'

    def to_dict(self) -> dict:
        """The row of the Conclusion's table: change, framework, then a column per metric."""
        return {"change": self.change, "framework": self.framework, **self.cells}


@dataclass(frozen=True)
class GapFinding:
    img_size: int
    epochs: int
    seeds: tuple[int, ...]
    effects: tuple[Effect, ...]

    def of(self, change: str, framework: str, metric: str) -> Effect | None:
        for effect in self.effects:
            if (effect.change, effect.framework, effect.metric) == (change, framework, metric):
                return effect
        return None

    def table(self) -> list[GapRow]:
        """A row per change and framework, in the order measured."""
        cells: dict[tuple[str, str], dict[str, str]] = {}
        for effect in self.effects:
            cells.setdefault((effect.change, effect.framework), {})[METRICS[effect.metric]] = (
                f"{effect.text()} ({effect.verdict}, n = {effect.n})"
            )
        return [GapRow(change, framework, row) for (change, framework), row in cells.items()]

    def sentences(self) -> list[str]:
        out = []
        same = self.of(IDENTICAL, GAP, "val_auc")
        stress = self.of(IDENTICAL, GAP, "stress_accuracy")
        if same is not None:  # judged on the shifted copies where they were scored
            judged = stress or same
            extra = f"; stress-mean accuracy {stress.text()}" if stress else ""
            out.append(
                f"With identical processing, {GAP}: val AUC {same.text()}{extra} "
                f"(n = {judged.n}): {VERDICT_WORDS.get(judged.verdict, judged.verdict)}."
            )
        for change in sorted({e.change for e in self.effects} - {IDENTICAL}):
            parts = [self._metric_words(change, metric) for metric in METRICS]
            parts = [part for part in parts if part]
            if parts:
                out.append(f"{change[:1].upper()}{change[1:]}: " + "; ".join(parts) + ".")
        return out

    def _metric_words(self, change: str, metric: str) -> str:
        """'val AUC -0.0028 ± 0.0001 in PyTorch, -0.0025 ± 0.0015 in Keras (verdict)'."""
        effects = [
            (framework, self.of(change, framework, metric))
            for framework in FRAMEWORK_NAMES.values()
        ]
        effects = [(framework, effect) for framework, effect in effects if effect is not None]
        if not effects:
            return ""
        verdicts = {effect.verdict for _, effect in effects}
        if len(verdicts) == 1:
            values = ", ".join(f"{effect.text()} in {framework}" for framework, effect in effects)
            return f"{METRICS[metric]} {values} ({SHORT_VERDICT.get(*verdicts, *verdicts)})"
        values = ", ".join(
            f"{effect.text()} in {framework} ({SHORT_VERDICT.get(effect.verdict, effect.verdict)})"
            for framework, effect in effects
        )
        return f"{METRICS[metric]} {values}"


def load_finding(path: Path = FINDING_FILE) -> GapFinding | None:
    """The measured finding, or None when the ablation has not been summarised here."""
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    effects = []
    for entry in data.get("differences", {}).values():
        for framework, metrics in entry.get("effect_vs_talk", {}).items():
            for metric, effect in metrics.items():
                effects.append(
                    _effect(entry["meaning"], FRAMEWORK_NAMES[framework], metric, effect)
                )
    for metric_key, effect in data.get("frameworks_identical", {}).get("talk", {}).items():
        effects.append(
            _effect(IDENTICAL, GAP, metric_key.removeprefix("keras_minus_torch_"), effect)
        )
    scale = data["scale"]
    return GapFinding(scale["img_size"], scale["epochs"], tuple(scale["seeds"]), tuple(effects))


def _effect(change: str, framework: str, metric: str, effect: dict) -> Effect:
    return Effect(
        change, framework, metric, effect["mean"], effect["std"], effect["n"], effect["verdict"]
    )
