"""Dataset explorer: what the active source holds, before any model sees it.

Counts and their imbalance, samples of each class, sizes and intensities, the mean image of
each class, patients per split and the files that were skipped. Everything is computed from
the active source; heavy figures (mean images, histograms) are cached under the source's
fingerprint, so a re-render costs a few dictionary look-ups; the CSV manifest is written
only when someone downloads it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from dashboard.cache.datasets import cached_arrays, cached_scan, cached_summary
from dashboard.widgets.common import image_grid, read_active_source
from dashboard.widgets.slide import Slide
from pipeline.data import CLASS_NAMES, SPLITS, export_csv
from pipeline.data.images import code_span
from pipeline.data.stats import ClassStatistics, class_statistics
from pipeline.data.summary import DataSummary
from pipeline.talk import notes

CLASS_COLOURS = {"NORMAL": "#3b75af", "PNEUMONIA": "#d1495b"}
SAMPLES_PER_CLASS = 8
SAMPLE_COLUMNS = 4  # wide enough for an X-ray and its file name on one line
GREY_BAND = 8  # grey levels per point of the intensity histogram
DRAW_KEY = "explorer_draw"  # how many times the samples were re-drawn; seeds the draw


# ---- the heavy part, cached under the source's fingerprint (a changed source recomputes) ----


@st.cache_data(show_spinner="Computing mean images and histograms...", max_entries=8)
def pixel_statistics(source: str, fingerprint: str) -> dict[str, ClassStatistics]:
    """``pipeline.data.stats.class_statistics`` of the active source, once per fingerprint."""
    return class_statistics(cached_arrays(source))


# ---- figures ----


def class_layout(figure: go.Figure, height: int, top: int, legend_y: float, **more) -> go.Figure:
    """The layout of the per-class charts: ``top`` px above for the legend of the classes, laid
    across at ``legend_y``, 10 px on the other sides; ``more`` (axis titles, barmode) as given."""
    figure.update_layout(
        height=height,
        margin=dict(t=top, b=10, l=10, r=10),
        legend=dict(orientation="h", y=legend_y),
        **more,
    )
    return figure


def counts_figure(splits: dict) -> go.Figure:
    """Grouped bars per split; each label gives the count and its share of the split."""
    figure = go.Figure()
    for name in CLASS_NAMES:
        counts = [splits[s][name] for s in SPLITS]
        shares = [splits[s][name] / max(sum(splits[s].values()), 1) for s in SPLITS]
        figure.add_bar(
            x=list(SPLITS),
            y=counts,
            name=name,
            marker_color=CLASS_COLOURS[name],
            text=[f"{n:,}<br>{p:.0%}" for n, p in zip(counts, shares)],
            textposition="outside",
            textfont=dict(size=13),
            cliponaxis=False,
        )
    return class_layout(figure, 360, 30, 1.12, barmode="group", yaxis_title="images")


def sizes_figure(stats: dict[str, ClassStatistics]) -> go.Figure:
    """Histograms of the original width and height per class (before resizing), as % of the class."""
    figure = make_subplots(rows=1, cols=2, subplot_titles=("width (px)", "height (px)"))
    for name in CLASS_NAMES:
        sizes = stats[name].sizes
        for column in (0, 1):
            figure.add_histogram(
                x=sizes[:, column],
                name=name,
                legendgroup=name,
                showlegend=column == 0,
                histnorm="percent",
                marker_color=CLASS_COLOURS[name],
                opacity=0.6,
                row=1,
                col=column + 1,
            )
    return class_layout(figure, 320, 40, 1.25, barmode="overlay", yaxis_title="% of the class")


def intensity_figure(stats: dict[str, ClassStatistics]) -> go.Figure:
    """Share of pixels per band of grey levels, per class.

    Bands of 8 levels: single levels make a jagged line whose spike at 0 (black borders)
    flattens everything else.
    """
    figure = go.Figure()
    starts = np.arange(0, 256, GREY_BAND)
    for name in CLASS_NAMES:
        share = stats[name].intensity_share.reshape(-1, GREY_BAND).sum(axis=1) * 100
        figure.add_scatter(
            x=starts + GREY_BAND / 2,
            y=share,
            name=name,
            mode="lines+markers",
            line=dict(color=CLASS_COLOURS[name]),
            marker=dict(size=4),
        )
    return class_layout(
        figure,
        320,
        30,
        1.15,
        xaxis_title="grey level (0-255)",
        yaxis_title=f"% of pixels per {GREY_BAND} levels",
    )


def difference_figure(difference: np.ndarray) -> go.Figure:
    """PNEUMONIA minus NORMAL on a diverging scale centred on zero."""
    limit = float(np.abs(difference).max()) or 1.0
    figure = go.Figure(
        go.Heatmap(
            z=np.round(difference, 1),
            colorscale="RdBu_r",
            zmin=-limit,
            zmax=limit,
            colorbar=dict(title="grey<br>levels", thickness=12),
        )
    )
    figure.update_yaxes(autorange="reversed", scaleanchor="x", visible=False)
    figure.update_xaxes(visible=False, constrain="domain")
    figure.update_layout(height=340, margin=dict(t=0, b=0, l=0, r=0))
    return figure


# ---- sections ----


def sample_caption(origin: str, split: str) -> str:
    """``IM-0115-0001.jpeg · train``, or ``synthetic#train/12`` where the name holds the split."""
    if "#" in origin:  # an array source: "<container>#<split>/<index>"
        container, item = origin.split("#", 1)
        return f"{Path(container).name}#{item}"
    return f"{Path(origin).name} · {split}"


def show_counts(summary: DataSummary) -> None:
    st.subheader("Class counts per split")
    totals = summary.totals
    ratio = f"{totals['PNEUMONIA'] / totals['NORMAL']:.1f}" if totals["NORMAL"] else "no NORMAL"
    columns = st.columns(4)
    columns[0].metric("Images", f"{summary.images:,}")
    columns[1].metric("NORMAL", f"{totals['NORMAL']:,}")
    columns[2].metric("PNEUMONIA", f"{totals['PNEUMONIA']:,}")
    columns[3].metric(
        "PNEUMONIA per NORMAL",
        ratio,
        help="The class imbalance: PNEUMONIA images for each NORMAL image.",
    )
    chart, table = st.columns([3, 2])
    chart.plotly_chart(
        counts_figure(summary.splits), width="stretch", config={"displayModeBar": False}
    )
    rows = {
        split: {**summary.splits[split], "total": sum(summary.splits[split].values())}
        for split in SPLITS
    }
    rows["all"] = {**totals, "total": summary.images}
    table.dataframe(pd.DataFrame(rows).T, width="stretch")
    share = totals["PNEUMONIA"] / max(summary.images, 1)
    table.caption(
        f"Always answering PNEUMONIA scores {share:.0%} accuracy here: judge models by recall "
        "per class and AUC, not by accuracy alone."
    )


def show_samples(arrays, summary: DataSummary) -> None:
    st.subheader("Samples per class")
    draw = st.session_state.get(DRAW_KEY, 0)
    st.button(
        "Draw other samples",
        icon=":material/casino:",
        key="explorer_redraw",
        on_click=lambda: st.session_state.update({DRAW_KEY: draw + 1}),
    )
    rng = np.random.default_rng(draw)
    for label, name in enumerate(CLASS_NAMES):
        candidates = np.flatnonzero(arrays.labels == label)
        st.markdown(f"**{name}** ({len(candidates):,} images)")
        if not len(candidates):
            st.warning(f"This source has no {name} images.")
            continue
        chosen = np.sort(
            rng.choice(candidates, size=min(SAMPLES_PER_CLASS, len(candidates)), replace=False)
        )
        image_grid(
            [arrays.images[i] for i in chosen],
            [sample_caption(arrays.origins[i], arrays.splits[i]) for i in chosen],
            SAMPLE_COLUMNS,
        )
    st.caption(
        f"Shown as the models see them: grayscale, {summary.cached_size} x {summary.cached_size} px."
    )


def show_pixels(stats: dict[str, ClassStatistics], summary: DataSummary) -> None:
    st.subheader("Intensities and sizes")
    intensities, sizes = st.columns(2)
    intensities.plotly_chart(
        intensity_figure(stats), width="stretch", config={"displayModeBar": False}
    )
    intensities.caption(
        f"Grey levels of the {summary.cached_size} px images, as a share of each class's pixels."
    )
    width, height = summary.image_size.width, summary.image_size.height
    if width.min == width.max and height.min == height.max:
        sizes.info(
            f"Every image is {width.min} x {height.min} px before resizing: nothing to plot."
        )
    else:
        sizes.plotly_chart(sizes_figure(stats), width="stretch", config={"displayModeBar": False})
        sizes.caption(
            f"Original sizes before resizing: width {width.min}-{width.max} px "
            f"(median {width.median:g}), height {height.min}-{height.max} px "
            f"(median {height.median:g})."
        )


def show_means(stats: dict[str, ClassStatistics]) -> None:
    st.subheader("Mean image per class")
    means = [stats[name].mean_image for name in CLASS_NAMES]
    if any(mean is None for mean in means):
        st.info("Mean images need images of both classes.")
        return
    normal, pneumonia, difference = st.columns([1, 1, 1.25])
    normal.image(np.round(means[0]).astype(np.uint8), caption="mean NORMAL", width="stretch")
    pneumonia.image(np.round(means[1]).astype(np.uint8), caption="mean PNEUMONIA", width="stretch")
    difference.plotly_chart(
        difference_figure(means[1] - means[0]), width="stretch", config={"displayModeBar": False}
    )
    difference.caption(
        "PNEUMONIA minus NORMAL: red where PNEUMONIA images are brighter "
        "(opacities), blue where they are darker."
    )


def show_patients(summary: DataSummary) -> None:
    st.subheader("Patients per split")
    if not summary.patients_known:
        st.info(
            "This source does not name patients, so no-overlap between splits cannot be checked."
        )
        return
    images = {split: sum(summary.splits[split].values()) for split in SPLITS}
    table = pd.DataFrame({"patients": summary.patients, "images": images}).loc[list(SPLITS)]
    st.dataframe(table, width="content")
    overlap = summary.patient_overlap
    other_kind = summary.patient_overlap_other_kind
    if overlap:
        st.warning(
            f"{overlap:,} {'patient has' if overlap == 1 else 'patients have'} images in more "
            "than one split: images of one patient look more alike than those of two, so they "
            "leak into validation and test, and the scores there will be too good."
        )
    else:
        st.success("No patient has images in two splits.")
    if other_kind:
        st.info(
            f"{other_kind:,} {'personN id appears' if other_kind == 1 else 'personN ids appear'} "
            "in two splits, with a different kind of pneumonia in each: the file names number "
            "patients per kind (person1_bacteria and person1_virus, say, are two children), so "
            "these are not a leak (docs/patients.md)."
        )


def show_files(summary: DataSummary, source: str) -> None:
    st.subheader("Notes")
    for note in summary.notes or ["Nothing to note: the source came with its own splits."]:
        st.markdown(f"- {note}")

    st.subheader("Skipped files")
    if summary.skipped:
        count = len(summary.skipped)
        st.caption(
            f"{count:,} {'file was' if count == 1 else 'files were'} not used, each with the reason."
        )
        st.dataframe(
            pd.DataFrame(summary.skipped, columns=["path", "reason"]),
            width="stretch",
            hide_index=True,
        )
    else:
        st.success("No file was skipped.")

    st.subheader("Manifest")
    # Written on click, on Streamlit's download thread: the page never waits for a rescan.
    st.download_button(
        "Download the manifest (CSV)",
        data=lambda: export_csv(cached_scan(source), failed=cached_arrays(source).failed),
        file_name=f"pneumolab-{summary.kind}-manifest.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
    )
    st.caption(
        "One row per image: filename,label,split,patient (the talk's flat form). Saved on "
        "this machine, the file is itself a source: pick 'Folder or CSV' in the sidebar."
    )


# ---- the page ----


def main() -> None:
    slide = Slide("Dataset explorer")
    source, summary, arrays = read_active_source(cached_summary, cached_arrays)
    st.caption(f"Source {code_span(source)} ({summary.kind}), fingerprint `{summary.fingerprint}`.")

    with slide.key():
        show_counts(summary)
    slide.notes(notes.explorer(summary))
    if not slide.more("Samples, pixel statistics, patients and files"):
        return
    show_samples(arrays, summary)
    stats = pixel_statistics(source, summary.fingerprint)
    show_pixels(stats, summary)
    show_means(stats)
    show_patients(summary)
    show_files(summary, source)


main()
