"""Home: what PneumoLab is, the active data source, and the way to each page."""

import streamlit as st

from dashboard.ui.data_cache import cached_summary
from dashboard.ui.source_picker import active_source
from pipeline.data import SourceError

st.title("PneumoLab")
st.markdown(
    "Keras and PyTorch side by side on one real task: telling **pneumonia** from **normal** in "
    "pediatric chest X-rays.  \nSee for yourself whether *data processing makes the difference*, "
    "with your own data and your own runs."
)

source = active_source()
try:
    summary = cached_summary(source)
except (SourceError, OSError, ValueError) as error:
    st.error(f"The data source `{source}` cannot be read: {error}")
    st.stop()

totals = summary["totals"]
left, middle, right = st.columns(3)
left.metric("Active source", summary["kind"], help=source)
middle.metric("Images", f"{summary['images']:,}")
right.metric("NORMAL : PNEUMONIA", f"{totals['NORMAL']:,} : {totals['PNEUMONIA']:,}")
if summary["skipped"]:
    st.caption(f"{len(summary['skipped'])} files skipped: see the Dataset explorer for the list.")

st.subheader("Pages")
st.page_link("views/explorer.py", label="Dataset explorer: counts, samples, histograms, patients",
             icon=":material/photo_library:")
