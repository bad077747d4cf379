"""Widgets for figures that must hold elsewhere: the split's basis, the threshold rule, seed
groups and their ensemble, shift stress and the shortcut check. Every number comes from
``pipeline.evaluate`` (basis, threshold, seeds, ensemble, stress) or ``pipeline.explain.shortcuts``;
these functions only lay it out. Long work (stress, shortcut check) runs on a background thread
(``dashboard.app.background``) and lands in the pipeline's disk caches, which the pages read.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard.app import background
from dashboard.cache.datasets import source_fingerprint
from dashboard.cache.trained_models import model_of
from dashboard.charts.stress import stress_figure
from dashboard.context.deployment import training_allowed
from dashboard.widgets.common import FRAMEWORK_NAMES
from pipeline.evaluate import basis as basis_module
from pipeline.evaluate import seeds as seeds_module
from pipeline.evaluate import stress as stress_module
from pipeline.explain import shortcuts as shortcuts_module
from pipeline.runs.choice import runs_to_show
from pipeline.runs.provenance import provenance
from pipeline.threshold import PRIOR_SLACK

POLL_S = 2.0


# ---- what the figures rest on ----


@st.cache_data(show_spinner=False, max_entries=32)
def _basis(source: str, fingerprint: str, split: str):
    return basis_module.source_basis(source, split)


def basis_note(source: str, split: str = "test") -> None:
    """The one sentence (``pipeline.evaluate.basis``) next to a split's figures."""
    try:
        found = _basis(source, source_fingerprint(source), split)
    except (OSError, ValueError) as error:
        st.caption(f"What the {split} split rests on cannot be read: {error}")
        return
    if found.flatters:
        st.warning(found.sentence, icon=":material/info:")
    else:
        st.info(found.sentence, icon=":material/verified:")


# ---- the threshold rule ----


def threshold_strip(choice, slider: float) -> None:
    """The interval of validation-optimal thresholds under the slider, and the rule in words."""
    if choice is None:
        return
    figure = go.Figure()
    figure.add_shape(
        type="rect",
        x0=choice.low,
        x1=choice.high,
        y0=0,
        y1=1,
        fillcolor="#2a9d8f",
        opacity=0.25,
        line_width=0,
    )
    threshold = f"the run's threshold {choice.value:.3f}"
    markers = {  # name: x, symbol, size, fill, edge colour and width
        threshold: (choice.value, "diamond", 14, "#2a9d8f", "black", 1),
        f"slider {slider:.3f}": (slider, "line-ns", 22, "#e9c46a", "#b8860b", 3),
    }
    for name, (x, symbol, size, fill, edge, edge_width) in markers.items():
        line = {"color": edge, "width": edge_width}
        marker = {"symbol": symbol, "size": size, "color": fill, "line": line}
        figure.add_scatter(x=[x], y=[0.5], mode="markers", name=name, marker=marker)
    figure.update_xaxes(range=[0, 1], dtick=0.1, title_text="threshold")
    figure.update_yaxes(visible=False, range=[0, 1])
    figure.update_layout(
        height=120,
        margin={"t": 5, "b": 30, "l": 10, "r": 10},
        showlegend=True,
        legend={"orientation": "h", "x": 1, "xanchor": "right", "y": 1.5},
    )
    st.plotly_chart(figure, key="threshold_strip", config={"displayModeBar": False})
    st.caption(
        f"Shaded: the thresholds that are optimal on validation, **{choice.low:.3f} to "
        f"{choice.high:.3f}** (Youden's J within one mistake per class of its best"
        + (f", {choice.best_j:.3f}" if choice.best_j is not None else "")
        + "). Where the model nearly separates validation, this interval is wide and Youden's "
        "own pick lands anywhere on it, often at an edge that does not survive a shift. **The "
        "rule**: a model trained class-balanced is calibrated to equal priors, so its "
        "balanced-error threshold is 0.5 (trained on the raw class mix: its training "
        "prevalence). It stands unless it loses more than "
        f"{PRIOR_SLACK:.0%} of balanced accuracy on validation (a model not calibrated as "
        "trained); only then the interval's middle is used."
    )


# ---- seed groups ----


def seeds_panel(run_id: str, figures, ensemble_figures=None) -> None:
    """Mean ± spread of ``figures(run_id) -> {name: value}`` over the run's seed group and the
    other framework's group with the same settings, the verdict, and the ensemble's figures."""
    compared = seeds_module.compared_groups(run_id, seeds_module.finished_seed_groups())
    if not compared:
        return
    group = compared[0]
    sides = {g.framework: g for g in compared}
    summaries = {}
    with st.spinner("Scoring every seed of the group (once per run, then cached)..."):
        for framework, members in sides.items():
            summaries[framework] = seeds_module.summarise(members, figures)
    rows = []
    for framework, summary in summaries.items():
        row = {"model": sides[framework].describe()}
        row.update({name: value.short() for name, value in summary.items()})
        rows.append(row)
    if (
        ensemble_figures is not None
        and group.size > 1
        and st.toggle(
            f"Also score the ensemble of {group.describe()} (mean probability of its runs)",
            key=f"seeds_ensemble_{group.key}",
        )
    ):
        with st.spinner("Scoring the ensemble..."):
            found = ensemble_figures(group.run_ids)
        rows.append(
            {"model": f"{FRAMEWORK_NAMES[group.framework]} ensemble"}
            | {name: f"{value:.3f}" for name, value in found.items()}
        )
    st.dataframe(pd.DataFrame(rows).set_index("model"), width="stretch")
    if group.size == 1:
        st.caption(
            "One seed: the seed-to-seed spread is unknown. Train the same settings with more "
            "seeds (`python -m pipeline.train ... --seeds 0,1,2`) to tell a difference from noise."
        )
    if len(summaries) == 2:
        for verdict in seeds_module.verdicts(summaries["keras"], summaries["torch"]):
            st.markdown(f"- {verdict.sentence}")
    else:
        st.caption("No run of the other framework with the same settings: nothing to compare.")


def seed_summary(source: str, figures) -> None:
    """The Conclusion's seed section: the Keras and PyTorch groups with the same settings and the
    most seeds, mean ± spread of ``figures(run_id)``, and whether each difference is noise."""
    st.header("Keras vs PyTorch across seeds")
    shown = runs_to_show(source)
    pair = seeds_module.framework_pair(seeds_module.seed_groups(shown.runs))
    if pair is None:
        st.info(no_seed_pair(shown), icon=":material/info:")
        return
    try:
        with st.spinner("Scoring every seed on the test split (once per run, then cached)..."):
            summaries = {g.framework: seeds_module.summarise(g, figures) for g in pair}
    except (OSError, ValueError, KeyError) as error:
        st.error(f"The seed groups cannot be scored: {error}")
        return
    rows = [
        {"model": group.describe()} | {n: v.short() for n, v in summaries[group.framework].items()}
        for group in pair
    ]
    st.dataframe(pd.DataFrame(rows).set_index("model"), width="stretch")
    st.caption(provenance(pair[0].run_ids[0], source, "test").label)
    basis_note(source)
    found = seeds_module.verdicts(summaries["keras"], summaries["torch"])
    for verdict in found:
        icon = {True: ":material/drag_handle:", False: ":material/compare_arrows:", None: ""}
        st.markdown(f"- {icon[verdict.within_noise]} {verdict.sentence}")
    if training_allowed() and any(verdict.within_noise is None for verdict in found):
        st.caption("Train more seeds (`--seeds 0,1,2`) to measure the spread.")
    st.caption(
        "± is the standard deviation over seeds. Test figures at each run's own threshold; "
        "stress-mean AUC once the stress test has run (Evaluation page or `python -m "
        "pipeline.evaluate --run ID --stress`)."
    )


def no_seed_pair(shown) -> str:
    """Why the seed table is empty, in one sentence; a command only where training is allowed."""
    if not shown.runs:
        return f"Nothing to compare across seeds: {shown.reason}."
    text = "No Keras and PyTorch seed groups with the same settings among the runs shown here"
    if not training_allowed():
        return text + "."
    return (
        text + ". Train a seed group in each framework (`python -m pipeline.train --framework "
        "keras --preset full --seeds 0,1,2`, then `--framework torch`) to tell a framework "
        "difference from noise."
    )


# ---- shift stress ----


def stress_panel(runs: dict[str, str], source: str, split: str) -> None:
    """Both frameworks' stress reports side by side; missing ones computed in the background."""
    reports, missing = {}, {}
    for framework, run_id in runs.items():
        report = stress_module.cached_stress(run_id, source, split)
        if report is None:
            missing[framework] = run_id
        else:
            reports[framework] = report
    if missing:
        _stress_jobs(missing, source, split)
    if not reports:
        return
    metric = st.radio("Show", ("AUC", "accuracy"), horizontal=True, key="stress_metric")
    st.plotly_chart(stress_figure(reports, metric.lower()), key="stress_chart")
    rows = []
    for framework, report in reports.items():
        mean = report.mean
        rows.append(
            {
                "run": f"{FRAMEWORK_NAMES[framework]} · {report.run_id[:8]}",
                "clean AUC": report.clean.auc,
                "stress-mean AUC": mean.auc,
                "clean accuracy": report.clean.accuracy,
                "stress-mean accuracy": mean.accuracy,
                "threshold": report.threshold,
                "seconds": report.seconds,
            }
        )
    st.dataframe(
        pd.DataFrame(rows).set_index("run").style.format("{:.3f}", na_rep="-"), width="stretch"
    )
    st.caption(
        f"{len(stress_module.SHIFTS)} shifts x 3 severities on the {split} split "
        f"({next(iter(reports.values())).n:,} images), applied at twice the run's size before "
        "the model's own resize; accuracy at each run's own threshold. Clean: the same images "
        "through the same two resizes. Same command: `python -m pipeline.evaluate --run ID "
        f"--split {split} --stress --json`."
    )


def _stress_jobs(missing: dict[str, str], source: str, split: str) -> None:
    names = " and ".join(FRAMEWORK_NAMES[f] for f in missing)
    keys = {f: f"stress:{run_id}:{source}:{split}" for f, run_id in missing.items()}
    running = {f: background.job(k) for f, k in keys.items() if background.job(k) is not None}
    if not running:
        st.caption(
            f"No stress results yet for {names}: scoring 36 shifted copies of the split takes "
            "about a minute per run on a laptop CPU, on a background thread (the page stays usable)."
        )
        if st.button(f"Run the stress test ({names})", key=f"stress_start_{split}"):
            for framework, run_id in missing.items():
                loaded = model_of(run_id)
                background.start(
                    keys[framework],
                    lambda progress, run_id=run_id, loaded=loaded: stress_module.stress_cached(
                        run_id, source, split, loaded=loaded, progress=progress
                    ),
                )
            st.rerun()
        return
    _progress(keys)


@st.fragment(run_every=POLL_S)
def _progress(keys: dict[str, str]) -> None:
    jobs = {f: background.job(k) for f, k in keys.items()}
    for framework, current in jobs.items():
        if current is None:
            continue
        if current.error:
            st.error(
                f"The stress test of the {FRAMEWORK_NAMES[framework]} run failed: {current.error}"
            )
        elif not current.done:
            done, total = current.progress
            st.progress(
                current.fraction,
                text=f"{FRAMEWORK_NAMES[framework]}: {done}/{total} shifted copies scored",
            )
    if all(j is not None and j.done for j in jobs.values()):
        st.rerun()  # the whole page, now that the reports are on disk


# ---- the shortcut check ----


def shortcuts_panel(runs: dict[str, str], source: str, show_image) -> None:
    """Per framework: the Grad-CAM mass per region vs its area, and the most off-lung images
    (``show_image(framework, run_id, origin, predicted)`` draws one)."""
    results, missing = {}, {}
    for framework, run_id in runs.items():
        key = f"shortcuts:{run_id}:{source}"
        found = shortcuts_module.cached_check(run_id, source, "test")
        if found is not None:
            results[framework] = found
        else:
            missing[framework] = (run_id, key)
    if missing:
        _shortcut_jobs(missing, source)
    if not results:
        return
    rows = []
    for framework, found in results.items():
        for region in found.check.to_json()["regions"]:
            rows.append(
                {
                    "framework": FRAMEWORK_NAMES[framework],
                    "region": region["region"],
                    "share of the map's mass": region["mean_mass"],
                    "share of the image (chance)": region["area"],
                    "mass / area": region["mean_mass"] / region["area"]
                    if region["area"]
                    else np.nan,
                }
            )
    st.dataframe(
        pd.DataFrame(rows).set_index(["framework", "region"]).style.format("{:.2f}", na_rep="-"),
        width="stretch",
    )
    any_result = next(iter(results.values()))
    st.caption(
        f"Grad-CAM ({any_result.layer}) of every image of the {any_result.split} split "
        f"({len(any_result.origins):,}), for the class each run predicts. Mass / area above 1: the "
        "maps dwell there more than an evenly spread map would. Regions from each image alone: "
        "borders and corners, small bright marks near the edges (letters), the lungs from the "
        "image's intensity profiles (`pipeline/explain/shortcuts.py`; lungs not found: "
        + ", ".join(f"{FRAMEWORK_NAMES[f]} {r.check.fallbacks}" for f, r in results.items())
        + " images, a central box used instead). Same command: `python -m "
        "pipeline.explain.shortcuts --run ID --json`."
    )
    for framework, found in results.items():
        st.markdown(f"**{FRAMEWORK_NAMES[framework]}: the most off-lung maps first**")
        cells = st.columns(4)
        off = found.check.regions.index(shortcuts_module.OffLungs.name)
        for cell, index in zip(cells, found.check.most_off_lung(4)):
            with cell:
                show_image(
                    framework, found.run_id, str(found.origins[index]), int(found.predicted[index])
                )
                st.caption(f"{found.check.mass[index, off]:.0%} of the map off the lungs")


def _shortcut_jobs(missing: dict, source: str) -> None:
    names = " and ".join(FRAMEWORK_NAMES[f] for f in missing)
    running = {f: background.job(key) for f, (_, key) in missing.items() if background.job(key)}
    if not running:
        if st.button(f"Run the shortcut check ({names})", key="shortcuts_start"):
            for run_id, key in missing.values():
                loaded = model_of(run_id)
                background.start(
                    key,
                    lambda progress, run_id=run_id, loaded=loaded: shortcuts_module.check_run(
                        run_id, source, "test", loaded=loaded
                    ),
                )
            st.rerun()
        st.caption(
            "Grad-CAM over the whole test split for each run, on a background thread (cached on "
            "disk: a second visit reads it at once)."
        )
        return
    _progress({f: key for f, (_, key) in missing.items()})
