"""3 · The model: the talk's MODEL slide (5 Conv2D, 4 BatchNormalization, 5 MaxPooling2D,
2 Dropout) set against the two models this app trains, built and counted layer by layer
(``pipeline.talk.architecture``: PyTorch first, then Keras).

Building both imports the frameworks once per machine (the description is then kept on disk);
on a shared deployment it happens in a child process, so they never stay in this one.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.cache.talk_live import built_architecture
from dashboard.widgets.slide import Slide
from pipeline.frameworks import FRAMEWORK_NAMES
from pipeline.talk import architecture, notes, origins

# ---- sections ----


def counts_table(found: architecture.Architecture) -> pd.DataFrame:
    """Rows: layer kinds; columns: the slide, then each built model."""
    rows = []
    for kind in (*architecture.SLIDE_KINDS, "dense", "relu", "flatten"):
        on_slide = architecture.SLIDE.of(kind) if kind in architecture.SLIDE_KINDS else None
        rows.append(
            {
                "layer": architecture.KIND_NAMES[kind],
                "MODEL slide": "" if on_slide is None else str(on_slide),
                **{
                    FRAMEWORK_NAMES[f]: str(found.models[f].counts.of(kind))
                    for f in architecture.FRAMEWORK_ORDER
                },
            }
        )
    return pd.DataFrame(rows).set_index("layer")


def show_counts(found: architecture.Architecture) -> None:
    table, totals = st.columns([3, 2], gap="large")
    table.table(counts_table(found))
    with totals:
        for framework in architecture.FRAMEWORK_ORDER:
            model = found.models[framework]
            st.metric(
                f"{FRAMEWORK_NAMES[framework]}: weights",
                f"{model.parameters:,}",
                help=f"{model.trainable:,} trainable, {model.parameters - model.trainable:,} BatchNorm statistics",
            )
        same = not found.differences()
        slide = all(found.matches_slide(f) for f in architecture.FRAMEWORK_ORDER)
        st.markdown(
            ("Both match the slide" if slide else "**A model differs from the slide**")
            + (", and each other layer by layer." if same else "; they differ from each other.")
        )


def layers_table(found: architecture.Architecture) -> pd.DataFrame:
    keras, torch = found.models["keras"].layers, found.models["torch"].layers
    return pd.DataFrame(
        [
            {
                "layer": k.name,
                "kind": architecture.KIND_NAMES[k.kind],
                "output (H, W, C)": " x ".join(map(str, k.output_shape)),
                "Keras weights": k.parameters,
                "PyTorch weights": t.parameters,
            }
            for k, t in zip(keras, torch)
        ]
    )


# ---- the page ----


def main() -> None:
    slide = Slide("3 · The model")
    with st.spinner(
        "Building both models (the first time on this machine: the frameworks load)..."
    ):
        found = built_architecture()
    with slide.key():
        show_counts(found)
    st.caption(
        f"Built here from `models/keras_cnn.py` and `models/torch_cnn.py` at {found.img_size} x "
        f"{found.img_size} px, {found.channels} channel; weights count BatchNorm's running statistics "
        f"in both frameworks. The input size is {origins.said('img_size')}."
    )
    if slide.more("Every layer, its output shape and weights"):
        st.dataframe(layers_table(found), hide_index=True, width="stretch")
    slide.notes(notes.architecture(found, architecture.SLIDE))


main()
