"""A shared deployment: no training trigger on any page, and models scored without a framework.

``PNEUMOLAB_ALLOW_TRAINING=0`` (or the secret ``allow_training = false``) must leave no button
that starts a training, on every page, each page saying why instead where a button was; the
command line keeps training. ``PNEUMOLAB_MODEL_BACKEND=onnx`` scores runs through ONNX Runtime.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.app.pages import HOME, TALK
from dashboard.context.deployment import TRAINING_OFF

pytestmark = pytest.mark.app  # AppTest or a framework CLI: not in make test-fast

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "dashboard" / "Home.py")
TRAINING_LABELS = ("Train", "Train both runs", "Train now", "Delete")


@pytest.fixture
def shared(monkeypatch):
    monkeypatch.setenv("PNEUMOLAB_ALLOW_TRAINING", "0")
    monkeypatch.setenv("PNEUMOLAB_MODEL_BACKEND", "onnx")


def labels(app: AppTest) -> list[str]:
    return [button.label for button in app.button]


@pytest.mark.parametrize("page", [HOME, *TALK], ids=lambda page: page.title)
def test_no_page_shows_a_training_trigger(shared, page):
    app = AppTest.from_file(APP, default_timeout=240).run()
    if page is not HOME:
        app.switch_page(page.path).run()
    assert not app.exception, [e.value for e in app.exception]
    shown = labels(app)
    assert not [label for label in shown if label.startswith(TRAINING_LABELS)], shown
    if page.path in ("views/training.py", "views/talk_conclusion.py", "views/talk_insights.py"):
        assert TRAINING_OFF in [info.value for info in app.info], "the page must say why"


def test_the_training_page_offers_training_by_default():
    app = AppTest.from_file(APP, default_timeout=240).run()
    app.switch_page("views/training.py").run()
    assert any(label.startswith("Train") for label in labels(app)), labels(app)
    assert TRAINING_OFF not in [info.value for info in app.info]


def test_the_secret_turns_training_off_too(tmp_path, monkeypatch):
    from dashboard.context import deployment

    monkeypatch.setattr(deployment, "secret", lambda name, default: False)
    assert not deployment.training_allowed()
    monkeypatch.setattr(deployment, "secret", lambda name, default: default)
    monkeypatch.setenv("PNEUMOLAB_ALLOW_TRAINING", "off")
    assert not deployment.training_allowed()
    monkeypatch.setenv("PNEUMOLAB_ALLOW_TRAINING", "1")
    assert deployment.training_allowed()


def test_the_example_secrets_turn_training_off_and_use_onnx():
    import tomllib

    secrets = tomllib.loads((ROOT / ".streamlit" / "secrets.toml.example").read_text())
    assert secrets["allow_training"] is False
    assert secrets["model_backend"] == "onnx"


def test_the_command_line_still_trains_with_training_off(tmp_path):
    env = {**os.environ, "PNEUMOLAB_ALLOW_TRAINING": "0", "PNEUMOLAB_CACHE": str(tmp_path)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline.train",
            "--framework",
            "torch",
            "--preset",
            "quick",
            "--epochs",
            "1",
            "--img-size",
            "32",
            "--width",
            "0.25",
            "--json",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)["status"] == "finished"


def test_evaluation_and_predictions_use_the_shipped_runs_without_any_framework(tmp_path):
    """A fresh store on a shared deployment: both pages show the shipped runs' results (Keras vs
    PyTorch, both Grad-CAM maps), and the process never imports TensorFlow or torch."""
    code = f"""
import sys
from streamlit.testing.v1 import AppTest


app = AppTest.from_file({APP!r}, default_timeout=300).run()
for page in ("views/evaluation.py", "views/predictions.py", "views/talk_conclusion.py"):
    app.switch_page(page).run()
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]
    print(page, len(app.get("plotly_chart")), len(app.get("imgs")), flush=True)
print("frameworks", sorted(m for m in ("torch", "tensorflow", "keras") if m in sys.modules))
"""
    env = {
        **os.environ,
        "PNEUMOLAB_CACHE": str(tmp_path),
        "PNEUMOLAB_SHIPPED_RUNS": "1",
        "PNEUMOLAB_ALLOW_TRAINING": "0",
        "PNEUMOLAB_MODEL_BACKEND": "onnx",
    }
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "frameworks []" in done.stdout, done.stdout
