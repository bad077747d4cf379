"""Warm-up before the talk: pay every first-time cost once, so no page makes the audience wait.

One button (Home, and the presenter sidebar) runs, for the active source: the frameworks'
import (torch first), the source's images, the latest finished model of each framework, the
Evaluation page's scored test split, bootstrap intervals and Keras-vs-PyTorch comparison, the
Predictions page's test split, probabilities and first image's Grad-CAM and ROAD (and its
pointing game on synthetic data), and one epoch of the Insights page's mini demo.

Streamlit's caches belong to the process, so one warm-up serves every later session: it calls
the very cached functions the pages call (``dashboard.cache.datasets``, ``.models``,
``.scoring``) with the keys of each page's default view, which ``dashboard.app.first_view``
computes for the page and the warm-up alike (``PAGES``: one list of steps per results page).

Nothing may hang: each step runs in a worker thread and is waited for at most its limit. A step
that overruns is reported and left to finish in the background (the page that needs it then
waits for that same computation, never starts a second one). Errors are reported, not raised.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import streamlit as st

from dashboard.context.source import active_source
from pipeline.frameworks import FRAMEWORK_NAMES

WORKER_NAME = "pneumolab-warmup"


class Skipped(Exception):
    """A step that has nothing to do; the message says why and what to do about it."""


@dataclass
class Step:
    name: str
    action: Callable[[], str]  # returns what it did, in a few words; raises Skipped
    limit_s: float


@dataclass
class StepResult:
    name: str
    state: str  # "done", "skipped", "failed" or "timed out"
    seconds: float
    detail: str


@dataclass
class Plan:
    """What the steps share: the source, and what earlier steps found or loaded."""

    source: str
    fingerprint: str | None = None
    runs: dict[str, str] = field(default_factory=dict)  # framework -> run id
    models: dict[str, object] = field(default_factory=dict)  # framework -> LoadedModel


# ---- running steps, each bounded ----


def run_bounded(step: Step) -> StepResult:
    """Run one step in a worker thread; wait ``step.limit_s`` at most."""
    box: dict = {}

    def work():
        try:
            box["detail"] = step.action()
        except Skipped as reason:
            box["skipped"] = str(reason)
        except Exception as error:  # any library's failure: reported in the list, never raised
            box["error"] = f"{type(error).__name__}: {_first_line(error)}"

    started = time.perf_counter()
    worker = threading.Thread(target=work, name=WORKER_NAME, daemon=True)
    worker.start()
    worker.join(step.limit_s)
    seconds = time.perf_counter() - started
    if worker.is_alive():
        return StepResult(
            step.name,
            "timed out",
            seconds,
            f"still running after {step.limit_s:.0f} s: left to finish in the background",
        )
    if "skipped" in box:
        return StepResult(step.name, "skipped", seconds, box["skipped"])
    if "error" in box:
        return StepResult(step.name, "failed", seconds, box["error"])
    return StepResult(step.name, "done", seconds, box.get("detail", ""))


class _NoSessionInWorker(logging.Filter):
    """The worker has no session on purpose (it may outlive the run that started it), so the
    cached functions' spinners have nowhere to go; Streamlit logs that once per spinner."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.threadName == WORKER_NAME and "ScriptRunContext" in str(record.msg))


logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(
    _NoSessionInWorker()
)


# ---- the steps: what every page needs, then each results page's first view ----


def plan_steps(plan: Plan) -> list[Step]:
    steps = [
        Step("Frameworks: torch, then TensorFlow and Keras", import_frameworks, 180),
        Step(f"Images of `{plan.source}`", lambda: load_images(plan), 600),
        Step("Latest finished run of each framework on this source", lambda: find_runs(plan), 30),
    ]
    for framework, name in FRAMEWORK_NAMES.items():
        steps.append(Step(f"{name} model", lambda fw=framework: load_model(plan, fw), 180))
    for page_steps in PAGES:
        steps += page_steps(plan)
    return steps


def import_frameworks() -> str:
    from dashboard.context.deployment import frameworks_may_load
    from pipeline.frameworks import import_keras, import_torch

    if not frameworks_may_load():
        raise Skipped("not needed here: models run under ONNX Runtime (model_backend = onnx)")

    torch = import_torch()  # torch and torchvision first: the other order crashes the process
    keras = import_keras()
    return f"torch {torch.__version__}, Keras {keras.__version__}"


def load_images(plan: Plan) -> str:
    from dashboard.cache.datasets import cached_arrays, cached_summary, source_fingerprint

    plan.fingerprint = source_fingerprint(plan.source)
    summary = cached_summary(plan.source)
    cached_arrays(plan.source)
    return f"{summary.images:,} images"


def find_runs(plan: Plan) -> str:
    """The run of each framework that the Predictions page opens on (``first_view``)."""
    from dashboard.app.first_view import predictions_runs

    plan.runs = {framework: run.id for framework, run in predictions_runs(plan.source).items()}
    if not plan.runs:
        from pipeline.runs.choice import runs_to_show

        raise Skipped(runs_to_show(plan.source).reason)
    return ", ".join(
        f"{FRAMEWORK_NAMES[framework]} {run_id[:8]}" for framework, run_id in plan.runs.items()
    )


def load_model(plan: Plan, framework: str) -> str:
    from dashboard.cache.trained_models import model_of
    from dashboard.context.deployment import training_allowed

    if framework not in plan.runs:
        raise Skipped(
            f"no finished {FRAMEWORK_NAMES[framework]} run for this source"
            + (": train one on the Training page" if training_allowed() else "")
        )
    run_id = plan.runs[framework]
    loaded = model_of(run_id)
    plan.models[framework] = loaded
    return f"run {run_id[:8]}, {loaded.img_size} px"


# ---- Evaluation ----


def evaluation_steps(plan: Plan) -> list[Step]:
    steps = [
        Step(f"Evaluation: {name} on the test split", lambda fw=framework: score(plan, fw), 600)
        for framework, name in FRAMEWORK_NAMES.items()
    ]
    steps.append(Step("Evaluation: Keras vs PyTorch", lambda: compare_runs(plan), 300))
    steps.append(Step("Evaluation: the other seeds", lambda: score_seed_groups(plan), 900))
    return steps


def score(plan: Plan, framework: str) -> str:
    """The Evaluation page's first view of this run: the split scored, intervals at its threshold."""
    from dashboard.app.first_view import EVALUATION_SPLIT
    from dashboard.cache.scores import evaluation_of, scored_split
    from dashboard.cache.trained_models import updated

    loaded = _need_model(plan, framework)
    stamp, split = updated(loaded.run_id), EVALUATION_SPLIT
    scored = scored_split(loaded.run_id, stamp, plan.source, plan.fingerprint, split)
    evaluation_of(loaded.run_id, stamp, plan.source, plan.fingerprint, split, scored.threshold)
    return f"{scored.n:,} {split} images scored, 95% intervals at threshold {scored.threshold:.3f}"


def compare_runs(plan: Plan) -> str:
    """The page's "Keras vs PyTorch": its default run against that run's partner."""
    from dashboard.app.first_view import evaluation_view
    from dashboard.cache.scores import comparison
    from dashboard.cache.trained_models import updated

    _need_images(plan)
    if len(plan.models) < 2:
        raise Skipped("needs a loaded model of each framework")
    view = evaluation_view(plan.source)
    if view is None or view.partner is None:
        raise Skipped("the default run has no other finished run to be compared with")
    run, other = view.run.id, view.partner.id
    comparison(run, updated(run), other, updated(other), plan.source, plan.fingerprint, view.split)
    return f"{run[:8]} vs {other[:8]}"


def score_seed_groups(plan: Plan) -> str:
    """The page's "Across seeds" table: every seed of each default run's group (and of the other
    framework's group with the same settings) scored on the test split."""
    from dashboard.app.first_view import EVALUATION_SPLIT
    from dashboard.cache.scores import evaluation_of
    from dashboard.cache.trained_models import updated
    from pipeline.evaluate import seeds as seeds_module

    _need_images(plan)
    groups = seeds_module.finished_seed_groups()
    members = {
        run_id
        for default in plan.runs.values()
        for group in seeds_module.compared_groups(default, groups)
        for run_id in group.run_ids
    }
    others = sorted(members - set(plan.runs.values()))
    if not others:
        raise Skipped("no other seed of these runs")
    for run_id in sorted(members):  # the default runs' figures too: the table asks for all
        evaluation_of(
            run_id,
            updated(run_id),
            plan.source,
            plan.fingerprint,
            EVALUATION_SPLIT,
            with_bootstrap=False,
        )
    return f"{len(others)} more runs scored"


# ---- Predictions ----


def predictions_steps(plan: Plan) -> list[Step]:
    return [
        Step(
            f"Predictions: {name} verdict and Grad-CAM", lambda fw=framework: explain(plan, fw), 600
        )
        for framework, name in FRAMEWORK_NAMES.items()
    ]


def explain(plan: Plan, framework: str) -> str:
    """The Predictions page's first view (``first_view``): its first test image, both verdicts,
    the default map and its ROAD score; and the pointing game on synthetic data."""
    import numpy as np

    from dashboard.app.first_view import MAP_METHOD, MAP_TARGET, first_image, map_layer
    from dashboard.cache.scores import (
        framework_stack,
        pointing,
        test_probabilities,
        test_split,
        verdict,
    )
    from dashboard.cache.trained_models import updated
    from pipeline.data import CLASS_NAMES, open_source

    loaded = _need_model(plan, framework)
    framework_stack(tuple(sorted(plan.models)))
    stamp, layer = updated(loaded.run_id), map_layer(loaded.img_size)
    split = test_split(plan.source, plan.fingerprint, loaded.img_size)
    test_probabilities(loaded.run_id, stamp, plan.source, plan.fingerprint)
    first = first_image(plan.models, plan.source, plan.fingerprint) if len(split) else None
    if first is None:
        raise Skipped("the test split of this source is empty")
    pixels = split.images[int(np.flatnonzero(split.origins == first.origin)[0])]
    target = CLASS_NAMES.index(MAP_TARGET)
    road = loaded.backend != "onnx"  # the page measures ROAD only with the framework loaded
    verdict(loaded.run_id, stamp, MAP_METHOD, layer, target, pixels, measure_road=road)
    done = f"Grad-CAM at {layer} for test image #{first.index}"
    if road:
        done += " and its ROAD score"
    if open_source(plan.source).kind == "synthetic":
        pointing(loaded.run_id, stamp, layer, plan.source, plan.fingerprint)
        done += ", pointing game"
    return done


# ---- the talk ----


def talk_steps(plan: Plan) -> list[Step]:
    return [
        Step("Talk: both pipelines on this data", lambda: talk_pipelines(plan), 120),
        Step("Talk: the MODEL slide (both models built)", model_slide, 180),
        Step("Conclusion: Keras vs PyTorch", lambda: conclusion_table(plan), 600),
        Step("Conclusion and In a nutshell: the processing pair", lambda: pair(plan), 600),
        Step("Insights: the mini demo", run_mini_demo, 300),
    ]


def talk_pipelines(plan: Plan) -> str:
    from dashboard.cache.talk_pages import normalised_train, torch_stages

    _need_images(plan)
    normalised = normalised_train(plan.source)
    stages = torch_stages(plan.source)
    return f"{normalised.shape_after} normalised, {stages.dataset_length:,} Dataset items"


def model_slide() -> str:
    """The MODEL slide's description of both built models (cached on disk once built)."""
    from dashboard.cache.talk_live import built_architecture

    found = built_architecture()
    return ", ".join(f"{name}: {side.parameters:,} weights" for name, side in found.models.items())


def conclusion_table(plan: Plan) -> str:
    """The Conclusion's table for its default runs (scored once, then cached on disk)."""
    from dashboard.cache.trained_models import model_of
    from pipeline.talk import conclusion

    _need_images(plan)
    runs = conclusion.default_runs(plan.source)
    if any(run is None for run in runs.values()):
        raise Skipped("needs a finished run of each framework whose labels match this source")
    rows = conclusion.framework_table(plan.source, runs, loader=model_of)
    seeds = conclusion_seed_table(plan)
    return f"{len(rows)} rows for runs " + ", ".join(run.id[:8] for run in runs.values()) + seeds


def conclusion_seed_table(plan: Plan) -> str:
    """The Conclusion's "across seeds" table: every seed of the pair of groups it shows, scored."""
    from dashboard.cache.trained_models import model_of
    from pipeline.evaluate import seeds as seeds_module
    from pipeline.runs import Run
    from pipeline.runs.choice import runs_to_show
    from pipeline.talk import conclusion

    groups = seeds_module.seed_groups(runs_to_show(plan.source).runs)
    pair = seeds_module.framework_pair(groups) or ()
    for group in pair:
        for run_id in group.run_ids:
            conclusion.seed_figures(Run(run_id), plan.source, model_of)
    return f"; seed table: {' and '.join(g.describe() for g in pair)}" if pair else ""


def pair(plan: Plan) -> str:
    """The Nutshell's pair (the newest measured), compared on the test split (cached on disk)."""
    from dashboard.app.first_view import nutshell_pair
    from dashboard.cache.trained_models import model_of
    from pipeline.talk.processing_pair import compare_pair

    _need_images(plan)
    shown = nutshell_pair(plan.source)
    if shown is None:
        raise Skipped("no finished pair of runs with and without processing on this source")
    comparison = compare_pair(shown, plan.source, loader=model_of)
    return f"verdict: {comparison.verdict}"


def run_mini_demo() -> str:
    """The Insights page's mini demo, once, for one epoch: Keras's first fit and the digits are paid for.

    Its result is not kept: the demo is there to train live in front of the audience, which
    then takes seconds instead of the first fit's start-up.
    """
    from dashboard.context.deployment import frameworks_may_load, training_allowed

    if not training_allowed() or not frameworks_may_load():
        raise Skipped("training is turned off on this shared deployment (allow_training)")
    try:
        from pipeline.talk import mini_demo as demo
    except ImportError as error:
        raise Skipped(f"the mini demo cannot be imported ({error})") from None
    result = demo.run_demo(epochs=1, seed=demo.DEFAULT_SEED)
    return f"one epoch on {result.dataset} ({result.workflow_seconds:.1f} s); the page still trains it live"


# Each results page's first view, in the order the warm-up fills them.
PAGES = (evaluation_steps, predictions_steps, talk_steps)


def _need_images(plan: Plan) -> None:
    if plan.fingerprint is None:
        raise Skipped("the source's images did not load (see above)")


def _need_model(plan: Plan, framework: str):
    _need_images(plan)
    if framework not in plan.runs:
        raise Skipped(f"no finished {FRAMEWORK_NAMES[framework]} run for this source")
    if framework not in plan.models:
        raise Skipped(f"the {FRAMEWORK_NAMES[framework]} model did not load (see above)")
    return plan.models[framework]


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return text[:200]


# ---- the action ----


@st.cache_resource
def last_warmup() -> dict:
    """The process's latest warm-up (its caches serve every session, so its report does too)."""
    return {}


ICONS = {
    "done": ":material/check_circle:",
    "skipped": ":material/skip_next:",
    "failed": ":material/error:",
    "timed out": ":material/hourglass_top:",
}


def warm_up(
    source: str, report: Callable[[int, int, StepResult], None] = lambda *_: None
) -> list[StepResult]:
    """Run every step for ``source``; ``report(i, n, outcome)`` after each. Never raises."""
    plan = Plan(source)
    steps = plan_steps(plan)
    outcomes = []
    for index, step in enumerate(steps):
        outcomes.append(run_bounded(step))
        report(index + 1, len(steps), outcomes[-1])
    last_warmup().update(source=source, ended=time.time(), outcomes=outcomes)
    return outcomes


def warmup_action(key: str) -> None:
    """The button; while it runs, a progress bar and each step's result and duration."""
    source = active_source()
    clicked = st.button(
        "Warm up for the talk",
        key=key,
        icon=":material/local_fire_department:",
        help="Loads the frameworks, the images, the latest model of each framework and what "
        "the Evaluation and Predictions pages compute first, for every later visitor.",
    )
    if not clicked:
        _last_summary(source)
        return
    with st.status(f"Warming up for `{source}`...", expanded=True) as status:
        bar = st.progress(0.0, text="Starting...")

        def report(done: int, total: int, outcome: StepResult) -> None:
            st.markdown(
                f"{ICONS[outcome.state]} **{outcome.name}** ({outcome.seconds:.1f} s): "
                f"{outcome.state}{': ' + outcome.detail if outcome.detail else ''}"
            )
            bar.progress(done / total, text=f"{done} / {total} steps")

        outcomes = warm_up(source, report)
        status.update(
            label=_summary(outcomes),
            state="error" if _count(outcomes, "failed") else "complete",
            expanded=True,
        )


def _last_summary(source: str) -> None:
    last = last_warmup()
    if last.get("source") == source:
        minutes = (time.time() - last["ended"]) / 60
        st.caption(f"Last warm-up {minutes:.0f} min ago: {_summary(last['outcomes'])}")


def _summary(outcomes: list[StepResult]) -> str:
    seconds = sum(outcome.seconds for outcome in outcomes)
    counts = ", ".join(
        f"{_count(outcomes, state)} {state}" for state in ICONS if _count(outcomes, state)
    )
    return f"Warm-up: {counts} in {seconds:.0f} s"


def _count(outcomes: list[StepResult], state: str) -> int:
    return sum(outcome.state == state for outcome in outcomes)
