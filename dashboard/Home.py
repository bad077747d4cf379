"""PneumoLab: Keras and PyTorch side by side on pediatric chest X-rays.

Run with ``streamlit run dashboard/Home.py``. This entry file only sets up navigation, the
data-source sidebar and presenter mode (``?present=1``); each page lives in ``dashboard/views/``
and calls into ``pipeline/``. ``streamlit run`` puts only ``dashboard/`` on the import path: the
project is installed (``pip install -e .``, which ``make`` and the Cloud's requirements file do),
so ``dashboard``, ``pipeline`` and ``models`` import from anywhere (docs/architecture.md).
It imports neither TensorFlow nor PyTorch: they cost seconds and gigabytes, and Home needs neither.
"""

import streamlit as st

from dashboard.app.pages import HOME, TALK
from dashboard.app.presenter import (
    configure_page,
    presenter_mode,
    presenter_sidebar,
    presenter_style,
    speaker_view,
    talk_controls,
)
from dashboard.app.server import keep_keras_state, serialize_ast_parsing
from dashboard.cache.shipped_runs import install_shipped_runs
from dashboard.widgets.source_picker import source_sidebar
from pipeline.heap import return_freed_memory

return_freed_memory()  # once per process: scored splits give their memory back (pipeline/heap.py)
keep_keras_state()  # no Keras reset after every run (dashboard/app/server.py)
serialize_ast_parsing()  # before any page is parsed: CPython's gh-106905 (dashboard/app/server.py)
install_shipped_runs()  # once per process: a fresh deployment has results at once

if speaker_view():  # the speaker's second tab: notes, next page, clock; no navigation
    configure_page(False)
    st.navigation([st.Page("views/speaker.py", title="Speaker view")], position="hidden").run()
    st.stop()

presenting = presenter_mode()  # from the URL or the session, before the page is configured
configure_page(presenting)

home = st.Page(HOME.path, title=HOME.title, icon=HOME.icon, default=True)
talk = [st.Page(page.path, title=page.title, icon=page.icon) for page in TALK]

# expanded=True: all the pages listed in the talk's order (Streamlit folds a long list after ten
# entries behind "View more", which hid the pages the speaker goes to).
navigation = st.navigation({"PneumoLab": [home], "Talk": talk}, expanded=True)
source_sidebar()
presenter_sidebar(presenting)
if presenting:
    presenter_style()
    current = dict(zip([home, *talk], [HOME, *TALK]))[
        navigation
    ]  # st.navigation returns one of the pages given
    talk_controls(current.path)
navigation.run()
