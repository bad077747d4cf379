"""Training: the talk's CNN in Keras and in PyTorch, trained in a process of its own, followed live.

This page only asks and reads. ``pipeline.training.queue.trigger`` returns a finished run from
the store, follows one in progress, or queues a new one for a worker process; a fragment
reads the run store every second for progress. Neither framework is imported here, so the
Streamlit process stays small while a training runs, and a reload loses nothing.
"""

import pandas as pd
import streamlit as st

from dashboard.cache.datasets import source_fingerprint
from dashboard.charts.training_curves import Curves, training_curves
from dashboard.context.deployment import training_allowed, training_off_notice
from dashboard.context.source import active_source
from dashboard.widgets.common import (
    FRAMEWORK_NAMES,
    framework_name,
    live_fragment,
    pick_frameworks,
    unreadable_source,
)
from dashboard.widgets.slide import Slide
from pipeline.augment import PRESETS as AUGMENT_PRESETS
from pipeline.augment import SpecError, load_for_training
from pipeline.data import SourceError, open_source
from pipeline.runs import ACTIVE, STATES, Run, RunError, RunStatus, RunSummary, StoreError, all_runs
from pipeline.runs.listing import RunFilter
from pipeline.talk import notes
from pipeline.training.config import (
    FIELDS,
    PRESETS,
    ConfigError,
    SettingField,
    TrainConfig,
    config_diff_text,
    config_differences,
)
from pipeline.training.devices import check_gpu_available, device_line, nvidia_gpus
from pipeline.training.estimate import (
    duration_text,
    estimate_seconds,
    fraction_and_eta,
    position_text,
)
from pipeline.training.queue import cancel, refresh, trigger

FOLLOWED = "training_followed"  # session key: {framework: run id} of the runs shown live
FROM_AUGMENT_PAGE = "chosen on the Augmentation page"
SETTING_COLUMNS = 4
HISTORY_COLUMNS = (
    "run",
    "status",
    "framework",
    "source",
    "img_size",
    "epochs",
    "seed",
    "val AUC",
    "val accuracy",
    "device",
    "created",
)
SHORT_KEYS = {  # widget keys older than FIELDS, kept: tests and saved sessions use them
    "early_stopping_patience": "patience",
    "label_smoothing": "smoothing",
    "mixup_alpha": "mixup",
    "ema_decay": "ema",
}


# ---- settings ----


def settings(source: str) -> tuple[list[str], dict]:
    """The frameworks to train and each one's config (or the ConfigError that stops it)."""
    st.subheader("Settings")
    left, right = st.columns([1, 2])
    frameworks = pick_frameworks(
        left, "train_frameworks", "Both: one click trains Keras, then PyTorch."
    )
    preset = right.radio(
        "Preset",
        ["quick", "full", "talk", "custom"],
        horizontal=True,
        key="train_preset",
        captions=[
            "demo, minutes on a CPU",
            "the robust recipe",
            "the talk's settings",
            "set every value",
        ],
    )
    augment = augmentation_choice()
    changes = custom_settings() if preset == "custom" else {}
    base = "full" if preset == "custom" else preset
    configs = {}
    for framework in frameworks:
        try:
            overrides = {"framework": framework, "source": source, **changes}
            if augment is not None:
                overrides["augment"] = augment
            config = TrainConfig.from_preset(base, **overrides).validate()
            configs[framework] = check_gpu_available(config, gpu_names())
        except ConfigError as error:
            configs[framework] = error
    return frameworks, configs


def seed_group() -> list[int] | None:
    """Seeds to train as a group (one run each), or None for the settings' own seed."""
    text = st.text_input(
        "Seeds (a group)",
        value="",
        placeholder="e.g. 0,1,2",
        key="train_seeds",
        help="Train one run per seed, each cached on its own, so the pages can show the "
        "seed-to-seed spread. Empty: the preset's (or the custom) seed only.",
    )
    if not text.strip():
        return None
    try:
        seeds = [int(part) for part in text.split(",")]
    except ValueError:
        st.error(f"Seeds: expected whole numbers separated by commas, e.g. 0,1,2; got {text!r}")
        return None
    if len(set(seeds)) != len(seeds) or any(seed < 0 for seed in seeds):
        st.error(f"Seeds: each seed once and none negative; got {text!r}")
        return None
    st.caption(f"{len(seeds)} runs per framework, one per seed: {', '.join(map(str, seeds))}.")
    return seeds


def augmentation_choice():
    """The augmentation spec: the Augmentation page's choice, a named preset, or the preset's own."""
    try:
        saved = load_for_training()
    except SpecError as error:
        st.warning(
            f"The augmentation saved on the Augmentation page cannot be read ({error}); "
            "using the training preset's own augmentation instead."
        )
        saved = None
    options = (
        ([FROM_AUGMENT_PAGE] if saved is not None else [])
        + ["preset's own"]
        + list(AUGMENT_PRESETS)
    )
    choice = st.selectbox(
        "Augmentation",
        options,
        key="train_augment",
        help="Save a spec on the Augmentation page to train with it here.",
    )
    if saved is None:
        st.caption("No augmentation saved on the Augmentation page yet: the preset's own is used.")
    if choice == FROM_AUGMENT_PAGE:
        return saved
    return None if choice == "preset's own" else AUGMENT_PRESETS[choice]


def custom_settings() -> dict:
    """A widget for every scalar setting (``pipeline.training.config.FIELDS``), starting from
    ``full``. Ranges are checked by ``TrainConfig.validate`` (one source of truth), so an
    impossible value gets its message."""
    full = PRESETS["full"]
    columns = st.columns(SETTING_COLUMNS)
    return {
        spec.name: setting_widget(spec, getattr(full, spec.name), columns[i % SETTING_COLUMNS])
        for i, spec in enumerate(FIELDS)
    }


def setting_widget(spec: SettingField, value, cell):
    """One setting's widget in ``cell``, at ``value``; its key is ``train_`` and the field's name
    (or the short name the tests and browser tests know it by)."""
    key = f"train_{SHORT_KEYS.get(spec.name, spec.name)}"
    if spec.kind == "choice":
        return cell.selectbox(
            spec.label, spec.choices, index=spec.choices.index(value), key=key, help=spec.help
        )
    if spec.kind == "switch":
        return cell.checkbox(spec.label, value=value, key=key, help=spec.help)
    return cell.number_input(
        spec.label, value=value, step=spec.step, format=spec.format, key=key, help=spec.help
    )


# ---- device and estimate ----


@st.cache_data(show_spinner=False)
def gpu_names() -> list[str]:
    """CUDA GPUs from nvidia-smi: asking a framework would load it into this process."""
    return nvidia_gpus()


@st.cache_data(show_spinner=False, max_entries=8)
def training_images(source: str, fingerprint: str) -> int:
    return len(open_source(source).scan().split("train"))


def devices_and_estimate(
    frameworks: list[str], configs: dict, source: str, runs_each: int = 1
) -> None:
    st.caption(device_line(gpu_names()))
    if gpu_names() or not configs:
        return
    try:
        images = training_images(source, source_fingerprint(source))
    except (SourceError, OSError, ValueError):
        return  # the start button reports the source's problem
    estimates = {
        f: runs_each * estimate_seconds(c, images)
        for f, c in configs.items()
        if isinstance(c, TrainConfig)
    }
    if estimates:
        parts = [f"{FRAMEWORK_NAMES[f]} about {duration_text(s)}" for f, s in estimates.items()]
        st.info(
            f"Estimated duration on this CPU ({images:,} training images): "
            + ", ".join(parts)
            + (
                f"; {duration_text(sum(estimates.values()))} in all." if len(estimates) > 1 else "."
            ),
            icon=":material/timer:",
        )


# ---- start ----


def start_button(frameworks: list[str], configs: dict, seeds: list[int] | None = None) -> None:
    if not training_allowed():
        training_off_notice()
        return
    problems = [(f, c) for f, c in configs.items() if isinstance(c, ConfigError)]
    for framework, error in problems:
        st.error(
            f"{FRAMEWORK_NAMES[framework]}: the setting **{error.field}** cannot be used: {error.message}",
            icon=":material/error:",
        )
    label = (
        "Train " + " and ".join(FRAMEWORK_NAMES[f] for f in frameworks) if frameworks else "Train"
    )
    if not st.button(
        label,
        type="primary",
        icon=":material/play_arrow:",
        disabled=not frameworks,
        key="train_start",
    ):
        return
    if problems:
        return
    followed = st.session_state.setdefault(FOLLOWED, {})
    for framework in frameworks:
        for seed in seeds or [None]:
            config = configs[framework] if seed is None else configs[framework].replace(seed=seed)
            key = framework if seed is None else f"{framework} seed {seed}"
            if not _start(config, key, followed):
                return


def _start(config: TrainConfig, key: str, followed: dict) -> bool:
    """Trigger one run and follow it; False when nothing more can start (disk or data)."""
    name = FRAMEWORK_NAMES[config.framework]
    try:
        outcome = trigger(config)
    except ConfigError as error:
        st.error(f"{name}: the setting **{error.field}** cannot be used: {error.message}")
        return True
    except StoreError as error:  # before OSError, which it is: the disk refused, not the data
        st.error(f"Training cannot start: {error}")
        return False
    except (SourceError, OSError) as error:
        st.error(unreadable_source(config.source, error))
        return False
    followed[key] = outcome.run.id
    if outcome.how == "cached":
        st.toast(f"{name}: this exact training finished before; showing its results.")
    elif outcome.how == "attached":
        st.toast(f"{name}: this training is already under way; following it.")
    return True


# ---- live progress ----


def followed_runs() -> list[Run]:
    """This session's runs, plus any queued or running one (started elsewhere, or before a reload)."""
    ids = dict.fromkeys(st.session_state.get(FOLLOWED, {}).values())
    for run in all_runs():
        if run.state in ACTIVE:
            ids.setdefault(run.id)
    return [Run(run_id) for run_id in ids]


def live_runs() -> None:
    """The followed runs' progress; polls the run store only while one is queued or running."""
    active = any(run.state in ACTIVE for run in followed_runs())
    live_fragment(draw_progress, active)


def draw_progress() -> bool:
    refresh()  # a dead worker's run becomes failed; a waiting run gets a worker
    runs = followed_runs()
    if not runs:
        return False
    st.subheader("Progress")
    active = False
    for run in runs:
        active |= run_status(run)
    lines = [
        Curves(
            run.config().framework or "?",
            run.progress().epochs,
            f"{framework_name(run.config().framework)} {{split}} ({run.id[:6]})",
        )
        for run in runs
    ]
    st.plotly_chart(training_curves(lines), key="train_curves")
    return active


def run_status(run: Run) -> bool:
    """One line per run: framework, state, epoch, step, ETA, device; True while it is active."""
    status, config, progress = run.status(), run.config(), run.progress()
    framework = FRAMEWORK_NAMES.get(config.framework, "?")
    state = status.status
    columns = st.columns([5, 1])
    with columns[0]:
        if state == "running":
            done, eta = fraction_and_eta(progress)
            eta_text = f", about {duration_text(eta)} left" if eta is not None else ""
            where = position_text(progress)
            stopping = " (cancelling...)" if status.cancel_requested else ""
            st.progress(
                done,
                text=f"**{framework}** `{run.id}`{trains_on(status)}: {where}{eta_text}{stopping}",
            )
        elif state == "queued":
            st.progress(
                0.0, text=f"**{framework}** `{run.id}`: queued, waiting for the training before it"
            )
        elif state == "finished":
            result = run.result()
            val, timings = result.val, result.timings
            st.success(
                f"**{framework}** `{run.id}`{trains_on(status)}: finished on {result.device.name}"
                " - validation "
                f"AUC {val.auc:.3f}, accuracy {val.accuracy:.3f} "
                f"({timings.seconds_per_epoch:.1f} s/epoch, "
                f"{timings.images_per_s:.0f} images/s)",
                icon=":material/check_circle:",
            )
        elif state == "cancelled":
            st.warning(f"**{framework}** `{run.id}`: cancelled.", icon=":material/cancel:")
        else:
            st.error(
                f"**{framework}** `{run.id}`: {state}. {status.error or ''}",
                icon=":material/error:",
            )
    if state in ACTIVE and columns[1].button(
        "Cancel", key=f"cancel_{run.id}", icon=":material/stop:"
    ):
        cancel(run.id)
        st.rerun(scope="fragment")
    return state in ACTIVE


def trains_on(status: RunStatus) -> str:
    """ " on <node's hostname> (Ray)" for a run that records where it trains (its executor and
    node); "" for a run that records nothing."""
    node = status.node
    if not node:
        return ""
    return f" on {node.hostname}" + (" (Ray)" if status.executor == "ray" else "")


# ---- history ----


def history() -> None:
    st.subheader("Run history")
    summaries = [run.summary() for run in all_runs()]
    if not summaries:
        st.caption("No runs yet.")
        return
    shown = history_filter(summaries).apply(summaries)
    st.dataframe(
        history_table(shown),
        hide_index=True,
        column_config={
            "val AUC": st.column_config.NumberColumn(format="%.3f"),
            "val accuracy": st.column_config.NumberColumn(format="%.3f"),
        },
    )
    run_ids = [summary.run_id for summary in shown]
    compare(run_ids)
    delete(run_ids)


def history_filter(summaries: list[RunSummary]) -> RunFilter:
    """Framework, status and search text, in one row (``pipeline.runs.listing.RunFilter``)."""
    left, middle, right = st.columns(3)
    known = {s.framework for s in summaries if s.framework}
    frameworks = left.multiselect(
        "Framework",
        sorted(known, key=framework_name),
        format_func=framework_name,
        key="history_framework",
    )
    states = middle.multiselect("Status", STATES, key="history_status")
    text = right.text_input("Search (run id or source)", key="history_search")
    return RunFilter(tuple(frameworks), tuple(states), text)


def history_table(summaries: list[RunSummary]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "run": r.run_id,
                "status": r.status,
                "framework": FRAMEWORK_NAMES.get(r.framework, r.framework),
                "source": r.source,
                "img_size": r.img_size,
                "epochs": r.epochs,
                "seed": r.seed,
                "val AUC": r.val.auc if r.val else None,
                "val accuracy": r.val.accuracy if r.val else None,
                "device": r.device,
                "created": pd.to_datetime(r.created, unit="s") if r.created else None,
            }
            for r in summaries
        ],
        columns=HISTORY_COLUMNS,
    )


def compare(run_ids: list[str]) -> None:
    """The settings that differ between two runs, and a unified diff of their configs."""
    if len(run_ids) < 2:
        return
    with st.expander("Compare two runs' configs", icon=":material/difference:"):
        left, right = st.columns(2)
        first = left.selectbox("Run A", run_ids, index=0, key="compare_a")
        second = right.selectbox("Run B", run_ids, index=1, key="compare_b")
        a, b = Run(first).config().to_dict(), Run(second).config().to_dict()
        differing = config_differences(a, b)
        if not differing:
            st.caption(
                "Same settings (they differ in data or model code, or they are the same run)."
            )
            return
        table = pd.DataFrame([row.to_dict() for row in differing])
        st.dataframe(table.astype(str), hide_index=True)
        st.code(config_diff_text(a, b, f"run {first}", f"run {second}"), language="diff")


def delete(run_ids: list[str]) -> None:
    if not training_allowed():  # a shared deployment: a visitor must not remove the shipped runs
        return
    with st.expander("Delete a run", icon=":material/delete:"):
        chosen = st.selectbox("Run", run_ids, key="delete_run")
        if st.button("Delete", key="delete_button", disabled=not chosen):
            try:
                Run(chosen).delete()
            except RunError as error:
                st.error(str(error))
                return
            st.session_state[FOLLOWED] = {
                f: r for f, r in st.session_state.get(FOLLOWED, {}).items() if r != chosen
            }
            st.rerun()


# ---- the page ----


def main() -> None:
    st.title("Training")
    st.caption(
        "The talk's CNN, trained in a separate process (one training at a time on this machine). "
        "Leave or reload the page at any time: the training goes on and this page picks it up again."
    )
    slide = Slide()
    source = active_source()
    with slide.controls("Settings and start"):
        frameworks, configs = settings(source)
        seeds = seed_group()
        devices_and_estimate(frameworks, configs, source, len(seeds or [0]))
        start_button(frameworks, configs, seeds)
    with slide.key():  # the runs of both frameworks; a live training's progress follows
        history()
    live_runs()
    slide.notes(notes.training(all_runs()))


main()
