"""What the Streamlit server does between two runs of a page, trimmed to what PneumoLab needs.

Measured with py-spy on a laptop-style server (both frameworks loaded by the Evaluation and
Predictions pages; docs/architecture.md, "Between two runs"), three things ran after every
script run, about 0.5 to 1 s each time, so a presenter's PageDown (two runs: the button's,
then the page's) took 2 to 4 s:

- the file watcher walks every imported module's path (tens of thousands with TensorFlow and
  torch) to decide what to watch: off in ``.streamlit/config.toml`` (``fileWatcherType``);
- a full garbage collection over those modules' objects: off there too (``postScriptGC``);
  Python's own generational collections still run;
- ``keras.backend.clear_session()``, which Streamlit calls once Keras is imported: it runs its
  own full collection and drops TensorFlow's compiled kernels, so the next prediction compiles
  them again. PneumoLab builds no Keras model in a page script (training runs in a worker
  process; models are loaded once into ``st.cache_resource``), so there is no state to clear:
  ``keep_keras_state`` leaves Keras alone and keeps the rest of Streamlit's cleanup.
"""

from __future__ import annotations

import sys

from streamlit.runtime.scriptrunner import script_runner


def _clean_without_keras() -> None:
    """Streamlit's cleanup after a run, less the Keras reset (matplotlib's figures still close)."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")


def keep_keras_state() -> bool:
    """Replace Streamlit's post-run cleanup; False where this Streamlit has no such hook."""
    if not callable(getattr(script_runner, "_clean_problem_modules", None)):
        return False
    script_runner._clean_problem_modules = _clean_without_keras
    return True
