"""dashboard.ui.server and .streamlit/config.toml: nothing heavy between two runs of a page."""

import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_config_turns_off_the_work_done_after_every_run():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["fileWatcherType"] == "none"
    assert config["runner"]["postScriptGC"] is False


@pytest.mark.app  # a child process that loads Keras: not in make test-fast
def test_streamlit_cleanup_leaves_keras_alone_and_still_closes_figures():
    # In a child: Keras is imported the project's way (torch first), then Streamlit's post-run
    # cleanup runs as the script runner calls it. Keras' uid counter survives only without
    # clear_session; matplotlib's figures are closed either way.
    child = textwrap.dedent(
        """
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from models.frameworks import import_keras
        from streamlit.runtime.scriptrunner import script_runner
        from dashboard.ui.server import keep_keras_state

        keras = import_keras()
        def survives() -> bool:
            plt.figure()
            before = keras.backend.get_uid("probe")
            script_runner._clean_problem_modules()
            kept = keras.backend.get_uid("probe") == before + 1
            assert not plt.get_fignums(), "figures were left open"
            return kept
        print(survives(), keep_keras_state(), survives())
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", child], capture_output=True, text=True, cwd=ROOT, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["False", "True", "True"]
