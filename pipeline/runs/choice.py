"""Which finished runs a results page shows for a data source, and in which order.

    shown = runs_to_show(source)          # Shown(runs=[...best first], own=True/False, reason)
    shown.runs[0]                          # the page's default

A source's *own* runs (trained on its training images, matched by content) come first. When it
has none, a page still shows results: the finished runs trained on any other dataset whose
labels mean the same (``label_space``: real chest X-rays, NORMAL / PNEUMONIA), shipped runs
included, best first, each scored on this source's test split. Runs on the synthetic demo are
never scored on real X-rays, nor the other way round: their labels do not mean the same thing.

"Best" ranks seed groups (runs whose settings differ only in the seed): a group whose settings
were trained in both frameworks first, then the group with more seeds, then the higher mean
validation AUC, then the newest. Within a group, seeds in order.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from pipeline.data.identity import CHEST_XRAY, SYNTHETIC
from pipeline.runs import Run, finished_runs, source_identity, trained_on


@dataclass(frozen=True)
class Shown:
    runs: list[Run]  # best first: ``runs[0]`` is the page's default
    own: bool  # trained on the source's own training images
    reason: str  # one sentence for the page: whose runs these are, or why there are none


def label_space(run: Run) -> str:
    """What the run's labels mean; runs from before it was recorded: from their source."""
    recorded = run.data().label_space
    if recorded:
        return recorded
    return SYNTHETIC if run.config().source == "synthetic" else CHEST_XRAY


def source_label_space(source: str) -> str | None:
    identity = source_identity(source)
    return identity.label_space if identity is not None else None


def runs_to_show(source: str, framework: str | None = None) -> Shown:
    """The source's own finished runs, else the best ones that share its label space."""
    # ranked over both frameworks, then filtered: whether a group was trained in both
    # frameworks is part of its rank, so one framework's list keeps the order of the whole
    finished = finished_runs()
    own = [run for run in finished if trained_on(run, source)]
    if own:
        shown = _of(rank(own), framework)
        if shown:
            return Shown(shown, True, "runs trained on this source's training images")
    space = source_label_space(source)
    shared = _of(
        rank([run for run in finished if space is not None and label_space(run) == space]),
        framework,
    )
    if shared:
        names = sorted({run.dataset_name() for run in shared})
        return Shown(
            shared,
            False,
            f"no run has trained on this source's training images, so these runs trained on "
            f"{', '.join(names)} are scored on its test split",
        )
    what = "no finished run" + (f" of {framework}" if framework else "")
    if space is None:
        return Shown([], False, f"{what}: this source cannot be read")
    return Shown([], False, f"{what} has labels that mean what this source's labels mean")


def _of(runs: list[Run], framework: str | None) -> list[Run]:
    return [r for r in runs if framework is None or r.config().framework == framework]


def partner(run: Run, candidates: list[Run]) -> Run | None:
    """The run to compare ``run`` with: the other framework's run with the same settings, seed
    and training images (like for like), else the other framework's first, else any other."""
    others = [other for other in candidates if other.id != run.id]
    framework = run.config().framework
    other_framework = [o for o in others if o.config().framework != framework]
    key = settings_key(run, ("framework",))
    alike = [o for o in other_framework if settings_key(o, ("framework",)) == key]
    return next(iter(alike or other_framework or others), None)


def settings_key(run: Run, without: tuple[str, ...] = ("seed",)) -> str:
    """The run's settings (no source path, none of ``without``) and its training data's identity."""
    config = {k: v for k, v in run.config().to_dict().items() if k not in ("source", *without)}
    key = json.dumps([config, run.data_key()], sort_keys=True)
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def rank(runs: list[Run]) -> list[Run]:
    """Seed groups best first (see the module docstring), seeds in order within a group."""
    groups: dict[str, list[Run]] = {}
    for run in runs:
        groups.setdefault(settings_key(run), []).append(run)
    in_both = _settings_in_both_frameworks(runs)

    def quality(members: list[Run]):
        aucs = [res.val.auc for r in members if (res := r.result()) and res.val.auc]
        newest = max(r.status().ended or 0 for r in members)
        both = settings_key(members[0], ("seed", "framework")) in in_both
        return (both, len(members), sum(aucs) / len(aucs) if aucs else 0.0, newest)

    ordered = sorted(groups.values(), key=quality, reverse=True)
    return [
        run for members in ordered for run in sorted(members, key=lambda r: r.config().seed or 0)
    ]


def _settings_in_both_frameworks(runs: list[Run]) -> set[str]:
    frameworks: dict[str, set] = {}
    for run in runs:
        key = settings_key(run, ("seed", "framework"))
        frameworks.setdefault(key, set()).add(run.config().framework)
    return {key for key, found in frameworks.items() if len(found) > 1}


def default_run(runs: list[Run], source: str | None) -> Run:
    """A page's default among ``runs`` (not empty): the first that ``runs_to_show`` ranks for
    ``source`` (its own runs, else the best that share its labels), else the first of ``runs``."""
    ids = {run.id for run in runs}
    ranked = runs_to_show(source).runs if source else []
    return next((run for run in ranked if run.id in ids), runs[0])
