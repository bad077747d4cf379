"""Evaluation: how good a finished run is on a split it never trained on, and what it cost.

The answer first: the headline metrics, the talk's classification report beside the confusion
matrix, and one line on what they rest on (which run, trained on what and scored on which split,
at which threshold, trained where: ``pipeline.runs.provenance``), with what flatters them next to
it. How it was reached follows: the run, source and split pickers and the threshold slider (the
run's own threshold, chosen on its validation split, is the default and is labelled as such).
Their place is below the answer but they run first: the answer's container is taken at the top
and filled once they have. Then ROC and precision-recall curves, calibration and 95% bootstrap
intervals at the slider's threshold, the run's training curves, Keras against PyTorch on the same
images, and downloads.

Every number comes from ``pipeline.evaluate``, the same functions as
``python -m pipeline.evaluate``, so the page and the command line agree. Models load once per
process (st.cache_resource); predictions are cached per run, source and split (st.cache_data,
in ``dashboard.cache.scores``, shared with the warm-up).
"""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from dashboard.cache.datasets import source_fingerprint
from dashboard.cache.scores import (
    comparison,
    ensemble_scored,
    evaluation_of,
    scored_split,
)
from dashboard.cache.trained_models import updated
from dashboard.charts.evaluation import calibration_figure, confusion_figure, curve_figure
from dashboard.charts.training_curves import Curves, training_curves
from dashboard.context.deployment import local_paths_allowed, training_allowed
from dashboard.context.source import active_source, is_local
from dashboard.widgets import robustness
from dashboard.widgets.common import (
    framework_name,
    pick_run,
    stop_unreadable_source,
    stop_without_runs,
)
from dashboard.widgets.slide import Slide, presenting
from pipeline.data import SPLITS, SourceError
from pipeline.data.images import code_span
from pipeline.evaluate.bootstrap import STATISTICS
from pipeline.evaluate.formats import comparison_csv, to_csv, to_html, to_json
from pipeline.evaluate.metrics import (
    report_table,
)
from pipeline.evaluate.report import evaluate
from pipeline.export import ExportError, check_exportable, export_bytes
from pipeline.records import Comparison, Evaluation, Intervals
from pipeline.runs import Run, RunSummary, finished_runs
from pipeline.runs.choice import partner
from pipeline.runs.provenance import provenance
from pipeline.talk import notes

THRESHOLD_STEP = 0.001


# ---- scoring (cached in dashboard.cache.scores, which the warm-up fills too) ----


def score_or_stop(run_id: str, source: str, split: str):
    """The scored split, or a message (and the page stops) when the run or the data cannot be used."""
    from pipeline.inference import ModelLoadError

    try:
        return scored_split(run_id, updated(run_id), source, source_fingerprint(source), split)
    except ModelLoadError as error:
        st.error(f"This run cannot be evaluated: {error}")
    except (SourceError, OSError, ValueError) as error:
        stop_unreadable_source(source, error, f"The {split} split of")
    st.stop()


# ---- choosing what to evaluate ----


def choose_run(runs: dict[str, RunSummary], container=st) -> str:
    """The run to evaluate: the newest on the active source by default."""
    return pick_run(
        "Run",
        [Run(run_id) for run_id in runs],
        "evaluation_run",
        prefer_source=active_source(),
        container=container,
    )


def choose_data(run: RunSummary, source_cell=st, split_cell=st) -> tuple[str, str]:
    """Source (the active one by default, or the run's own) and split (test by default)."""
    sources = [active_source()]
    if local_paths_allowed() or not is_local(
        run.source
    ):  # a shared deployment never opens a server path
        sources = list(dict.fromkeys([*sources, run.source]))
    source = source_cell.selectbox(
        "Scored on",
        sources,
        key="evaluation_source",
        format_func=lambda s: (
            f"{s} (active source)" if s == active_source() else f"{s} (the run's training source)"
        ),
    )
    split = split_cell.selectbox(
        "Split", SPLITS, index=SPLITS.index("test"), key="evaluation_split"
    )
    if source != run.source:
        st.caption(
            f"A run trained on {code_span(run.source)}, scored on another source: its threshold still "
            "comes from its own validation split."
        )
    return source, split


def choose_threshold(scored) -> float:
    """The slider, starting at the run's validation threshold (a new run resets it)."""
    key = f"evaluation_threshold_{scored.run_id}"
    if key not in st.session_state:
        st.session_state[key] = round(scored.threshold, 3)
    left, right = st.columns([4, 1])
    threshold = left.slider(
        "Threshold: PNEUMONIA when the probability is at least",
        0.0,
        1.0,
        step=THRESHOLD_STEP,
        format="%.3f",
        key=key,
    )
    right.button(
        "Back to the validation threshold",
        key=f"{key}_reset",
        on_click=lambda: st.session_state.update({key: round(scored.threshold, 3)}),
    )
    with left:
        robustness.threshold_strip(scored.threshold_choice, float(threshold))
    st.caption(
        f"The run's threshold: **{scored.threshold:.3f}**, by that rule: "
        f"{scored.threshold_origin}. "
        + (
            "The slider is at it."
            if threshold == round(scored.threshold, 3)
            else "Moving it explores the scored split: a threshold chosen here is not a fair test figure."
        )
    )
    # at its starting point the slider means the run's exact threshold (the CLI's), not its rounding
    return scored.threshold if threshold == round(scored.threshold, 3) else float(threshold)


# ---- figures ----


# ---- sections ----


def show_headline(evaluation: Evaluation) -> None:
    cells = st.columns(6)
    for cell, (label, key) in zip(
        cells,
        (
            ("Accuracy", "accuracy"),
            ("AUC", "auc"),
            ("Sensitivity", "sensitivity"),
            ("Specificity", "specificity"),
            ("Average precision", "average_precision"),
            ("Brier score", "brier"),
        ),
    ):
        cell.metric(label, _num(evaluation.metric(key)))


def show_report(evaluation: Evaluation) -> None:
    st.subheader("Classification report")
    table = pd.DataFrame([row.to_dict() for row in report_table(evaluation.metrics)]).set_index("")
    report, confusion = st.columns([3, 2])
    report.dataframe(
        table,
        width="stretch",
        height="content",
        placeholder="",  # blanks, as sklearn prints
        column_config={
            **{
                c: st.column_config.NumberColumn(format="%.4f")
                for c in ("precision", "recall", "f1-score")
            },
            "support": st.column_config.NumberColumn(format="%d"),
        },
    )
    if not presenting():  # on a slide the table says it once; the text form is for copying
        report.code(evaluation.metrics.report_text, language=None)
    confusion.plotly_chart(
        confusion_figure(evaluation.metrics.confusion_matrix), key="evaluation_confusion"
    )
    (tn, fp), (fn, tp) = evaluation.metrics.confusion_matrix
    confusion.caption(
        f"[[TN, FP], [FN, TP]] = [[{tn}, {fp}], [{fn}, {tp}]]; "
        f"{fn} PNEUMONIA images called NORMAL, {fp} NORMAL images called PNEUMONIA."
    )


def show_basis(scored, run: RunSummary, split: str, threshold: float) -> None:
    """One line under the result: which run, trained on what and scored on which split, at which
    threshold, trained where; and, short, when the scored split was carved (it flatters)."""
    try:
        found = run_provenance(
            scored.run_id,
            updated(scored.run_id),
            scored.source,
            source_fingerprint(scored.source),
            split,
        )
    except (SourceError, OSError, ValueError) as error:
        st.caption(f"What these figures rest on cannot be read: {error}")
        return
    settings = ", ".join(
        part
        for part in (
            f"{run.img_size} px" if run.img_size else "",
            f"{run.epochs} epochs" if run.epochs else "",
            f"seed {run.seed}" if run.seed is not None else "",
        )
        if part
    )
    if threshold == scored.threshold:
        rule = scored.threshold_choice.rule if scored.threshold_choice else "recorded"
        which = f"threshold {threshold:.3f}, the run's own ({rule}, set on its validation split)"
    else:
        which = f"threshold {threshold:.3f} from the slider (the run's own: {scored.threshold:.3f})"
    parts = [
        f"{framework_name(scored.framework)} run {scored.run_id[:8]}"
        + (f" ({settings})" if settings else ""),
        found.label
        + (" (**carved from the training folder, so it flatters**)" if found.carved else ""),
        which,
        f"trained on {found.trained_where}",
    ]
    st.caption("**Basis**: " + " · ".join(parts))


@st.cache_data(show_spinner=False, max_entries=64)
def run_provenance(run_id: str, stamp: float, source: str, fingerprint: str, split: str):
    """``pipeline.runs.provenance`` of a run scored on a split (it scans the source: once)."""
    return provenance(run_id, source, split)


def show_details(evaluation: Evaluation, scored, threshold: float) -> None:
    """How the result looks across thresholds, how calibrated it is and how sure."""
    st.subheader("ROC and precision-recall")
    st.plotly_chart(curve_figure(evaluation, scored, threshold), key="evaluation_curves")
    calibration, bootstrap = st.columns(2)
    with calibration:
        st.subheader("Calibration")
        st.plotly_chart(calibration_figure(evaluation), key="evaluation_calibration")
        prevalence = evaluation.metric("prevalence")
        st.caption(
            f"Brier score {_num(evaluation.metric('brier'))} (0 is perfect; always saying the "
            f"prevalence {prevalence:.2f} scores {prevalence * (1 - prevalence):.3f})."
        )
    with bootstrap:
        show_intervals(evaluation, evaluation.bootstrap)


def show_intervals(evaluation: Evaluation, bootstrap: Intervals) -> None:
    st.subheader("95% bootstrap intervals")
    rows = [
        {
            "statistic": name,
            "estimate": bootstrap.of(name).estimate,
            "95% low": bootstrap.of(name).low,
            "95% high": bootstrap.of(name).high,
        }
        for name in STATISTICS
    ]
    st.dataframe(
        pd.DataFrame(rows).set_index("statistic").style.format("{:.4f}", na_rep="-"),
        width="stretch",
    )
    settings = bootstrap.settings
    st.caption(
        f"{settings['resamples']:,} resamples of whole {settings['unit']}s (seed {settings['seed']}): "
        f"images of one patient stay together. {evaluation.metrics.n:,} images scored."
    )


def show_training_curves(run_id: str, framework: str) -> None:
    st.subheader("Training curves")
    epochs = Run(run_id).progress().epochs
    if not epochs:
        st.caption("This run recorded no epochs.")
        return
    st.plotly_chart(
        training_curves([Curves(framework, epochs)], height=320), key="evaluation_training"
    )
    result = Run(run_id).result()
    if result and result.best_epoch:
        st.caption(
            f"Weights kept from epoch {result.best_epoch} of {result.epochs_run or len(epochs)} "
            "(best validation AUC; the test split played no part)."
        )


def show_comparison(
    scored, runs: dict[str, RunSummary], source: str, split: str
) -> Comparison | None:
    """Keras vs PyTorch: by default the run's partner (``pipeline.runs.choice.partner``: the other
    framework's run with the same settings and seed, else its first)."""
    st.subheader("Keras vs PyTorch")
    others = [Run(run_id) for run_id in runs if run_id != scored.run_id]
    if not others:
        st.caption(
            "Train a run of the other framework to compare the two here."
            if training_allowed()
            else "No other finished run to compare with."
        )
        return None
    preferred = partner(Run(scored.run_id), others)
    other = pick_run(
        "Compare with",
        others,
        f"evaluation_compare_{scored.run_id}",  # each run starts on its own default
        default=preferred.id if preferred else None,
    )
    other_scored = score_or_stop(other, source, split)
    try:
        table = comparison(
            scored.run_id,
            updated(scored.run_id),
            other,
            updated(other),
            source,
            source_fingerprint(source),
            split,
        )
    except ValueError as error:
        st.error(f"These two runs cannot be compared: {error}")
        return None
    frame = comparison_frame(table)
    st.dataframe(
        frame.map(_cell),
        width="stretch",
        height="content",
        column_config={
            "quantity": st.column_config.TextColumn(width="medium"),
            **{c: st.column_config.TextColumn(alignment="right") for c in frame.columns},
        },
    )
    for note in table.notes:
        st.caption(note)
    st.caption(
        f"Each run at its own validation threshold ({scored.threshold:.3f} and {other_scored.threshold:.3f}). "
        "'outside the interval': the 95% paired-bootstrap interval of the difference excludes zero."
    )
    return table


def comparison_frame(table: Comparison) -> pd.DataFrame:
    """``pipeline.evaluate.compare``'s rows, one per quantity, under the runs' labels."""
    frame = (
        pd.DataFrame([row.to_dict() for row in table.rows])
        .rename(
            columns={
                "a": table.label_a,
                "b": table.label_b,
                "difference": "a - b",
                "low": "95% low",
                "high": "95% high",
                "outside": "outside the interval",
            }
        )
        .set_index("quantity")
    )
    frame["outside the interval"] = (
        frame["outside the interval"].map({True: "yes", False: "no"}).fillna("")
    )
    return frame


def show_seeds(run_id: str, source: str, split: str) -> None:
    """Mean ± spread over the run's seed group and the other framework's (same settings)."""
    st.subheader("Across seeds")

    def figures(member: str) -> dict:
        score_or_stop(member, source, split)  # a message, and the page stops, if it cannot
        fingerprint = source_fingerprint(source)
        found = evaluation_of(
            member, updated(member), source, fingerprint, split, with_bootstrap=False
        )
        result = Run(member).result()
        return _seed_figures(found) | {"val AUC": result.val.auc if result else None}

    def ensemble_figures(members: tuple[str, ...]) -> dict:
        stamps = tuple(updated(m) for m in members)
        scored = ensemble_scored(members, stamps, source, source_fingerprint(source), split)
        return _seed_figures(evaluate(scored, with_bootstrap=False)) | {
            "threshold": scored.threshold
        }

    robustness.seeds_panel(run_id, figures, ensemble_figures)
    st.caption(
        f"Figures on the {split} split at each run's own threshold; ± is the standard deviation "
        "over seeds. A Keras vs PyTorch difference counts only when it exceeds that spread. "
        "Same command for the ensemble: `python -m pipeline.evaluate --run ID --ensemble --json`."
    )


def _seed_figures(evaluation: Evaluation) -> dict:
    return {
        "accuracy": evaluation.metric("accuracy"),
        "AUC": evaluation.metric("auc"),
        "NORMAL recall": evaluation.metric("specificity"),
        "PNEUMONIA recall": evaluation.metric("sensitivity"),
    }


def show_stress(scored, runs: dict[str, RunSummary], source: str, split: str) -> None:
    """This run and the compared run of the other framework, under acquisition-like shifts."""
    st.subheader("Under acquisition shifts (a proxy for X-rays from elsewhere)")
    pair = {scored.framework: scored.run_id}
    other = st.session_state.get(f"evaluation_compare_{scored.run_id}")
    if other in runs and runs[other].framework != scored.framework:
        pair[runs[other].framework] = other
    robustness.stress_panel({f: pair[f] for f in ("keras", "torch") if f in pair}, source, split)


def show_downloads(evaluation: Evaluation, comparison: Comparison | None) -> None:
    st.subheader("Downloads")
    table = comparison.to_dict() if comparison else None  # the exports' JSON layout
    name = f"evaluation-{evaluation.run_id[:8]}-{evaluation.split}"
    columns = st.columns(4)
    metrics = evaluation.to_dict()
    csv = to_csv(metrics) + ("\n" + comparison_csv(table) if table else "")
    downloads = {  # label: contents, file ending, MIME type
        "Metrics (JSON)": (to_json({**metrics, "comparison": table}), "json", "application/json"),
        "Metrics (CSV)": (csv, "csv", "text/csv"),
        "Report (HTML)": (to_html(metrics, table), "html", "text/html"),
    }
    for column, (label, (data, ending, mime)) in zip(columns, downloads.items()):
        column.download_button(
            label,
            data,
            f"{name}.{ending}",
            mime=mime,
            icon=":material/download:",
            on_click="ignore",
        )
    run_id, stamp = evaluation.run_id, updated(evaluation.run_id)
    try:
        exportable(run_id, stamp)
    except ExportError as error:
        columns[3].caption(f"This run cannot be exported: {error}")
        return
    columns[3].download_button(
        "This run (zip)",
        lambda: run_zip(run_id, stamp),  # built on click: the model card may score a split
        f"pneumolab-run-{run_id}.zip",
        mime="application/zip",
        icon=":material/download:",
        on_click="ignore",
        help="Weights, config, metrics, training curves (CSV), a model card and predict.py, which "
        "runs it with only its framework installed. `python -m pipeline.runs import` brings it back.",
    )


@st.cache_data(show_spinner=False, max_entries=8)
def run_zip(run_id: str, stamp: float) -> bytes:
    return export_bytes(run_id)


@st.cache_data(show_spinner=False, max_entries=64)
def exportable(run_id: str, stamp: float) -> None:
    """Raises ExportError when the run cannot be exported (not cached then)."""
    check_exportable(run_id)


def _num(value) -> str:
    return "-" if value is None else f"{value:.4f}"


def _cell(value) -> str:
    if value is None or (
        isinstance(value, float) and math.isnan(value)
    ):  # pandas turns None into NaN
        return ""
    if isinstance(value, float):
        return f"{value:,.4f}" if abs(value) < 1000 else f"{value:,.0f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


# ---- the page ----


def choose(runs: dict[str, RunSummary], answer) -> tuple[str, str, str, object, float]:
    """Run, data and threshold, drawn under the answer they decide (the answer's place is taken
    first and filled once these have run). Returns run id, source, split, scored split, threshold."""
    if not presenting():  # on a slide they are folded into the controls' expander
        st.subheader("Run, data and threshold")
    st.caption(
        "Score a finished run on a split it never trained on. The test split plays no part in training, "
        "early stopping or the run's threshold."
    )
    run_cell, source_cell, split_cell = st.columns([5, 3, 1])
    run_id = choose_run(runs, run_cell)
    source, split = choose_data(runs[run_id], source_cell, split_cell)
    with answer:  # a run or data it cannot use: the message where the result would be
        scored = score_or_stop(run_id, source, split)
    threshold = choose_threshold(scored)
    return run_id, source, split, scored, threshold


def main() -> None:
    st.title("Evaluation")
    runs = {run.id: run.summary() for run in finished_runs()}
    if not runs:
        stop_without_runs()

    slide = Slide()
    answer = slide.key()  # the result leads the page, in and out of presenter mode
    basis = st.container()  # then what it rests on, in one line, and what flatters it
    with slide.controls("Run, data and threshold"):
        run_id, source, split, scored, threshold = choose(runs, answer)
    with answer:
        evaluation = evaluation_of(
            run_id, updated(run_id), source, source_fingerprint(source), split, threshold
        )
        show_headline(evaluation)
        show_report(evaluation)
    with basis:
        show_basis(scored, runs[run_id], split, threshold)
        for warning in scored.warnings:
            st.warning(warning)
        if split == "test":
            robustness.basis_note(source, split)
    slide.notes(
        notes.evaluation(
            {key: evaluation.metric(key) for key in notes.EVALUATION_METRICS},
            framework_name(scored.framework),
            split,
        )
    )
    if not slide.more("Curves, calibration, intervals, seeds and stress"):
        return
    show_details(evaluation, scored, threshold)
    show_training_curves(run_id, scored.framework)
    table = show_comparison(scored, runs, source, split)
    show_seeds(run_id, source, split)
    show_stress(scored, runs, source, split)
    show_downloads(evaluation, table)


main()
