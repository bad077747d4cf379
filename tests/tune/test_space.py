"""The search space is generated from AugmentSpec.FIELDS: every augmenting field, only them, each
within its declared range, the preprocessing kept as the base spec has it; a known spec is drawn
back exactly."""

import optuna
import pytest

from pipeline.augment.spec import FIELDS, AugmentSpec
from pipeline.tune.space import SEARCHED, field_of, params_of, suggest_spec

optuna.logging.set_verbosity(optuna.logging.WARNING)
BASE = AugmentSpec.preset("robust")


@pytest.fixture(scope="module")
def drawn():
    """Forty specs drawn at random from the space (no training: the space alone)."""
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    specs = []
    for _ in range(40):
        trial = study.ask()
        specs.append(suggest_spec(trial, BASE))
        study.tell(trial, 0.0)
    return study, specs


def test_the_space_is_every_augmenting_field_and_only_them(drawn):
    study, specs = drawn
    params = {param for trial in study.trials for param in trial.params}
    assert {field_of(param) for param in params} == {field.name for field in SEARCHED}
    assert {"rescale", "normalization"} == {f.name for f in FIELDS} - {f.name for f in SEARCHED}
    for spec in specs:  # preprocessing is the model's input, not an augmentation: kept as given
        assert (spec.rescale, spec.normalization) == (BASE.rescale, BASE.normalization)


def test_every_drawn_value_is_in_its_declared_range(drawn):
    _, specs = drawn
    for spec in specs:
        for field in FIELDS:
            value = getattr(spec, field.name)
            if field.kind == "choice":
                assert value in field.choices
            elif field.kind == "range" and value is not None:
                assert field.low <= value[0] <= value[1] <= field.high
            elif field.kind in ("float", "int"):
                assert field.low <= value <= field.high
    kinds = {f.name: f.kind for f in FIELDS}
    for name in (n for n, kind in kinds.items() if kind in ("range", "bool")):
        assert (
            len({getattr(spec, name) is None or getattr(spec, name) is False for spec in specs})
            == 2
        )
    assert len({spec.fill_mode for spec in specs}) == 4  # every choice is reached


@pytest.mark.filterwarnings("ignore:Fixed parameter")  # robust's 1.33 is off the 0.05 grid
def test_a_known_spec_is_drawn_back_exactly():
    study = optuna.create_study()
    for name in ("talk", "robust", "none"):
        study.enqueue_trial(params_of(AugmentSpec.preset(name)))
        assert suggest_spec(study.ask(), AugmentSpec.preset(name)) == AugmentSpec.preset(name)
