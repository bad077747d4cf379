"""Hostile config and spec files: TrainConfig.from_json, AugmentSpec.from_json, the train CLI and the
Augmentation page's spec upload.

Each case must give one message that names the field and says what is allowed; never a
traceback. CLIs exit 2 with the message on stderr. ``python -m pipeline.train`` has no
``--config FILE`` option; the file it reads is the augmentation spec of ``--augment FILE``.
"""

import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipeline.augment.spec import FIELD_BY_NAME, AugmentSpec, SpecError
from pipeline.training.config import ConfigError, TrainConfig
from tests.helpers import hostile_files as hostile

pytestmark = pytest.mark.filterwarnings(
    "ignore:Please import `affine_transform`:DeprecationWarning"
)

ROOT = Path(__file__).resolve().parents[2]
KNOWN_SETTINGS = "known: framework, source, img_size, width, epochs, batch_size"
KNOWN_PARAMETERS = "known: " + ", ".join(FIELD_BY_NAME)

# name -> (file bytes, the field the message names, words the message must hold)
CONFIG_CASES = {
    "malformed JSON": (hostile.malformed_json(), "json", "not valid JSON (Expecting property name"),
    "empty file": (
        hostile.empty_json(),
        "json",
        "not valid JSON (Expecting value at line 1 column 1)",
    ),
    "10 MB file": (hostile.huge_json(), "json", "too large (10,485,774 bytes"),
    "not UTF-8": (hostile.non_utf8_json(), "json", "not UTF-8 text (byte 0xe9"),
    "nested too deeply": (b"[" * 50_000, "json", "nested too deeply"),
    "a list, not an object": (b"[1, 2]", "json", "expected an object of settings, got a list"),
    "null": (b"null", "json", "got null"),
    "string for int": (
        hostile.json_bytes({"epochs": "3"}),
        "epochs",
        'expected a whole number, got "3"',
    ),
    "float for int": (
        hostile.json_bytes({"epochs": 2.5}),
        "epochs",
        "expected a whole number, got 2.5",
    ),
    "bool for float": (
        hostile.json_bytes({"learning_rate": True}),
        "learning_rate",
        "expected a number, got true",
    ),
    "bool for int": (
        hostile.json_bytes({"batch_size": False}),
        "batch_size",
        "expected a whole number, got false",
    ),
    "list for dict": (
        hostile.json_bytes({"augment": [1, 2]}),
        "augment",
        "or an object of parameters, got [1, 2]",
    ),
    "number for text": (hostile.json_bytes({"source": 5}), "source", "expected text, got 5"),
    "negative epochs": (
        hostile.json_bytes({"epochs": -1}),
        "epochs",
        "-1 is outside the allowed range [1, 1000]",
    ),
    "400-digit epochs": (
        b'{"epochs": 1' + b"0" * 400 + b"}",
        "epochs",
        "... is outside the allowed range [1, 1000]",
    ),
    "NaN": (
        hostile.nan_json("learning_rate"),
        "learning_rate",
        "expected a finite number, got nan",
    ),
    "Infinity": (hostile.infinity_json("width"), "width", "expected a finite number, got inf"),
    "1e999": (b'{"learning_rate": 1e999}', "learning_rate", "expected a finite number, got inf"),
    "unknown choice": (
        hostile.json_bytes({"optimizer": "adamax"}),
        "optimizer",
        "expected one of adam, adamw, sgd",
    ),
    "unknown key": (
        hostile.json_bytes({"epochs": 2, "epohcs": 3}),
        "epohcs",
        f"unknown setting; {KNOWN_SETTINGS}",
    ),
    "key given twice": (b'{"epochs": 2, "epochs": 3}', "epochs", "given twice"),
    "rotation 1000": (
        hostile.json_bytes({"augment": {"rotation": 1000}}),
        "augment.rotation",
        "1000 is outside the allowed range [0, 180]",
    ),
    "unknown augment key": (
        hostile.json_bytes({"augment": {"rotate": 3}}),
        "augment.rotate",
        f"unknown parameter; {KNOWN_PARAMETERS}",
    ),
    "unknown augment preset": (
        hostile.json_bytes({"augment": "wild"}),
        "augment.preset",
        "choose one of none, talk, light, robust, strong",
    ),
    "impossible pair": (
        hostile.json_bytes({"weight_decay": 0.1, "optimizer": "adam"}),
        "weight_decay",
        "only with optimizer adamw",
    ),
}

SPEC_CASES = {
    "malformed JSON": (hostile.malformed_json(), "json", "not valid JSON (Expecting property name"),
    "empty file": (
        hostile.empty_json(),
        "json",
        "not valid JSON (Expecting value at line 1 column 1)",
    ),
    "10 MB file": (hostile.huge_json(), "json", "file too large (10,485,774 bytes"),
    "not UTF-8": (hostile.non_utf8_json(), "json", "not UTF-8 text"),
    "nested too deeply": (b"[" * 50_000, "json", "nested too deeply"),
    "a list, not an object": (b"[1, 2]", "json", "expected an object of parameters, got a list"),
    "string for float": (
        hostile.json_bytes({"rotation": "30"}),
        "rotation",
        'expected a number, got "30"',
    ),
    "bool for float": (hostile.json_bytes({"zoom": True}), "zoom", "expected a number, got true"),
    "float for int": (
        hostile.json_bytes({"fill_constant": 2.5}),
        "fill_constant",
        "expected a whole number",
    ),
    "number for bool": (
        hostile.json_bytes({"horizontal_flip": 1}),
        "horizontal_flip",
        "expected true or false",
    ),
    "dict for pair": (
        hostile.json_bytes({"brightness": {"min": 1}}),
        "brightness",
        "expected [min, max] or null",
    ),
    "three for pair": (
        hostile.json_bytes({"brightness": [1, 2, 3]}),
        "brightness",
        "expected [min, max] or null",
    ),
    "pair upside down": (
        hostile.json_bytes({"brightness": [1.5, 0.5]}),
        "brightness",
        "min 1.5 is greater than max 0.5",
    ),
    "list for choice": (
        hostile.json_bytes({"fill_mode": []}),
        "fill_mode",
        "expected one of nearest, constant",
    ),
    "rotation 1000": (
        hostile.json_bytes({"rotation": 1000}),
        "rotation",
        "1000 is outside the allowed range [0, 180]",
    ),
    "negative zoom": (
        hostile.json_bytes({"zoom": -0.5}),
        "zoom",
        "-0.5 is outside the allowed range [0, 0.9]",
    ),
    "400-digit rotation": (b'{"rotation": 1' + b"0" * 400 + b"}", "rotation", "number too large"),
    "NaN": (hostile.nan_json("rotation"), "json", "NaN is not a number a spec can hold"),
    "Infinity": (hostile.infinity_json("zoom"), "json", "Infinity is not a number a spec can hold"),
    "1e999": (b'{"shear": 1e999}', "shear", "expected a finite number, got inf"),
    "unknown key": (
        hostile.json_bytes({"rotate": 3}),
        "rotate",
        f"unknown parameter; {KNOWN_PARAMETERS}",
    ),
    "key given twice": (b'{"zoom": 0.1, "zoom": 0.2}', "zoom", "given twice"),
}


@pytest.mark.parametrize("case", CONFIG_CASES)
def test_train_config_names_the_field_and_what_is_allowed(case):
    data, field, words = CONFIG_CASES[case]
    with pytest.raises(ConfigError) as info:
        TrainConfig.from_json(data)
    assert info.value.field == field and str(info.value).startswith(f"{field}: ")
    assert words in str(info.value), str(info.value)
    assert len(str(info.value)) < 400


@pytest.mark.parametrize("case", SPEC_CASES)
def test_augment_spec_names_the_field_and_what_is_allowed(case):
    data, field, words = SPEC_CASES[case]
    with pytest.raises(SpecError) as info:
        AugmentSpec.from_json(data)
    assert info.value.field == field and words in str(info.value), str(info.value)
    assert len(str(info.value)) < 400


def test_good_files_still_load():
    config = TrainConfig.from_preset("quick", epochs=2)
    assert (
        TrainConfig.from_json(b"\xef\xbb\xbf" + config.to_json().encode()) == config
    )  # a BOM is harmless
    assert TrainConfig.from_json(config.to_json()) == config
    spec = AugmentSpec.preset("strong")
    assert AugmentSpec.from_json(spec.to_json().encode()) == spec


def train_cli(*args) -> subprocess.CompletedProcess:
    """Only ever given bad input: a good one would start a training."""
    return subprocess.run(
        [sys.executable, "-m", "pipeline.train", "--framework", "torch", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


@pytest.mark.parametrize(
    "case",
    [
        "malformed JSON",
        "empty file",
        "10 MB file",
        "not UTF-8",
        "NaN",
        "bool for float",
        "rotation 1000",
        "unknown key",
    ],
)
def test_train_cli_refuses_a_bad_spec_file_with_exit_2(tmp_path, case):
    data, field, words = SPEC_CASES[case]
    path = tmp_path / "spec.json"
    path.write_bytes(data)
    result = train_cli("--augment", str(path))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith(f"error: augment.{field}: ") and words in result.stderr, (
        result.stderr
    )
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args, words",
    [
        (
            ["--augment", "/nonexistent/spec.json"],
            "error: augment: neither a preset (none, talk, light, robust, strong) nor a "
            "readable spec file: No such file or directory",
        ),
        (["--augment", "/"], "readable spec file: Is a directory"),
        (["--epochs", "-1"], "error: epochs: -1 is outside the allowed range [1, 1000]"),
        (["--learning-rate", "nan"], "error: learning_rate: expected a finite number, got nan"),
        (["--epochs", "abc"], "argument --epochs: invalid int value: 'abc'"),
        (["--img-size", "8"], "error: img_size: 8 is outside the allowed range [32, 512]"),
    ],
)
def test_train_cli_refuses_bad_options_with_exit_2(args, words):
    result = train_cli(*args)
    assert result.returncode == 2 and words in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.app
def test_augmentation_page_spec_upload_refuses_every_bad_file_and_keeps_the_spec():
    app = AppTest.from_file(str(ROOT / "dashboard" / "Home.py"), default_timeout=300).run()
    app.switch_page("views/augmentation.py").run()
    assert not app.exception
    rotation = app.sidebar.slider(key="aug_field_rotation").value
    for case in (
        "empty file",
        "10 MB file",
        "not UTF-8",
        "NaN",
        "string for float",
        "unknown key",
        "nested too deeply",
        "rotation 1000",
    ):
        data, field, words = SPEC_CASES[case]
        app.file_uploader(key="aug_spec_upload").set_value(
            (hostile.HTML_NAME + ".json", data, "application/json")
        )
        app.run()
        assert not app.exception, (case, [e.value for e in app.exception])
        errors = [e.value for e in app.error]
        assert len(errors) == 1, (case, errors)
        assert errors[0].startswith(f"`{hostile.HTML_NAME}.json` was not applied. {field}: "), (
            errors[0]
        )
        assert words in errors[0], (case, errors[0])
        assert app.sidebar.slider(key="aug_field_rotation").value == rotation, case
