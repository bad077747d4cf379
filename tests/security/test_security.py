"""Security: what a shared deployment exposes, paths that look like shell, and files that carry code.

* Local paths as data sources can be turned off (``PNEUMOLAB_ALLOW_LOCAL_PATHS=0`` or the secret
  ``allow_local_paths = false``): the picker then offers the demo and the MedMNIST download only,
  and a ``PNEUMOLAB_DATA`` that names a path is refused with a message.
* A path full of shell metacharacters is a plain path: it is read, shown, and never run.
* Weights and arrays load without running code from the file: torch ``weights_only=True``, Keras
  ``safe_mode=True``, NumPy ``allow_pickle=False``. Each payload here would create a marker file
  when run; the controls show that it does run when loaded the unsafe way.
* The upload limit in ``.streamlit/config.toml`` is the one Streamlit reads and the page states.
"""

import ast
import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
import uuid
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from pipeline.data import SourceError, load_split, open_source
from pipeline.data.arrays import cache_path
from pipeline.runs import Run, write_json
from tests.helpers.configs import tiny
from tests.helpers.imagetree import kaggle_tree

ROOT = Path(__file__).resolve().parents[2]
HOME = str(ROOT / "dashboard" / "Home.py")
TIMEOUT_S = 120
SHARED_CHOICES = ["Demo (synthetic)", "MedMNIST download"]
ALL_CHOICES = [
    "Demo (synthetic)",
    "Folder or CSV on this machine",
    "MedMNIST download",
    "MedMNIST .npz file",
]
CODE_FOLDERS = ("pipeline", "dashboard", "models")  # what runs in the app and its CLIs


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """Every test starts as a local machine does: no default source, paths allowed."""
    monkeypatch.delenv("PNEUMOLAB_DATA", raising=False)
    monkeypatch.delenv("PNEUMOLAB_ALLOW_LOCAL_PATHS", raising=False)


@pytest.fixture(scope="module")
def hospital(tmp_path_factory) -> Path:
    return kaggle_tree(
        tmp_path_factory.mktemp("tree") / "hospital", per_class=(5, 15), broken=False
    )


def home(secrets: dict | None = None) -> AppTest:
    app = AppTest.from_file(HOME, default_timeout=TIMEOUT_S)
    for name, value in (secrets or {}).items():
        app.secrets[name] = value
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def source_choices(app: AppTest) -> list[str]:
    return list(app.sidebar.selectbox(key="source_kind").options)


def active_caption(app: AppTest) -> str:
    return next(c.value for c in app.sidebar.caption if c.value.startswith("Active:"))


def metrics(app: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in app.main.metric}


def marker(name: str) -> Path:
    """A file in /tmp that only a payload that ran would create."""
    path = Path("/tmp") / f"pwned_{os.getpid()}_{uuid.uuid4().hex[:8]}_{name}"
    assert not path.exists()
    return path


# ---- (a) local paths on and off ----


def test_local_paths_are_offered_on_a_machine_of_ones_own():
    assert source_choices(home()) == ALL_CHOICES


@pytest.mark.parametrize("word", ["0", "false", "No", " off "])
def test_environment_variable_turns_local_paths_off(monkeypatch, word):
    monkeypatch.setenv("PNEUMOLAB_ALLOW_LOCAL_PATHS", word)
    app = home()
    assert source_choices(app) == SHARED_CHOICES
    assert not app.sidebar.error
    assert metrics(app)["Active source"] == "synthetic"


@pytest.mark.parametrize("value", [False, "false"])
def test_secret_turns_local_paths_off_even_when_the_environment_allows_them(monkeypatch, value):
    monkeypatch.setenv("PNEUMOLAB_ALLOW_LOCAL_PATHS", "1")  # either one saying off is enough
    assert source_choices(home({"allow_local_paths": value})) == SHARED_CHOICES
    assert source_choices(home({"allow_local_paths": True})) == ALL_CHOICES


@pytest.mark.parametrize("where", ["environment", "secrets"])
@pytest.mark.parametrize("default", ["folder", "npz", "csv"])
def test_a_default_that_names_a_path_is_refused_when_paths_are_off(
    monkeypatch, hospital, where, default
):
    spec = {
        "folder": str(hospital),
        "npz": "medmnist:/data/pneumoniamnist_128.npz",
        "csv": str(hospital / "labels.csv"),
    }[default]
    monkeypatch.setenv("PNEUMOLAB_ALLOW_LOCAL_PATHS", "0")
    if where == "environment":
        monkeypatch.setenv("PNEUMOLAB_DATA", spec)
        app = home()
    else:
        app = home({"PNEUMOLAB_DATA": spec})

    errors = [e.value for e in app.sidebar.error]
    assert (
        len(errors) == 1 and "PNEUMOLAB_DATA names a file or folder on the server" in errors[0]
    ), errors
    assert "medmnist:128" in errors[0]  # what to set instead
    assert str(hospital) not in errors[0]  # a visitor is not shown the server's paths
    assert metrics(app)["Active source"] == "synthetic" and "synthetic" in active_caption(app)
    assert source_choices(app) == SHARED_CHOICES


def test_a_download_default_is_kept_when_paths_are_off(monkeypatch):
    monkeypatch.setenv("PNEUMOLAB_ALLOW_LOCAL_PATHS", "0")
    monkeypatch.setenv("PNEUMOLAB_DATA", "medmnist:128")
    monkeypatch.setenv(
        "PNEUMOLAB_MEDMNIST_URL", "http://127.0.0.1:9/pneumoniamnist_128.npz"
    )  # refused at once
    app = home()
    assert "medmnist:128" in active_caption(app)
    assert not app.sidebar.error
    assert (
        "could not download" in app.main.error[0].value
    )  # the page says why, the picker keeps the choice


def test_the_documented_cloud_secrets_give_a_shared_deployment(monkeypatch):
    secrets = tomllib.loads((ROOT / ".streamlit" / "secrets.toml.example").read_text())
    monkeypatch.setenv(
        "PNEUMOLAB_MEDMNIST_URL", "http://127.0.0.1:9/pneumoniamnist_128.npz"
    )  # no network here
    app = home(secrets)
    assert source_choices(app) == SHARED_CHOICES
    assert "medmnist:128" in active_caption(app) and not app.sidebar.error


def test_a_session_on_a_path_falls_back_when_paths_are_turned_off(monkeypatch, hospital):
    app = home()
    app.sidebar.selectbox(key="source_kind").set_value("Folder or CSV on this machine").run()
    app.sidebar.text_input(key="source_path_path").set_value(str(hospital)).run()
    assert metrics(app)["Active source"] == "folder"

    monkeypatch.setenv(
        "PNEUMOLAB_ALLOW_LOCAL_PATHS", "0"
    )  # e.g. the secrets changed under a live app
    app.run()

    assert not app.exception, [e.value for e in app.exception]
    assert metrics(app)["Active source"] == "synthetic"
    assert source_choices(app) == SHARED_CHOICES


# ---- paths are data, never commands ----

PAYLOADS = {
    "semicolon": "data; touch {marker}",
    "substitution": "$(touch {marker})",
    "backticks": "`touch {marker}`",
    "quotes": "it's \"quoted\" '; touch {marker}; echo '",
    "newline": "first\ntouch {marker}",
}


@pytest.fixture(scope="module")
def hostile_trees(tmp_path_factory) -> dict[str, tuple[Path, Path]]:
    """Per payload: (a real image folder whose path holds it, the marker a shell would create)."""
    base = tmp_path_factory.mktemp("hostile")
    trees = {}
    for name, template in PAYLOADS.items():
        touched = marker(name)
        root = base / template.format(marker=touched)  # the marker's '/' make nested folders
        kaggle_tree(root, per_class=(2, 6), broken=False)
        trees[name] = (root, touched)
    return trees


def test_paths_with_shell_metacharacters_are_read_as_plain_paths_in_the_picker(hostile_trees):
    app = home()
    app.sidebar.selectbox(key="source_kind").set_value("Folder or CSV on this machine").run()
    for name, (root, touched) in hostile_trees.items():
        app.sidebar.text_input(key="source_path_path").set_value(str(root)).run()
        assert not app.exception, (name, [e.value for e in app.exception])
        assert not app.sidebar.error, (name, [e.value for e in app.sidebar.error])
        assert metrics(app)["NORMAL : PNEUMONIA"] == "2 : 6", name
        assert str(root.resolve()) in active_caption(app), name  # shown, resolved, as typed
        assert not touched.exists(), f"{name}: the payload ran"


def test_paths_with_shell_metacharacters_are_read_as_plain_paths_by_the_cli(hostile_trees):
    for name, (root, touched) in hostile_trees.items():
        done = subprocess.run(
            [sys.executable, "-m", "pipeline.data", "summary", "--source", str(root), "--json"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, (name, done.stderr[-2000:])
        assert json.loads(done.stdout)["totals"] == {"NORMAL": 2, "PNEUMONIA": 6}, name
        assert not touched.exists(), f"{name}: the payload ran"


def code_files(folders=CODE_FOLDERS):
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            yield path, ast.parse(path.read_text(), filename=str(path))


def called_name(call: ast.Call) -> str:
    """``subprocess.run``, ``os.system``, ``torch.load``, ``load_model``... as written."""
    parts, node = [], call.func
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def keyword(call: ast.Call, name: str):
    value = next((k.value for k in call.keywords if k.arg == name), None)
    return value.value if isinstance(value, ast.Constant) else value


def test_no_code_runs_a_shell_or_unpickles():
    """Every process start is an argument list without a shell; nothing evals, execs or unpickles.

    Tests and benchmarks are included for the shell (they pass paths too); only the app's code
    for eval/exec and pickle (tests exec the generated augmentation code on purpose).
    """
    shells, starts = [], []
    for path, tree in code_files((*CODE_FOLDERS, "tests", "benchmarks")):
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name, where = called_name(node), f"{path.relative_to(ROOT)}:{node.lineno}"
            if name in (
                "os.system",
                "os.popen",
                "subprocess.getoutput",
                "subprocess.getstatusoutput",
            ) or name.startswith(("os.exec", "os.spawn")):
                shells.append(f"{where} {name}")
            if name.startswith("subprocess.") or name.endswith("Popen"):
                starts.append(where)
                if keyword(node, "shell") not in (None, False):
                    shells.append(f"{where} shell=True")
                if node.args and isinstance(node.args[0], (ast.Constant, ast.JoinedStr, ast.BinOp)):
                    shells.append(f"{where} a command as one string")
    assert shells == []
    assert any(
        "pipeline/training/executors.py" in s for s in starts
    )  # the audit saw the worker's start

    unsafe = []
    for path, tree in code_files():
        for node in ast.walk(tree):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                modules = (
                    [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                )
                unsafe += [
                    f"{where} import {m}"
                    for m in modules
                    if m.split(".")[0]
                    in ("pickle", "marshal", "shelve", "dill", "cloudpickle", "joblib")
                ]
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("eval", "exec")
            ):
                unsafe.append(f"{where} {node.func.id}")  # not model.eval(), torch's mode switch
    assert unsafe == []


def test_every_loader_in_the_app_is_the_safe_one():
    """torch.load with weights_only=True, Keras load_model with safe_mode=True (both written out: their
    defaults have changed across versions), np.load never with allow_pickle=True (False by default)."""
    rules = {
        "torch.load": ("weights_only", (True,)),
        "models.load_model": ("safe_mode", (True,)),
        "saving.load_model": ("safe_mode", (True,)),
        "np.load": ("allow_pickle", (False, None)),
        "numpy.load": ("allow_pickle", (False, None)),
    }
    seen, wrong = [], []
    for path, tree in code_files():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = called_name(node)
            rule = next(
                (r for suffix, r in rules.items() if name == suffix or name.endswith("." + suffix)),
                None,
            )
            if rule is None:
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            seen.append(name)
            if not any(keyword(node, rule[0]) is value for value in rule[1]):
                wrong.append(f"{where} {name} without {rule[0]}={rule[1][0]}")
    assert wrong == []
    assert {"torch.load", "keras.models.load_model", "np.load"} <= set(seen)


# ---- (b) weights and arrays that carry code ----


class OpenPayload:
    """Pickles as a call to ``open(path, "w")``: unpickling it creates the file."""

    def __init__(self, path: Path):
        self.path = str(path)

    def __reduce__(self):
        return open, (self.path, "w")


def planted_run(framework: str, weights: Path) -> Run:
    """A finished run in the store whose weights file is ``weights`` (as if swapped on disk)."""
    config = tiny(framework)
    run = Run(uuid.uuid4().hex[:16])
    (run.path / "weights").mkdir(parents=True)
    (run.path / "config.json").write_text(config.to_json())
    shutil.copy(weights, run.path / "weights" / weights.name)
    write_json(
        run.path / "result.json", {"weights": weights.name, "val": {"auc": 0.5, "threshold": 0.5}}
    )
    run.set_status("finished", created=time.time(), framework=framework, source="synthetic")
    return run


def evaluation_error(run: Run) -> str:
    app = home()
    app.switch_page("views/evaluation.py").run()
    app.selectbox(key="evaluation_run").set_value(run.id).run()
    assert not app.exception, [e.value for e in app.exception]
    return " ".join(e.value for e in app.main.error)


@pytest.fixture
def torch_payload(tmp_path):
    import torch

    touched = marker("torch")
    path = tmp_path / "model.pt"
    torch.save({"conv1.weight": OpenPayload(touched)}, path)
    assert not touched.exists()
    return path, touched


def test_torch_weights_with_a_pickled_payload_are_refused_and_never_run(torch_payload):
    import torch

    from pipeline.inference import ModelLoadError, load_run_model

    path, touched = torch_payload
    run = planted_run("torch", path)
    try:
        with pytest.raises(ModelLoadError, match="damaged or unreadable") as caught:
            load_run_model(run.id)
        assert "delete the run" in str(caught.value)
        message = evaluation_error(run)
        assert "This run cannot be evaluated" in message and "model.pt" in message
        assert not touched.exists(), "the payload ran"

        torch.load(path, weights_only=False)  # the control: loaded the unsafe way, it does run
        assert touched.exists()
    finally:
        shutil.rmtree(run.path)
        touched.unlink(missing_ok=True)


def test_keras_model_with_a_lambda_layer_is_refused_and_never_run(tmp_path):
    from pipeline.frameworks import import_keras
    from pipeline.inference import ModelLoadError, load_run_model

    keras = import_keras()
    touched = marker("keras")
    payload = eval(
        f"lambda x: (open({str(touched)!r}, 'w').close(), x)[1]"
    )  # a constant path in its code
    model = keras.Sequential(
        [
            keras.Input((32, 32, 1)),
            keras.layers.Lambda(payload, output_shape=(32, 32, 1)),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    path = tmp_path / "model.keras"
    model.save(path)
    touched.unlink(missing_ok=True)  # building the model called the lambda once
    run = planted_run("keras", path)
    try:
        with pytest.raises(ModelLoadError, match="damaged or unreadable") as caught:
            load_run_model(run.id)
        assert "Lambda" in str(caught.value)
        assert "This run cannot be evaluated" in evaluation_error(run)
        assert not touched.exists(), "the payload ran"

        keras.models.load_model(path, safe_mode=False)(
            np.zeros((1, 32, 32, 1))
        )  # the control: its code runs
        assert touched.exists()
    finally:
        shutil.rmtree(run.path)
        touched.unlink(missing_ok=True)


def pickled_npz(path: Path, touched: Path) -> Path:
    """PneumoniaMNIST's layout, but train_labels is an object array whose item is the payload."""
    rng = np.random.default_rng(0)
    arrays = {}
    for split, n in (("train", 8), ("val", 4), ("test", 4)):
        arrays[f"{split}_images"] = rng.integers(0, 255, (n, 28, 28), dtype=np.uint8)
        arrays[f"{split}_labels"] = (np.arange(n) % 2).astype(np.uint8).reshape(n, 1)
    payload = np.empty((8, 1), dtype=object)
    payload[:] = [[OpenPayload(touched)]] * 8
    arrays["train_labels"] = payload
    np.savez(path, **arrays)
    return path


def test_npz_with_an_object_array_is_refused_in_the_picker_and_never_run(tmp_path):
    touched = marker("npz")
    path = pickled_npz(tmp_path / "pneumoniamnist_28.npz", touched)
    app = home()
    app.sidebar.selectbox(key="source_kind").set_value("MedMNIST .npz file").run()
    app.sidebar.text_input(key="source_npz_path").set_value(str(path)).run()

    assert not app.exception, [e.value for e in app.exception]
    errors = " ".join(e.value for e in app.sidebar.error)
    assert "cannot read train_labels" in errors and "allow_pickle=False" in errors, errors
    assert "Still using" in errors and "synthetic" in active_caption(app)
    assert not touched.exists(), "the payload ran"

    with np.load(path, allow_pickle=True) as npz:  # the control
        npz["train_labels"]
    assert touched.exists()
    touched.unlink()


def test_a_poisoned_array_cache_entry_is_rebuilt_not_unpickled(tmp_path, hospital):
    """Someone who can write the cache plants an object array where decoded pixels belong."""
    touched = marker("cache")
    scan = open_source(str(hospital)).scan()
    entry = cache_path(scan, 32)
    entry.parent.mkdir(parents=True, exist_ok=True)
    poisoned = np.empty(3, dtype=object)
    poisoned[:] = [OpenPayload(touched)] * 3
    np.savez(
        entry,
        images=poisoned,
        labels=poisoned,
        splits=poisoned,
        patients=poisoned,
        origins=poisoned,
        original_sizes=poisoned,
        failed_paths=poisoned,
        failed_reasons=poisoned,
    )

    arrays = load_split(str(hospital), "train", 32)

    assert arrays.images.dtype == np.uint8 and arrays.images.shape[1:] == (32, 32)
    assert not touched.exists(), "the payload ran"


def test_an_npz_source_with_an_object_array_is_refused_by_the_data_layer(tmp_path):
    touched = marker("npz_layer")
    path = pickled_npz(tmp_path / "p.npz", touched)
    with pytest.raises(SourceError, match="allow_pickle=False"):
        load_split(f"medmnist:{path}", "train", 28)
    assert not touched.exists()


# ---- (c) upload limits ----


def test_upload_limit_is_the_one_streamlit_reads_and_the_page_states():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == 10
    probe = (
        "from streamlit import config; config.get_config_options(force_reparse=True); "
        "print(config.get_option('server.maxUploadSize'), config.get_option('server.enableXsrfProtection'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["10", "True"]  # read from this project's config; XSRF left on

    from pipeline.data.images import MAX_UPLOAD_MB  # what the pages state and read_upload enforces

    assert config["server"]["maxUploadSize"] == MAX_UPLOAD_MB


def test_decoded_images_have_a_pixel_limit():
    """The limit itself is exercised with real oversized images in the bad-input tests."""
    from pipeline.data.images import MAX_PIXELS

    assert (
        4096 * 4096 < MAX_PIXELS <= 100_000_000
    )  # far above an X-ray, far below what exhausts memory
