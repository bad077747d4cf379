"""The Augmentation page through Home.py's navigation, run by Streamlit's AppTest.

Preset change, re-draw, spec upload (good and hostile), image upload, "use for training".
"""

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from pipeline.augment.differences import differences
from pipeline.augment.spec import PRESETS, AugmentSpec, load_for_training, training_spec_path

pytestmark = [
    pytest.mark.app,
    pytest.mark.filterwarnings("ignore:Please import `affine_transform`:DeprecationWarning"),
]

ROOT = Path(__file__).resolve().parents[2]
HOME = str(ROOT / "dashboard" / "Home.py")
TIMEOUT_S = 300  # the first run generates the demo data and loads Keras and PyTorch


@pytest.fixture(autouse=True)
def no_saved_spec():
    training_spec_path().unlink(missing_ok=True)


def open_page() -> AppTest:
    app = AppTest.from_file(HOME, default_timeout=TIMEOUT_S).run()
    app.switch_page("views/augmentation.py").run()
    assert_clean(app)
    assert app.title[0].value == "Augmentation studio"
    return app


def assert_clean(app: AppTest) -> None:
    assert not app.exception, [e.value for e in app.exception]


def sample_captions(app: AppTest) -> list[list[str]]:
    return [list(image.captions) for image in app.main.image]


def drawn_table(app: AppTest):
    tables = [t.value for t in app.main.dataframe if "sample" in t.value.columns]
    assert len(tables) == 1
    return tables[0]


def spec_caption(app: AppTest) -> str:
    return next(c.value for c in app.sidebar.caption if c.value.startswith("Spec `"))


def test_page_opens_on_the_talk_preset_with_eight_samples_per_framework():
    app = open_page()
    assert app.sidebar.selectbox(key="aug_preset").value == "talk"
    assert spec_caption(app) == f"Spec `{PRESETS['talk'].stable_hash()}`"
    captions = sample_captions(app)
    assert captions[1] == captions[2] == [f"#{i}" for i in range(8)]  # Keras, torchvision
    table = drawn_table(app)
    assert len(table) == 16 and set(table["framework"]) == {"Keras", "torchvision"}
    differs = next(m.value for m in app.main.markdown if m.value.startswith("- **rotation**"))
    # one line per parameter (fill_constant goes with fill_mode)
    assert len(differs.splitlines()) == len(differences(PRESETS["talk"])) == 15
    assert "- **fill_mode** :green-badge[same] 'nearest' in both" in differs  # SpecAffine's fill
    codes = [c.value for c in app.main.code]
    assert any("rotation_range=30.0" in c for c in codes) and any(
        "v2.RandomAffine(" in c for c in codes
    )


def test_preset_change_sets_every_widget():
    app = open_page()
    app.sidebar.selectbox(key="aug_preset").set_value("strong").run()
    assert_clean(app)
    strong = PRESETS["strong"]
    assert app.sidebar.slider(key="aug_field_shear").value == strong.shear
    assert app.sidebar.checkbox(key="aug_field_brightness_on").value is True
    assert tuple(app.sidebar.slider(key="aug_field_brightness").value) == strong.brightness
    assert spec_caption(app) == f"Spec `{strong.stable_hash()}`"
    assert any("shear_range=10.0" in c.value for c in app.main.code)
    app.sidebar.slider(key="aug_field_rotation").set_value(12.0).run()
    assert spec_caption(app).endswith("changed from preset *strong*")
    app.sidebar.button(key="aug_reset").click().run()
    assert app.sidebar.slider(key="aug_field_rotation").value == strong.rotation
    assert spec_caption(app) == f"Spec `{strong.stable_hash()}`"


def test_redraw_draws_new_parameters_and_the_same_seed_repeats():
    app = open_page()
    before = drawn_table(app)
    app.button(key="aug_redraw").click().run()
    assert_clean(app)
    assert app.number_input(key="aug_seed").value == 1
    after = drawn_table(app)
    assert not before.equals(after)
    app.number_input(key="aug_seed").set_value(0).run()
    assert drawn_table(app).equals(before)
    app.slider(key="aug_count").set_value(3).run()
    assert sample_captions(app)[1] == ["#0", "#1", "#2"] and len(drawn_table(app)) == 6
    app.toggle(key="aug_difference").set_value(True).run()
    assert_clean(app)
    captions = sample_captions(app)
    assert captions[-3] == [f"torchvision #{i}" for i in range(3)]
    assert captions[-2] == [f"Keras, same draw #{i}" for i in range(3)]
    assert all(c.startswith(f"|diff| #{i}: mean ") for i, c in enumerate(captions[-1]))


def test_spec_upload_applies_a_good_file_and_names_the_field_of_a_bad_one():
    app = open_page()
    good = AugmentSpec(rotation=12, vertical_flip=True, fill_mode="constant", fill_constant=40)
    app.file_uploader(key="aug_spec_upload").set_value(
        ("mine.json", good.to_json().encode(), "application/json")
    )
    app.run()
    assert_clean(app)
    assert app.sidebar.slider(key="aug_field_rotation").value == 12
    assert app.sidebar.checkbox(key="aug_field_vertical_flip").value is True
    assert spec_caption(app).startswith(f"Spec `{good.stable_hash()}`")
    assert any("Applied `mine.json`" in s.value for s in app.success)

    for content, field in (
        (b'{"zoom": -0.5}', "zoom"),
        (b'{"rotation": 30', "json"),
        (json.dumps({"rotation": 10, "evil": "x" * 10_000}).encode(), "evil"),
        (b"[" * 50_000, "json"),
    ):
        app.file_uploader(key="aug_spec_upload").set_value(
            ("bad.json", content, "application/json")
        )
        app.run()
        assert_clean(app)
        errors = [e.value for e in app.error]
        assert errors and errors[0].startswith(f"`bad.json` was not applied. {field}: "), errors
        assert app.sidebar.slider(key="aug_field_rotation").value == 12  # the good spec stays


def test_use_for_training_saves_the_spec():
    app = open_page()
    app.sidebar.selectbox(key="aug_preset").set_value("light").run()
    app.button(key="aug_use").click().run()
    assert_clean(app)
    assert load_for_training() == PRESETS["light"]
    assert any("Saved spec" in s.value for s in app.success)
    fresh = open_page()  # a new session starts from what was saved
    assert spec_caption(fresh) == f"Spec `{PRESETS['light'].stable_hash()}`"


def test_picking_by_class_keeps_the_number_in_range():
    app = open_page()
    app.selectbox(key="aug_class").set_value("PNEUMONIA").run()
    pneumonia = app.number_input(key="aug_number")
    pneumonia.set_value(pneumonia.max).run()
    assert sample_captions(app)[0][0].endswith("(PNEUMONIA)")
    app.selectbox(key="aug_class").set_value("NORMAL").run()  # fewer NORMAL images than that number
    assert_clean(app)
    assert app.number_input(key="aug_number").value == app.number_input(key="aug_number").max
    assert sample_captions(app)[0][0].endswith("(NORMAL)")
    app.radio(key="aug_pick").set_value("Random").run()
    first = sample_captions(app)[0]
    app.button(key="aug_random").click().run()
    assert_clean(app)
    assert sample_captions(app)[0] != first


def test_image_upload_good_and_bad():
    app = open_page()
    app.radio(key="aug_pick").set_value("Upload").run()
    app.file_uploader(key="aug_image_upload").set_value(
        ("notes.png", b"not an image at all", "image/png")
    )
    app.run()
    assert_clean(app)
    assert any("`notes.png` cannot be used" in e.value for e in app.error)
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (300, 200), dtype=np.uint8)).save(
        buffer, "PNG"
    )
    app.file_uploader(key="aug_image_upload").set_value(
        ("xray.png", buffer.getvalue(), "image/png")
    )
    app.run()
    assert_clean(app)
    assert not app.error and sample_captions(app)[0] == ["uploaded: xray.png"]
    assert len(drawn_table(app)) == 16


def test_per_dataset_normalisation_and_both_ways_of_computing_it():
    app = open_page()
    app.sidebar.selectbox(key="aug_field_normalization").set_value("per_dataset").run()
    assert_clean(app)
    app.button(key="aug_compute_stats").click().run()
    assert_clean(app)
    ways = next(t.value for t in app.main.dataframe if "way" in t.value.columns)
    assert len(ways) == 2 and abs(ways["mean"][0] - ways["mean"][1]) < 1e-5
    assert any("agree to a relative" in c.value for c in app.main.caption)
    outputs = next(
        t.value
        for t in app.main.dataframe
        if "std" in t.value.columns and "framework" in t.value.columns
    )
    assert abs(outputs["mean"][0] - outputs["mean"][1]) < 0.5  # both normalised the same way
