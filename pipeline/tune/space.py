"""The search space of an augmentation spec, generated from ``AugmentSpec.FIELDS``.

Every field that augments (``Field.augments``) is searched over the range (or the choices) it
declares, so a field added to the spec is searched without a line here; the preprocessing fields
(``rescale``, ``normalization``: every image gets them, at test time too) keep the base spec's
value, since changing them changes the model's input, not the augmentation. One rule per kind of
field:

    float, int   its [low, high], on its step where it declares one; a range spanning more than
                 three decades without a step on a log scale
    bool         False or True
    choice       its choices
    range        off (None) or on: two draws in [low, high], sorted into (min, max)

A range field uses three parameters, ``<field>:on``, ``<field>:a`` and ``<field>:b``;
``field_of`` maps any parameter back to its field (importances are per field).
"""

from __future__ import annotations

import math

from pipeline.augment.spec import FIELDS, AugmentSpec, Field

LOG_SPAN = 1000.0  # high / low beyond which a stepless number is searched on a log scale
SEARCHED = tuple(field for field in FIELDS if field.augments)
ParamValue = bool | int | float | str  # what an Optuna parameter takes


def suggest_spec(trial, base: AugmentSpec) -> AugmentSpec:
    """The spec ``trial`` (an ``optuna.Trial``) draws: one value per augmenting field, the
    preprocessing fields as in ``base``."""
    drawn = {field.name: _suggest(trial, field) for field in SEARCHED}
    return AugmentSpec.from_dict(base.to_dict() | drawn)


def params_of(spec: AugmentSpec) -> dict[str, ParamValue]:
    """The parameters under which ``suggest_spec`` draws ``spec``, by Optuna's parameter name
    (``study.enqueue_trial`` takes them, to enqueue a known spec)."""
    params = {}
    for field in SEARCHED:
        value = getattr(spec, field.name)
        if field.kind != "range":
            params[field.name] = value
            continue
        params[f"{field.name}:on"] = value is not None
        if value is not None:
            params[f"{field.name}:a"], params[f"{field.name}:b"] = value
    return params


def field_of(param: str) -> str:
    return param.split(":", 1)[0]


def _suggest(trial, field: Field):
    if field.kind == "bool":
        return trial.suggest_categorical(field.name, [False, True])
    if field.kind == "choice":
        return trial.suggest_categorical(field.name, list(field.choices))
    if field.kind == "int":
        return trial.suggest_int(
            field.name, int(field.low), int(field.high), step=int(field.step or 1)
        )
    if field.kind == "float":
        return _suggest_float(trial, field.name, field)
    if not trial.suggest_categorical(f"{field.name}:on", [False, True]):
        return None
    ends = (_suggest_float(trial, f"{field.name}:{end}", field) for end in "ab")
    return tuple(sorted(ends))


def _suggest_float(trial, name: str, field: Field) -> float:
    if field.step is None:
        log = field.low > 0 and field.high / field.low > LOG_SPAN
        return trial.suggest_float(name, field.low, field.high, log=log)
    value = trial.suggest_float(name, field.low, field.high, step=field.step)
    return round(value, max(0, -math.floor(math.log10(field.step))))  # 0.69, not 0.6900000000000001
