"""The Augmentation page's Search section: an Optuna search of the spec (``pipeline.tune``),
started, followed live, each trial previewed, the best taken into the studio.

Nothing searches in the Streamlit script: ``start_search`` starts ``python -m pipeline.tune``
in a process of its own, whose trials are cached trainings in the run queue, and this section
only reads ``search_state`` (Optuna's storage in the cache): every second while the search
runs, once when it has ended. Every number drawn here comes from that state. The studio
hands in how it draws a spec (``preview``) and fills its widgets (``load``), so a trial is
previewed exactly as the studio previews its own spec.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard.context.deployment import training_allowed
from dashboard.widgets.common import framework_name, live_fragment, pick_frameworks
from pipeline.augment.spec import FIELDS, AugmentSpec, SpecError
from pipeline.runs import Run
from pipeline.training.config import PRESETS, ConfigError
from pipeline.training.executors import EXECUTORS, executor_named
from pipeline.tune import (
    SearchError,
    SearchState,
    Trial,
    cancel_search,
    list_searches,
    search_state,
    start_search,
)
from pipeline.tune.study import tune_dir

SHOWN_KEY = "aug_search"  # the search shown (its name), the select box's key
START_MESSAGE = "aug_search_started"  # (kind, text) left by a callback for the next run to show
USE_MESSAGE = "aug_search_used"
SEEDS = tuple(range(10))
TRIALS_DEFAULT = 12
STATE_MARKERS = {  # how the objective chart marks each trial state
    "complete": ("circle", "#2a9d8f"),
    "pruned": ("x", "#8d99ae"),
    "failed": ("triangle-down", "#d62828"),
    "running": ("circle-open", "#8d99ae"),
}
TRAINING_OFF = (
    "Training is turned off on this deployment, so no search can start here; the searches run "
    "before are below."
)


def search_section(
    source: str, preview: Callable[[AugmentSpec], None], load: Callable[[AugmentSpec], None]
) -> None:
    """The whole section: start, choose a search, follow it, preview a trial, use the best."""
    st.header("Search", anchor="search")
    st.caption(
        "An Optuna search of the spec: each trial trains the talk's CNN with one spec (cached "
        "runs, in a process of their own) and is scored by the mean AUC under shift stress on "
        "the validation split."
    )
    if training_allowed():
        with st.expander("Start a search", icon=":material/play_arrow:"):
            start_form(source)
    else:
        st.info(TRAINING_OFF, icon=":material/block:")
    show_message(START_MESSAGE)
    name = choose_search()
    if name is None:
        return
    state = read_state(name)
    if state is None:
        return
    live_fragment(lambda: follow(name), active=state.running)
    use_best_button(name, load)
    preview_trial(state, preview)


# ---- start ----


@dataclass(frozen=True)
class SearchRequest:
    """What the start form asks for: ``start_search``'s arguments."""

    source: str
    frameworks: tuple[str, ...]
    trials: int
    preset: str
    seeds: tuple[int, ...]
    executor: str

    @property
    def trainings(self) -> int:
        """The most runs it can train: a pruned trial stops early, a cached run costs nothing."""
        return self.trials * len(self.frameworks) * len(self.seeds)


def start_form(source: str) -> None:
    """The search's settings, what they cost at most, and the button that starts it."""
    request = requested(source)
    st.caption(
        f"At most {counted(request.trainings, 'training')} ({counted(request.trials, 'trial')} "
        f"× {counted(len(request.frameworks), 'framework')} × "
        f"{counted(len(request.seeds), 'seed')}): a pruned trial skips its remaining runs, and "
        "settings trained before are taken from the cache."
    )
    st.button(
        "Start the search",
        type="primary",
        icon=":material/travel_explore:",
        key="aug_search_start",
        disabled=not request.trainings,
        on_click=start,
        args=(request,),
    )


def requested(source: str) -> SearchRequest:
    """Frameworks, trials, training preset, seeds and executor, one widget each."""
    left, middle, right = st.columns([2, 1, 1])
    frameworks = pick_frameworks(
        left,
        "aug_search_frameworks",
        "A trial's objective is the mean over these frameworks (and the seeds).",
    )
    trials = middle.number_input(
        "Trials",
        1,
        200,
        TRIALS_DEFAULT,
        key="aug_search_trials",
        help="The trials the search holds in all: the same settings started again resume it.",
    )
    preset = right.selectbox(
        "Training preset",
        list(PRESETS),
        key="aug_search_preset",
        help="Every trial trains with this preset's settings and the trial's spec.",
    )
    left, right = st.columns([3, 1])
    seeds = left.multiselect(
        "Seeds", SEEDS, default=[0], key="aug_search_seeds", help="One run per seed each trial."
    )
    executor = right.selectbox(
        "Executor",
        list(EXECUTORS),
        key="aug_search_executor",
        help="local: this machine's training slot; ray: tasks on the Ray cluster that "
        "RAY_ADDRESS names (none: a local Ray instance).",
    )
    return SearchRequest(
        source, tuple(frameworks), int(trials), preset, tuple(sorted(seeds)), executor
    )


def start(request: SearchRequest) -> None:
    """The start button's callback: start the search and show it (or say why it cannot start)."""
    try:
        executor_named(request.executor)  # Ray missing: said here, not in the search's log
        name = start_search(
            request.source,
            request.frameworks,
            request.trials,
            request.preset,
            request.seeds,
            request.executor,
        )
    except (ConfigError, SearchError, OSError) as error:
        st.session_state[START_MESSAGE] = ("error", f"The search cannot start: {error}")
        return
    st.session_state[SHOWN_KEY] = name
    st.session_state[START_MESSAGE] = ("success", f"Search `{name}` started.")


def counted(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def show_message(key: str) -> None:
    message = st.session_state.pop(key, None)
    if message:
        getattr(st, message[0])(message[1])


# ---- which search ----


def choose_search() -> str | None:
    """A select box over the searches in the cache (newest first), or None when there is none.
    The default is the one this session started, else the newest."""
    names = list_searches()
    if not names:
        st.caption("No search yet.")
        return None
    if st.session_state.get(SHOWN_KEY) not in names:
        st.session_state[SHOWN_KEY] = names[0]
    return st.selectbox("Search", names, key=SHOWN_KEY)


def read_state(name: str) -> SearchState | None:
    try:
        return search_state(name)
    except (SearchError, OSError) as error:
        st.error(f"The search `{name}` cannot be read: {error}")
        return None


# ---- follow ----


def follow(name: str) -> bool:
    """The search's progress, trials, charts and basis; True while it runs (the fragment polls)."""
    state = read_state(name)
    if state is None:
        return False
    status(state)
    if state.trials:
        trials_table(state)
        left, right = st.columns(2)
        left.plotly_chart(objective_chart(state), key="aug_search_objective")
        with right:
            importance_chart(state)
        st.caption(basis(state))
    return state.running


def status(state: SearchState) -> None:
    counts = state_counts(state)
    done = ", ".join(f"{n} {what}" for what, n in counts.items() if n)
    best = (
        f"; best objective {state.best_objective:.4f}" if state.best_objective is not None else ""
    )
    if not state.running:
        text = (
            "Not running (finished or stopped: the same settings started again resume it): "
            f"{done or 'no trials'}{best}."
        )
        if best:
            st.success(text, icon=":material/check_circle:")
        else:  # nothing scored: the search process's own words say why
            st.warning(f"{text} The search's output is in `{tune_dir() / state.name}.log`.")
        return
    columns = st.columns([5, 1])
    columns[0].info(f"Running: {done or 'starting'}{best}.", icon=":material/hourglass_top:")
    columns[1].button(
        "Cancel",
        key="aug_search_cancel",
        icon=":material/stop:",
        on_click=cancel_search,
        args=(state.name,),
    )


def state_counts(state: SearchState) -> dict[str, int]:
    counts = dict.fromkeys(STATE_MARKERS, 0)
    for trial in state.trials:
        counts[trial.state] = counts.get(trial.state, 0) + 1
    return counts


def trials_table(state: SearchState) -> None:
    """One row per trial: state, objective, seed spread, cost, and the values the search varies."""
    varied = varied_fields(state.trials)
    rows = [
        {
            "trial": trial.number,
            "state": trial.state,
            "objective": trial.objective,
            "spread": trial.spread,
            "cost (s)": trial.cost_s,
            "spec": spec_of(trial).stable_hash() if spec_of(trial) else "?",
            **{field: shown_value(trial.augment.get(field)) for field in varied},
        }
        for trial in state.trials
    ]
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        width="stretch",
        column_config={
            "objective": st.column_config.NumberColumn(format="%.4f"),
            "spread": st.column_config.NumberColumn(
                format="%.4f", help="sd of the objective over the seeds; none with one seed"
            ),
            "cost (s)": st.column_config.NumberColumn(format="%.0f"),
        },
    )


def varied_fields(trials: tuple[Trial, ...]) -> list[str]:
    """The spec fields whose values differ between trials, in ``FIELDS`` order."""
    return [
        field.name
        for field in FIELDS
        if len({repr(trial.augment.get(field.name)) for trial in trials}) > 1
    ]


def shown_value(value) -> str:
    if isinstance(value, list | tuple):
        return " – ".join(f"{v:.3g}" for v in value)
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def spec_of(trial: Trial) -> AugmentSpec | None:
    """The trial's spec; None before it has drawn one, or when it cannot be read."""
    if not trial.augment:
        return None
    try:
        return AugmentSpec.from_dict(trial.augment)
    except SpecError:
        return None


# ---- charts ----


def objective_chart(state: SearchState) -> go.Figure:
    """The objective per trial, marked by state, and the best so far over complete trials."""
    figure = go.Figure()
    for what, (symbol, colour) in STATE_MARKERS.items():
        shown = [t for t in state.trials if t.state == what and t.objective is not None]
        if shown:
            figure.add_trace(
                go.Scatter(
                    x=[t.number for t in shown],
                    y=[t.objective for t in shown],
                    mode="markers",
                    name=what,
                    marker={"symbol": symbol, "color": colour, "size": 10},
                )
            )
    for trial in state.trials:  # a trial that ended without a score (failed before one)
        if trial.objective is None and trial.state != "running":
            figure.add_vline(
                x=trial.number,
                line_dash="dot",
                line_color=STATE_MARKERS.get(trial.state, STATE_MARKERS["failed"])[1],
            )
    x, best = best_so_far(state.trials)
    if x:
        figure.add_trace(go.Scatter(x=x, y=best, mode="lines", name="best so far", line_shape="hv"))
    figure.update_layout(
        title="Objective by trial",
        xaxis={"title": "trial", "dtick": max(1, math.ceil(len(state.trials) / 12))},
        yaxis_title="stress mean AUC (validation)",
        height=380,
        margin={"t": 40, "b": 20},
        legend={"orientation": "h", "y": -0.25},
    )
    return figure


def best_so_far(trials: tuple[Trial, ...]) -> tuple[list[int], list[float]]:
    """The best complete objective up to each complete trial, in trial order."""
    xs, best = [], []
    for trial in sorted(trials, key=lambda t: t.number):
        if trial.state == "complete" and trial.objective is not None:
            xs.append(trial.number)
            best.append(max(trial.objective, best[-1]) if best else trial.objective)
    return xs, best


def importance_chart(state: SearchState) -> None:
    if not state.importances:
        st.caption("Field importances need at least two complete trials.")
        return
    ranked = sorted(state.importances.items(), key=lambda item: item[1])
    figure = go.Figure(go.Bar(x=[v for _, v in ranked], y=[k for k, _ in ranked], orientation="h"))
    figure.update_layout(
        title="Importance of each field",
        xaxis_title="importance (share of the objective's variance)",
        height=380,
        margin={"t": 40, "b": 20},
    )
    st.plotly_chart(figure, key="aug_search_importance")


def basis(state: SearchState) -> str:
    """What the charts rest on: trials, frameworks, seeds, the runs' settings, and the split
    that flatters. Seeds and settings are read from the trials' runs (the run store)."""
    counts = state_counts(state)
    configs = [Run(run_id).config() for trial in state.trials for run_id in trial.run_ids]
    seeds = sorted({c.seed for c in configs if c.seed is not None})
    trained = sorted(
        {f"{c.img_size} px, {counted(c.epochs, 'epoch')}" for c in configs if c.to_dict()}
    )
    frameworks = " and ".join(framework_name(f) for f in state.frameworks)
    return (
        f"Basis: {counted(len(state.trials), 'trial')} ({counts['complete']} complete, {counts['pruned']} "
        f"pruned, {counts['failed']} failed) of {frameworks}, seeds "
        f"{', '.join(map(str, seeds)) or '?'}, preset {state.preset} "
        f"({'; '.join(trained) or '?'}), on {state.source}; trial 0 is the preset's own spec. "
        "Objective: the mean AUC under shift stress on the validation split, carved from the "
        "training images by patient (a pruned or running trial's: its mean so far; a dotted "
        "line: a trial that ended without one); the same split picks the best trial, so the best "
        f"objective flatters it. Importances: fANOVA over the {counts['complete']} complete "
        "trials only."
    )


# ---- a trial's spec, the best spec ----


def use_best_button(name: str, load: Callable[[AugmentSpec], None]) -> None:
    """Enabled even before a trial completes: the search runs on while this script does not,
    so the callback reads the best spec at the click, not at the last full run."""
    st.button(
        "Use the best spec in the studio",
        icon=":material/move_up:",
        key="aug_search_use_best",
        on_click=use_best,
        args=(name, load),
    )
    show_message(USE_MESSAGE)


def use_best(name: str, load: Callable[[AugmentSpec], None]) -> None:
    """The button's callback: the search's best spec as it is now, into the studio's widgets."""
    try:
        state = search_state(name)
    except (SearchError, OSError) as error:
        st.session_state[USE_MESSAGE] = ("error", f"The search cannot be read: {error}")
        return
    if state.best_augment is None:
        st.session_state[USE_MESSAGE] = ("warning", "No trial has completed yet: no best spec.")
        return
    try:
        spec = AugmentSpec.from_dict(state.best_augment)
    except SpecError as error:
        st.session_state[USE_MESSAGE] = ("error", f"The best spec cannot be used: {error}")
        return
    load(spec)
    st.session_state[USE_MESSAGE] = (
        "success",
        f"The studio now holds search `{name}`'s best spec (`{spec.stable_hash()}`, objective "
        f"{state.best_objective:.4f}): the sidebar shows its values, the samples above draw it.",
    )


def preview_trial(state: SearchState, preview: Callable[[AugmentSpec], None]) -> None:
    """A chosen trial's spec, drawn by the studio on its image (the best trial first)."""
    numbers = [t.number for t in state.trials]
    if not numbers:
        return
    best = next((t.number for t in state.trials if t.augment == state.best_augment), numbers[0])
    by_number = {t.number: t for t in state.trials}
    number = st.selectbox(
        "Preview a trial's spec",
        numbers,
        index=numbers.index(best),
        key="aug_search_trial",
        format_func=lambda n: trial_label(by_number[n], n == best),
    )
    spec = spec_of(by_number[number])
    if spec is None:
        st.warning(f"Trial {number} has no spec to draw: not drawn yet, or unreadable.")
        return
    st.caption(f"Trial {number}'s spec `{spec.stable_hash()}` on the studio's image and seed:")
    try:
        preview(spec)
    except (ValueError, RuntimeError) as error:
        st.error(f"The preview failed: {error}")


def trial_label(trial: Trial, best: bool) -> str:
    objective = (
        f"objective {trial.objective:.4f}" if trial.objective is not None else "no objective"
    )
    return f"trial {trial.number} · {trial.state} · {objective}" + (" · best" if best else "")
