"""3 · The PyTorch pipeline's extra preprocessing: nested class folders -> one flat image folder ->
a ``filename,label`` CSV -> a custom Dataset, each stage on the active data's train split
(``pipeline.talk.pipelines``), each linked to the page that does the rest."""

from __future__ import annotations

import inspect

import pandas as pd
import streamlit as st

from dashboard.cache.datasets import cached_scan
from dashboard.cache.talk_pages import torch_stages
from dashboard.widgets.common import read_active_source
from dashboard.widgets.slide import Slide
from pipeline.data.images import code_span
from pipeline.talk import notes, pipelines

# ---- sections ----


def show_stages(found, slide: Slide) -> None:
    """The four stages side by side, on the active data's train split."""
    with slide.key():
        columns = st.columns(4)
        for number, (column, stage) in enumerate(zip(columns, pipelines.TORCH_STAGES), start=1):
            column.markdown(f"**{number} · {stage}**")
        columns[0].dataframe(
            pd.DataFrame({"path": found.nested}), hide_index=True, width="stretch", height="content"
        )
        columns[1].dataframe(
            pd.DataFrame({"file": found.flat}), hide_index=True, width="stretch", height="content"
        )
        columns[2].code(found.csv_head, language=None)
        columns[3].metric("len(dataset)", f"{found.dataset_length:,}")
        columns[3].markdown(
            f"`dataset[0]` → image `{found.item_dtype}` {found.item_shape}, label **{found.item_label}**"
        )
        st.page_link(
            "views/training.py",
            label="Training: a DataLoader feeds these items to the same CNN in PyTorch",
            icon=":material/arrow_forward:",
        )


def explain_stages(found, spec: str, kind: str) -> None:
    st.caption(
        f"The {found.total:,} train images of {code_span(spec)}"
        + (
            " (generated in memory: the nested paths are the class folders they would sit in)."
            if kind == "synthetic"
            else "."
        )
        + " Flat names put split and class in front so that none collide; the CSV's label is 0 for NORMAL, "
        "1 for PNEUMONIA. Keras' `image_dataset_from_directory` reads the nested folders directly."
    )
    with st.expander("The custom Dataset's code"):
        st.code(inspect.getsource(pipelines.XrayCsvDataset), language="python")


# ---- the page ----


def main() -> None:
    slide = Slide("3 · The PyTorch pipeline: more preprocessing")
    spec, found, scan = read_active_source(torch_stages, cached_scan)
    show_stages(found, slide)
    explain_stages(found, spec, scan.kind)
    slide.notes(notes.torch_pipeline(found))


main()
