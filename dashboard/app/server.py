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

And one thing Python itself gets wrong with several sessions at once: ``serialize_ast_parsing``.
"""

from __future__ import annotations

import ast
import functools
import sys
import threading

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


# ---- one syntax tree at a time ----

_AST_LOCK = threading.RLock()  # reentrant: a finaliser run by the GC inside a parse may parse too
_INSTALL_LOCK = threading.Lock()


def serialize_ast_parsing() -> bool:
    """Make ``ast.parse`` run one call at a time in this process; False when it already does.

    CPython 3.11.0-3.11.7 and 3.12.0-3.12.1 (gh-106905, fixed in 3.11.8 and 3.12.2) keep the
    recursion depth of ``ast.parse``'s tree building in one counter per interpreter, not per
    thread. A garbage collection during the build can run a finaliser, and with it another
    thread's parse, which moves the shared counter: the first parse then fails with
    ``SystemError: AST constructor recursion depth mismatch``. Streamlit parses every page
    script before it runs it (``magic.add_magic``); Streamlit's script cache serialises its own
    compilations on a server, but not a parse elsewhere at the same moment (Python 3.11's
    tracebacks, pandas' ``query``, TensorFlow's autograph), and each AppTest run compiles afresh
    without that cache, which is how CI met it (two sessions rerunning at once, one of 20 runs).

    A lock around ``ast.parse`` (looked up by callers at call time: Streamlit, ``traceback``,
    ``gast``) closes the race on every Python; the cost is nothing measurable, as the GIL lets
    one thread parse at a time anyway. Home calls this on every run, before any page is parsed.
    """
    with _INSTALL_LOCK:
        if ast_parsing_is_serialized():
            return False
        parse = ast.parse

        @functools.wraps(parse)
        def serialized_parse(*args, **kwargs):
            with _AST_LOCK:
                return parse(*args, **kwargs)

        serialized_parse.serialized = True
        ast.parse = serialized_parse
        return True


def ast_parsing_is_serialized() -> bool:
    return getattr(ast.parse, "serialized", False) is True
