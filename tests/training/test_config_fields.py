"""The Training page's settings come from ``pipeline.training.config.FIELDS``: one declaration
per scalar TrainConfig field, checked here against the dataclass and ``validate``."""

import dataclasses
import typing

import pytest

from pipeline.training.config import FIELDS, PRESETS, ConfigError, TrainConfig

HINTS = typing.get_type_hints(TrainConfig)
# what a person does not set among the custom settings: the page's own widgets (frameworks,
# augmentation, the active source) and the number of devices, set by the command line only
NOT_A_WIDGET = {"framework", "source", "augment", "replicas"}


def test_every_scalar_setting_has_exactly_one_field():
    names = [spec.name for spec in FIELDS]
    expected = [f.name for f in dataclasses.fields(TrainConfig) if f.name not in NOT_A_WIDGET]
    assert sorted(names) == sorted(expected) and len(set(names)) == len(names)


def test_each_widget_kind_fits_the_field_type_and_the_defaults_are_allowed():
    full = PRESETS["full"]
    for spec in FIELDS:
        value = getattr(full, spec.name)
        if spec.kind == "choice":
            assert HINTS[spec.name] is str and value in spec.choices, spec
        elif spec.kind == "switch":
            assert HINTS[spec.name] is bool, spec
        else:
            assert HINTS[spec.name] in (int, float), spec
            # Streamlit wants a whole step for a whole number, a fraction for a float
            assert isinstance(spec.step, int) == (HINTS[spec.name] is int), spec
        assert spec.label and (spec.help is None or spec.help.strip())


@pytest.mark.parametrize("spec", [s for s in FIELDS if s.kind == "choice"], ids=lambda s: s.name)
def test_a_choice_offers_exactly_what_validate_accepts(spec):
    for choice in spec.choices:  # each one trains from the page's starting point (``full``)
        PRESETS["full"].replace(**{spec.name: choice}).validate()
    with pytest.raises(ConfigError, match=spec.name):
        PRESETS["full"].replace(**{spec.name: "no such choice"}).validate()
