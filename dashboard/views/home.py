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
left.metric("Active source", summary["kind"])
middle.metric("Images", f"{summary['images']:,}")
right.metric("NORMAL : PNEUMONIA", f"{totals['NORMAL']:,} : {totals['PNEUMONIA']:,}")
st.caption(f"Source: `{source}`")
if summary["skipped"]:
    count = len(summary["skipped"])
    st.caption(f"{count} {'file' if count == 1 else 'files'} skipped: the Dataset explorer lists them with the reason.")

st.subheader("Pages, in the talk's order")
PAGES = (
    ("views/explorer.py", "Dataset explorer: counts, samples, histograms, patients", ":material/photo_library:"),
    ("views/augmentation.py", "Augmentation: ImageDataGenerator and torchvision side by side", ":material/tune:"),
    ("views/training.py", "Training: the talk's CNN in both frameworks, cached runs", ":material/model_training:"),
    ("views/evaluation.py", "Evaluation: the classification report, ROC, calibration, Keras vs PyTorch",
     ":material/analytics:"),
    ("views/predictions.py", "Predictions: per-image probabilities and Grad-CAM from both frameworks",
     ":material/visibility:"),
)
for page, label, icon in PAGES:
    st.page_link(page, label=label, icon=icon)
