"""3 · The Keras pipeline: Description, Explore, Preprocess, Implement, each step shown on the
active data and linked to the page that does it; the normalisation measured on the train split
(``pipeline.talk.pipelines``)."""

from __future__ import annotations

import streamlit as st

from dashboard.cache.datasets import cached_summary
from dashboard.cache.talk_pages import normalised_train
from dashboard.widgets.common import read_active_source
from dashboard.widgets.slide import Slide
from pipeline.augment.spec import AugmentSpec
from pipeline.data.images import code_span
from pipeline.data.summary import DataSummary
from pipeline.talk import notes, origins, pipelines
from pipeline.talk.nutshell import transform_words

STEP_PAGES = {
    "Description": ("views/talk_problem.py", "the problem"),
    "Explore": ("views/explorer.py", "Dataset explorer"),
    "Preprocess": ("views/augmentation.py", "Augmentation"),
    "Implement": ("views/training.py", "Training"),
}

TALK_AUGMENT, NO_AUGMENT = AugmentSpec.preset("talk"), AugmentSpec.preset("none")


def step_facts(summary: DataSummary, norm: pipelines.Normalised) -> dict[str, str]:
    totals, sizes = summary.totals, summary.image_size
    ratio = totals["PNEUMONIA"] / totals["NORMAL"] if totals["NORMAL"] else float("nan")
    width = sizes.width
    return {
        "Description": f"{summary.images:,} images, NORMAL or PNEUMONIA, in train / val / test "
        f"({', '.join(f'{sum(c.values()):,}' for c in summary.splits.values())})",
        "Explore": f"{ratio:.2f} PNEUMONIA per NORMAL; widths {width.min}-{width.max} px before resizing",
        "Preprocess": f"reshape to {norm.shape_after}, rescale to [0, 1]; augment with "
        "ImageDataGenerator: "
        + ", ".join(transform_words(TALK_AUGMENT.to_dict(), NO_AUGMENT.to_dict())).lower()
        + " (the app's values, below)",
        "Implement": "keras.Sequential: add Conv2D, MaxPool2D and BatchNormalization blocks, then Dense; "
        "compile, fit, evaluate, predict",
    }


# ---- sections ----


def show_steps(facts: dict[str, str]) -> None:
    for number, (column, step) in enumerate(zip(st.columns(4), pipelines.KERAS_STEPS), start=1):
        with column.container(border=True, height="stretch"):
            st.markdown(f"**{number} · {step}**")
            st.markdown(facts[step])
            path, title = STEP_PAGES[step]
            st.page_link(path, label=title, icon=":material/arrow_forward:")


def show_normalisation(spec: str, norm: pipelines.Normalised) -> None:
    st.markdown("**Normalisation** on the train split of " + code_span(spec))
    before, arrow, after = st.columns([5, 1, 5], vertical_alignment="center")
    before.metric("uint8 images (N, width, height)", str(norm.shape_before))
    before.caption(f"{norm.dtype_before}, values {norm.range_before[0]} to {norm.range_before[1]}")
    arrow.markdown("### →")
    after.metric("x.reshape(N, w, h, 1) / 255", str(norm.shape_after))
    after.caption(
        f"{norm.dtype_after}, values {norm.range_after[0]:.3f} to {norm.range_after[1]:.3f} "
        f"(first {pipelines.SAMPLE_BATCH} converted: {norm.batch_range[0]:.3f} to {norm.batch_range[1]:.3f})"
    )


# ---- the page ----


def main() -> None:
    slide = Slide("3 · The Keras pipeline, on this data")
    spec, summary, norm = read_active_source(cached_summary, normalised_train)
    with slide.key():
        show_steps(step_facts(summary, norm))
        show_normalisation(spec, norm)
    st.caption(
        f"Images at the explorer's {summary.cached_size} px. The channel axis is what Conv2D expects "
        "(channels last); dividing by 255 keeps the gradients of the first layer in a usable range. "
        "Computed by `pipeline.talk.pipelines.normalise`. Augmentation: "
        f"{origins.augmentation()}."
    )
    slide.notes(notes.keras_pipeline(summary, norm))


main()
