"""4 · Conclusion: Keras vs PyTorch from the user's own runs, and what data processing changes.

Every figure comes from ``pipeline.talk`` (the same functions as ``python -m pipeline.talk``):
the framework table from the newest like-for-like Keras and PyTorch runs on the active source, the
processing claim from a pair of runs that differ only in augmentation and class balancing,
compared on the test split with a paired bootstrap. Trainings run in worker processes
(``pipeline.training.queue``); a fragment polls their progress. Nothing here is typed in: with
no runs, the page says which ones to start.
"""

from __future__ import annotations

import shlex
import time

import pandas as pd
import streamlit as st

from dashboard.cache.trained_models import model_of
from dashboard.charts.differences import Differences, difference_figure
from dashboard.context.deployment import training_allowed, training_off_notice
from dashboard.context.source import active_source
from dashboard.widgets import robustness
from dashboard.widgets.claims import claims_section
from dashboard.widgets.common import FRAMEWORK_NAMES, FRAMEWORKS, live_fragment, unreadable_source
from dashboard.widgets.slide import Slide, presenting
from dashboard.widgets.talk_bullets import show_talk_bullets
from pipeline.data import SourceError
from pipeline.data.images import code_span
from pipeline.inference import ModelLoadError
from pipeline.records import ComparisonRow
from pipeline.runs import ACTIVE, Run
from pipeline.runs.choice import runs_to_show
from pipeline.runs.provenance import provenance
from pipeline.talk import conclusion, framework_gap, notes
from pipeline.talk.processing_pair import (
    FIXED_THRESHOLD,
    Pair,
    PairResult,
    compare_pair,
    find_pair,
    start_pair,
    stored_pairs,
)
from pipeline.training.config import MAX_IMG_SIZE, MIN_IMG_SIZE, PRESETS, ConfigError, TrainConfig
from pipeline.training.estimate import fraction_done, position_text
from pipeline.training.queue import refresh

TRAINING_PAGE = "views/training.py"
# a damaged or deleted run, a source gone or changed: said on the page, which goes on
UNUSABLE = (ModelLoadError, SourceError, OSError, ValueError, KeyError)
STATISTICS = {
    "AUC": "AUC",
    "specificity": "NORMAL recall (specificity)",
    "sensitivity": "PNEUMONIA recall (sensitivity)",
    "accuracy": "accuracy",
}
THRESHOLD_COLOURS = {"validation": "#3b75af", "fixed": "#d1495b"}
THRESHOLD_FREE = "none (ranking)"
HEADLINE_BOX = {"helped": st.success, "hurt": st.warning, "mixed": st.info, "none": st.info}
VERDICT_ICONS = {
    "helped": ":material/trending_up:",
    "hurt": ":material/trending_down:",
    "mixed": ":material/swap_vert:",
    "none": ":material/drag_handle:",
}

# px a table row on a slide (Streamlit's default is 35): the 14 rows fit above the bar at 720 px
SLIDE_ROW_HEIGHT = 26


def describe(run: Run) -> str:
    config, result = run.config(), run.result()
    auc = result.val.auc if result is not None else None
    ended = time.strftime("%Y-%m-%d %H:%M", time.localtime(run.status().ended or 0))
    return (
        f"{run.id[:8]} · trained on {run.dataset_name()} · {config.img_size} px · "
        f"{config.epochs} epochs · seed {config.seed} · val AUC {auc:.3f} · {ended}"
        + (" · shipped" if run.origin() == "shipped" else "")
        if auc is not None
        else run.id
    )


# ---- Keras vs PyTorch ----


def framework_section(source: str, slide: Slide) -> list[conclusion.FrameworkRow] | None:
    st.header("Keras vs PyTorch")
    st.caption(
        "The best Keras and PyTorch runs trained with the same settings on the same images: this "
        "source's own runs first, else runs trained elsewhere on X-rays whose labels mean the same "
        "(choose others below). Test figures: this source's test split, at each run's own "
        "threshold chosen on its validation split."
    )
    runs = choose_runs(source)  # not folded: with a run missing, it says why
    if runs is None:
        return None
    try:
        with st.spinner("Scoring both runs on the test split (once per run, then cached)..."):
            rows = conclusion.framework_table(source, runs, loader=model_of)
    except UNUSABLE as error:
        st.error(f"The table cannot be computed: {error}")
        return None
    with slide.key():
        st.dataframe(
            table_frame(rows),
            hide_index=True,
            width="stretch",
            height="content",
            row_height=SLIDE_ROW_HEIGHT if presenting() else None,
            column_config={"computed by": st.column_config.TextColumn(width="medium")},
        )
        robustness.basis_note(source)
    st.caption(f"{basis_line(runs, source)}. {conclusion.speed_basis(runs)}")
    for sentence in conclusion.summary_sentences(rows):
        st.markdown(f"- {sentence}")
    differing = conclusion.differing_settings(runs)
    if differing:
        parts = ", ".join(
            f"**{key}**"
            + ("" if isinstance(values[0], dict) else f" {' vs '.join(map(str, values))}")
            for key, values in differing.items()
        )
        st.warning(
            f"These two runs differ in more than the framework (Keras vs PyTorch): {parts}. Train both with "
            "the same settings for a like-for-like comparison.",
            icon=":material/warning:",
        )
    return rows


def choose_runs(source: str) -> dict[str, Run] | None:
    """A finished run per framework (newest by default), or None after saying what to start."""
    candidates = conclusion.candidate_runs(source)
    defaults = conclusion.default_runs(source)
    missing = conclusion.missing_runs(
        source, {f: (c[0] if c else None) for f, c in candidates.items()}
    )
    for item in missing:
        say_missing(item, source)
    if missing:
        return None
    columns = st.columns(len(candidates))
    runs = {}
    for column, (framework, options) in zip(columns, candidates.items()):
        if len(options) == 1:
            column.caption(f"{FRAMEWORK_NAMES[framework]}: run {describe(options[0])}")
            runs[framework] = options[0]
            continue
        ids = [run.id for run in options]
        chosen = column.selectbox(
            f"{FRAMEWORK_NAMES[framework]} run",
            ids,
            index=ids.index(defaults[framework].id),
            key=f"talk_run_{framework}",
            format_func=lambda run_id: describe(Run(run_id)),
        )
        runs[framework] = Run(chosen)
    return runs


def basis_line(runs: dict[str, Run], source: str) -> str:
    """Which runs, trained on what, scored on which split: one line under the table."""
    first = next(iter(runs.values()))
    seeds = ", ".join(f"{FRAMEWORK_NAMES[f]} seed {r.config().seed}" for f, r in runs.items())
    return f"{provenance(first.id, source, 'test').label} · {seeds} (one seed each: see the seed table)"


def say_missing(item: conclusion.MissingRun, source: str) -> None:
    """Why a framework has no column: a run under way, else what to start (where training is
    allowed), else why nothing can be shown, in one sentence."""
    label = FRAMEWORK_NAMES[item.framework]
    under_way = item.under_way
    if under_way:
        st.info(
            f"No finished {label} run on this source yet: run `{under_way.run_id}` is "
            f"{under_way.status}. Its column appears here when it finishes.",
            icon=":material/hourglass_top:",
        )
    elif not training_allowed():
        reason = runs_to_show(source, item.framework).reason
        st.info(f"No {label} column: {reason}.", icon=":material/info:")
    else:
        st.warning(
            f"No finished **{label}** run on {code_span(source)} yet, so there is no {label} "
            f"column to show. Start one (preset *quick*, {label}) on the Training page, or run "
            f"`{item.command}`.",
            icon=":material/info:",
        )
        st.page_link(
            TRAINING_PAGE, label=f"Training page: train {label}", icon=":material/model_training:"
        )


def table_frame(rows: list[conclusion.FrameworkRow]) -> pd.DataFrame:
    """Rows as text, each number at its row's precision, with the better framework named."""
    return pd.DataFrame(
        [
            {
                "quantity": row.quantity,
                "Keras": _cell(row, "keras"),
                "PyTorch": _cell(row, "torch"),
                "better": "not ranked: other machines"
                if row.ranked is False
                else FRAMEWORK_NAMES.get(conclusion.better_framework(row), ""),
                "computed by": row.function.removeprefix("pipeline.talk."),
            }
            for row in rows
        ]
    )


def _cell(row: conclusion.FrameworkRow, framework: str) -> str:
    """A value at its row's precision; a speed row's mean over seeds with its spread."""
    spread, seeds = row.spread(framework), row.seeds(framework)
    text = _number(row.values[framework], row.digits)
    if spread is None:
        return text
    if row.mean:  # a mean over the seeds
        return f"{text} ± {spread:,.{row.digits}f} ({seeds} seeds)"
    return f"{text} (sd over {seeds} seeds {spread:,.{row.digits}f})"


def _number(value, digits: int) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


# ---- data processing ----


def processing_section(source: str) -> None:
    st.header("Does data processing make a difference?")
    st.markdown(
        "Two runs of the same model, image size, epochs, seed and data. They differ in exactly two settings: "
        "**with processing** trains with the talk's Transform + Sampler, as its PyTorch pipeline has them: "
        "augmentation (rotation 30°, zoom 0.2, shifts 0.1, horizontal flip: values the app's choice), "
        "Normalize with the training split's mean and std computed in advance, and a WeightedRandomSampler; "
        "**without** trains on the images as they are, with no normalisation and no class balancing. "
        "Both are scored on the same test images."
    )
    if not training_allowed():  # the measured pairs only: nothing here may start a training
        training_off_notice()
        pair_result(source, None, None)
        return
    base = pair_settings(source)
    if base is None:
        return
    try:
        pair = find_pair(base)
    except (SourceError, OSError) as error:
        st.error(unreadable_source(source, error))
        return
    start_button(base, pair)
    pair_progress(tuple(run.id for run in pair.runs))
    pair_result(source, pair, pair_command(base))


def pair_settings(source: str) -> TrainConfig | None:
    left, middle, right, last = st.columns(4)
    framework = left.radio(
        "Framework",
        FRAMEWORKS,
        index=1,
        format_func=FRAMEWORK_NAMES.get,
        horizontal=True,
        key="talk_pair_framework",
    )
    preset = middle.radio("Preset", list(PRESETS), horizontal=True, key="talk_pair_preset")
    epochs = right.number_input(
        "Epochs",
        min_value=1,
        max_value=100,
        value=PRESETS[preset].epochs,
        step=1,
        key=f"talk_pair_epochs_{preset}",
    )
    size = last.number_input(
        "Image size (px)",
        min_value=MIN_IMG_SIZE,
        max_value=MAX_IMG_SIZE,
        value=PRESETS[preset].img_size,
        step=8,
        key=f"talk_pair_size_{preset}",
    )
    try:
        return TrainConfig.from_preset(
            preset, framework=framework, source=source, epochs=int(epochs), img_size=int(size)
        ).validate()
    except ConfigError as error:
        st.error(f"The setting **{error.field}** cannot be used: {error.message}")
        return None


def pair_command(base: TrainConfig) -> str:
    """The command line that trains and compares the pair these settings describe."""
    return (
        f"python -m pipeline.talk pair --source {shlex.quote(base.source)} --framework {base.framework} "
        f"--preset {st.session_state['talk_pair_preset']} --epochs {base.epochs} --img-size {base.img_size}"
    )


def start_button(base: TrainConfig, pair: Pair) -> None:
    if not training_allowed():
        training_off_notice()
        return
    states = [run.state for run in pair.runs]
    label = "Both runs finished" if all(s == "finished" for s in states) else "Train both runs"
    help_text = (
        "Queues the run with processing, then the one without, in a training process of their own; "
        "a run that finished before is reused, never trained twice."
    )
    if not st.button(
        label,
        type="primary",
        icon=":material/play_arrow:",
        key="talk_pair_start",
        help=help_text,
        disabled=all(s == "finished" for s in states) or any(s in ACTIVE for s in states),
    ):
        return
    try:
        outcomes = start_pair(base)
    except (ConfigError, SourceError, OSError) as error:
        st.error(f"The pair cannot be started: {error}")
        return
    st.toast("Queued: " + ", ".join(f"{o.run.id[:8]} ({o.how})" for o in outcomes))


def pair_progress(run_ids: tuple[str, str]) -> None:
    """Both runs' progress; polls the run store only while either is queued or running, and
    redraws the page once (the result section appears) when the last one ends."""
    active = any(Run(run_id).state in ACTIVE for run_id in run_ids)
    live_fragment(lambda: draw_pair(run_ids), active)


def draw_pair(run_ids: tuple[str, str]) -> bool:
    refresh()  # a dead worker's run becomes failed; a waiting run gets a worker
    runs = [Run(run_id) for run_id in run_ids]
    active = any(run.state in ACTIVE for run in runs)
    if active or any(run.state in ("failed", "cancelled") for run in runs):
        for side, run in zip(("with processing", "without processing"), runs):
            run_line(side, run)
    if st.session_state.get("talk_pair_was_active") and not active:
        st.session_state["talk_pair_shown"] = " ".join(run_ids)  # show the pair that just finished
    st.session_state["talk_pair_was_active"] = active
    return active


def run_line(side: str, run: Run) -> None:
    state = run.state
    if state == "running":
        progress = run.progress()
        st.progress(
            fraction_done(progress), text=f"**{side}** `{run.id}`: {position_text(progress)}"
        )
    elif state == "queued":
        st.progress(0.0, text=f"**{side}** `{run.id}`: queued, waiting for the training before it")
    elif state == "finished":
        st.progress(1.0, text=f"**{side}** `{run.id}`: finished")
    elif state == "missing":
        st.caption(f"{side}: not started")
    else:
        error = run.status().error or ""
        st.error(f"**{side}** `{run.id}`: {state}. {error} Press the button to train it again.")


def pair_result(source: str, current: Pair | None, command: str | None) -> None:
    pairs = stored_pairs(source)
    if not pairs:
        st.info(
            f"No measured pair on this source yet: press **Train both runs**, or run `{command}`. "
            "The comparison appears here when both runs have finished."
            if command
            else "Nothing to compare: no pair of runs with and without processing has labels "
            "that mean what this source's labels mean.",
            icon=":material/info:",
        )
        return
    by_key = {pair_key(pair): pair for pair in pairs}
    wanted = pair_key(current) if current is not None else None
    keys = list(by_key)
    chosen = st.selectbox(
        "Measured pair",
        keys,
        index=keys.index(wanted) if wanted in by_key else 0,
        format_func=lambda key: describe_pair(by_key[key]),
        key="talk_pair_shown",
    )
    pair = by_key[chosen]
    try:
        with st.spinner("Scoring both runs on the test split and bootstrapping the differences..."):
            comparison = compare_pair(pair, source, loader=model_of)
    except UNUSABLE as error:
        st.error(f"The pair cannot be compared: {error}")
        return
    show_comparison(comparison)
    st.caption(provenance(pair.with_processing.id, source, "test").label)
    robustness.basis_note(source)


def pair_key(pair: Pair) -> str:
    return " ".join(run.id for run in pair.runs)


def describe_pair(pair: Pair) -> str:
    config = pair.with_processing.config()
    return (
        f"{FRAMEWORK_NAMES.get(config.framework)} · {config.img_size} px · {config.epochs} epochs · width "
        f"{config.width} · seed {config.seed} · runs {pair.with_processing.id[:8]} (with) and "
        f"{pair.without_processing.id[:8]} (without)"
    )


def show_comparison(comparison: PairResult) -> None:
    sentences = comparison.conclusion
    st.subheader("What the pair measured")
    HEADLINE_BOX[comparison.verdict](f"**{sentences[0]}**", icon=VERDICT_ICONS[comparison.verdict])
    validation, fixed = comparison.at("validation"), comparison.at("fixed")
    cards = (
        ("Test AUC", validation.row("AUC")),
        ("NORMAL recall (run's threshold)", validation.row("specificity")),
        ("PNEUMONIA recall (run's threshold)", validation.row("sensitivity")),
        (f"NORMAL recall (threshold {FIXED_THRESHOLD})", fixed.row("specificity")),
    )
    for cell, (label, row) in zip(st.columns(len(cards)), cards):
        cell.metric(
            label,
            f"{row.a:.3f}",
            f"{row.difference:+.3f} vs without ({row.b:.3f})",
            help=f"95% interval of the difference: {row.low:+.3f} to {row.high:+.3f}",
        )
    series = [
        Differences(
            name,
            THRESHOLD_COLOURS[threshold],
            [(STATISTICS[q], row) for q, row in _rows_at(comparison, threshold)],
        )
        for threshold, name in (
            ("validation", "each run's validation threshold"),
            ("fixed", f"threshold {FIXED_THRESHOLD}"),
        )
    ]
    x_title = "with processing - without (95% paired-bootstrap interval)"
    st.plotly_chart(difference_figure(series, x_title), key="talk_pair_differences")
    st.dataframe(difference_frame(comparison), hide_index=True, width="stretch", height="content")
    for sentence in sentences[1:]:
        st.markdown(f"- {sentence}")
    evaluations, runs = comparison.evaluations, comparison.runs
    st.caption(
        f"{validation.images} test images of {code_span(comparison.source)}; "
        f"runs {runs['with']} (with) and {runs['without']} (without). "
        f"Thresholds chosen on validation: {evaluations['with'].threshold:.3f} (with) and "
        f"{evaluations['without'].threshold:.3f} (without). Intervals: "
        f"{validation.bootstrap['resamples']:,} paired resamples of whole "
        f"{validation.bootstrap['unit']}s. Computed by "
        "`pipeline.talk.processing_pair.compare_pair` (`python -m pipeline.talk pair`)."
    )


def _rows_at(comparison: PairResult, threshold: str) -> list[tuple[str, ComparisonRow]]:
    """(quantity, row) at one threshold; AUC, which no threshold changes, only once."""
    quantities = [q for q in STATISTICS if threshold == "validation" or q != "AUC"]
    return [(quantity, comparison.at(threshold).row(quantity)) for quantity in quantities]


def difference_frame(comparison: PairResult) -> pd.DataFrame:
    records = []
    for threshold, name in (("validation", "run's own"), ("fixed", str(FIXED_THRESHOLD))):
        for quantity, row in _rows_at(comparison, threshold):
            records.append(
                {
                    "threshold": THRESHOLD_FREE if quantity == "AUC" else name,
                    "statistic": STATISTICS[quantity],
                    "with": _number(row.a, 3),
                    "without": _number(row.b, 3),
                    "with - without": _signed(row.difference),
                    "95% interval": (
                        f"{row.low:+.3f} to {row.high:+.3f}" if row.low is not None else "-"
                    ),
                    "beyond noise": "yes" if row.outside else "no",
                }
            )
    return pd.DataFrame(records)


def _signed(value) -> str:
    return "-" if value is None else f"{value:+.3f}"


def gap_section() -> None:
    """Why the frameworks' figures differed: the pipelines' differences, one at a time, over seeds."""
    st.header("What made the frameworks differ: the data processing, measured")
    finding = framework_gap.load_finding()
    if finding is None:
        st.info(
            "Not measured here yet: `python -m benchmarks.generalisation_ablation --source FOLDER "
            "--seeds 0,1,2 --train`, then `--score --out docs/results/generalisation_ablation.json` "
            "and `python -m benchmarks.framework_gap`."
        )
        return
    for sentence in finding.sentences():
        st.markdown(f"- {sentence}")
    rows = [row.to_dict() for row in finding.table()]
    st.table(pd.DataFrame(rows).set_index(["change", "framework"]).fillna("-"))
    st.caption(
        f"Measured once for the project on the real training X-rays, not on the data chosen "
        f"above: {finding.img_size} px, {finding.epochs} epochs, seeds "
        f"{', '.join(map(str, finding.seeds))}; each change is the talk's settings with one "
        "difference, paired by seed. Validation is the patient-grouped split carved from the "
        "training pool (it flatters: X-rays from elsewhere score lower) and its 36 shifted "
        "copies (the stress mean); accuracy is at each run's own threshold. Effects are paired "
        "by seed, ± their spread. A difference counts only when it exceeds the seed-to-seed "
        "spread. From `docs/results/framework_gap.json`, written by `python -m "
        "benchmarks.framework_gap` (docs/robust_recipe.md)."
    )


# ---- the page ----


def main() -> None:
    st.title("4 · Conclusion")
    slide = Slide()
    source = active_source()
    rows = framework_section(source, slide)
    st.subheader("The talk's conclusion, beside the measurements")
    bullets = show_talk_bullets(source)
    table_notes, bullet_notes = notes.conclusion(rows), notes.bullets(bullets)
    slide.notes(notes.Notes(table_notes.say + bullet_notes.say, table_notes.point_at))
    st.divider()
    robustness.seed_summary(
        source, lambda run_id: conclusion.seed_figures(Run(run_id), source, model_of).named()
    )
    st.divider()
    gap_section()
    st.divider()
    processing_section(source)
    claims_section(source, model_of)


main()
