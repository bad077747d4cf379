"""PneumoLab: Keras and PyTorch side by side on pediatric chest X-rays.

Run with ``streamlit run dashboard/Home.py``. This entry file only sets up navigation and
the data-source sidebar; each page lives in ``dashboard/views/`` and calls into ``pipeline/``.
It imports neither TensorFlow nor PyTorch: they cost 13 s and 1.5 GB, and Home needs neither.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `streamlit run` puts only dashboard/ on the path
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from dashboard.ui.source_picker import source_sidebar  # noqa: E402

st.set_page_config(page_title="PneumoLab", page_icon=":material/pulmonology:", layout="wide")

PAGES = {
    "PneumoLab": [
        st.Page("views/home.py", title="Home", icon=":material/home:", default=True),
    ],
    "Demonstration": [
        st.Page("views/explorer.py", title="Dataset explorer", icon=":material/photo_library:"),
        st.Page("views/augmentation.py", title="Augmentation", icon=":material/tune:"),
        st.Page("views/training.py", title="Training", icon=":material/model_training:"),
        st.Page("views/evaluation.py", title="Evaluation", icon=":material/analytics:"),
        st.Page("views/predictions.py", title="Predictions", icon=":material/visibility:"),
    ],
}

navigation = st.navigation(PAGES)
source_sidebar()
navigation.run()
