"""A sweep's grid: variants (a preset and settings) x frameworks x seeds, each cell one run.

    grid = grid_from_flags("synthetic", ("torch", "keras"), ("full",),
                           [("img_size", [160, 224]), ("epochs", [16])], (0, 1, 2))
    grid = grid_from_json(Path("grid.json").read_text())      # the same, as a file
    cells = expand(grid)                                      # Cell(variant, framework, seed, config)

A variant is a preset (None: ``TrainConfig()``'s defaults, the talk's settings as one config
for both frameworks, which the issue-11 ablation was run from) with some settings replaced;
``augment.<field>`` replaces one field of the spec, and ``augment`` takes a preset name or a
spec file (``*.json``, as ``pipeline.tune --out`` writes it). Every variant is paired with a baseline,
seed by seed: its own ``baseline``, else the grid's, else the first variant.

A grid file:

    {"source": "synthetic", "frameworks": ["torch", "keras"], "seeds": [0, 1],
     "preset": null, "settings": {"img_size": 96, "epochs": 6},
     "variants": {"talk": {"meaning": "the talk's settings"},
                  "mixup": {"changes": {"mixup_alpha": 0.2}},
                  "ema": {"changes": {"checkpoint": "last", "ema_decay": 0.99,
                                      "early_stopping_patience": 0},
                          "baseline": "last_epoch"}, ...}}
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.training.config import ConfigError, TrainConfig

AUGMENT_PREFIX = "augment."


class GridError(ValueError):
    """A grid that cannot be run; the message says what is wrong and what to give instead."""


@dataclass(frozen=True)
class Variant:
    name: str
    preset: str | None = None  # None: TrainConfig()'s defaults
    changes: dict = field(default_factory=dict)  # settings replaced; "augment.<field>" too
    meaning: str = ""
    baseline: str | None = None  # the variant it is paired with (None: the grid's baseline)


@dataclass(frozen=True)
class Grid:
    source: str
    frameworks: tuple[str, ...]
    seeds: tuple[int, ...]
    variants: tuple[Variant, ...]
    settings: dict = field(default_factory=dict)  # replaced in every cell, before the variant's
    baseline: str | None = None  # None: the first variant

    def baseline_of(self, variant: str) -> str:
        own = next(v.baseline for v in self.variants if v.name == variant)
        return own or self.baseline or self.variants[0].name

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "frameworks": list(self.frameworks),
            "seeds": list(self.seeds),
            "settings": self.settings,
            "baseline": self.baseline or self.variants[0].name,
            "variants": {
                v.name: {
                    "preset": v.preset,
                    "changes": v.changes,
                    "meaning": v.meaning,
                    "baseline": self.baseline_of(v.name),
                }
                for v in self.variants
            },
        }


@dataclass(frozen=True)
class Cell:
    variant: str
    framework: str
    seed: int
    config: TrainConfig


def expand(grid: Grid) -> list[Cell]:
    """Every cell, seeds outermost (a grid cut short has every variant at its first seeds);
    ``GridError`` naming the variant for settings that cannot train."""
    cells = []
    for seed, variant, framework in itertools.product(grid.seeds, grid.variants, grid.frameworks):
        try:
            config = cell_config(grid, variant, framework, seed)
        except ConfigError as error:
            raise GridError(f"variant {variant.name!r} ({framework}): {error}") from None
        cells.append(Cell(variant.name, framework, seed, config))
    return cells


def cell_config(grid: Grid, variant: Variant, framework: str, seed: int) -> TrainConfig:
    # a preset that differs per framework (talk) resolves for this one
    base = (
        TrainConfig()
        if variant.preset is None
        else TrainConfig.from_preset(variant.preset, framework=framework)
    )
    changes = {**grid.settings, **variant.changes}
    if str(changes.get("augment", "")).endswith(".json"):  # a spec file (pipeline.tune --out)
        changes["augment"] = _spec_file(changes["augment"])
    augment = {
        k.removeprefix(AUGMENT_PREFIX): v
        for k, v in changes.items()
        if k.startswith(AUGMENT_PREFIX)
    }
    plain = {k: v for k, v in changes.items() if not k.startswith(AUGMENT_PREFIX)}
    config = base.replace(framework=framework, source=grid.source, seed=seed, **plain)
    if augment:
        config = config.replace(augment=config.augment.to_dict() | augment)
    return config.validate()


def _spec_file(path: str) -> dict:
    from pipeline.augment.spec import AugmentSpec, SpecError

    try:
        return AugmentSpec.from_json(Path(path).read_bytes()).to_dict()
    except OSError as error:
        raise ConfigError(
            "augment", f"cannot read the spec file {path}: {error.strerror}"
        ) from None
    except SpecError as error:
        raise ConfigError(f"augment.{error.field}", f"{path}: {error.message}") from None


def grid_from_flags(
    source: str,
    frameworks: tuple[str, ...],
    presets: tuple[str | None, ...],
    varies: list[tuple[str, list]],
    seeds: tuple[int, ...],
    settings: dict | None = None,
    baseline: str | None = None,
) -> Grid:
    """Presets x every combination of the ``--vary`` values: one variant each, named by what
    it sets (``full img_size=160 epochs=16``)."""
    names = [name for name, _ in varies]
    variants = []
    for preset in presets:
        for values in itertools.product(*(values for _, values in varies)):
            changes = dict(zip(names, values, strict=True))
            label = " ".join(
                [preset or "defaults", *(f"{k}={_show(v)}" for k, v in changes.items())]
            )
            variants.append(Variant(label, preset, changes))
    return checked(
        Grid(source, tuple(frameworks), tuple(seeds), tuple(variants), settings or {}, baseline)
    )


def grid_from_json(text: str, source: str | None = None) -> Grid:
    """A grid file (module docstring); ``source`` replaces the file's."""
    try:
        data = json.loads(text)
        variants = tuple(
            Variant(
                name,
                spec.get("preset", data.get("preset")),
                spec.get("changes", {}),
                spec.get("meaning", ""),
                spec.get("baseline"),
            )
            for name, spec in data["variants"].items()
        )
        grid = Grid(
            source or data["source"],
            tuple(data.get("frameworks", ("torch",))),
            tuple(data.get("seeds", (0,))),
            variants,
            data.get("settings", {}),
            data.get("baseline"),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise GridError(
            f"the grid file is not a grid ({type(error).__name__}: {error}); it needs "
            '"source" and "variants" (see python -m pipeline.sweep --help)'
        ) from None
    return checked(grid)


def checked(grid: Grid) -> Grid:
    """``grid``, or ``GridError`` for what would make a table that means nothing."""
    from pipeline.frameworks import FRAMEWORKS

    names = [v.name for v in grid.variants]
    if not names or not grid.frameworks or not grid.seeds:
        raise GridError("a grid needs at least one variant, one framework and one seed")
    unknown = sorted(set(grid.frameworks) - set(FRAMEWORKS))
    if unknown:
        raise GridError(f"unknown framework {unknown[0]!r}; choose from {', '.join(FRAMEWORKS)}")
    if len(set(names)) != len(names) or len(set(grid.seeds)) != len(grid.seeds):
        raise GridError("a variant name or a seed is repeated: give each once")
    baselines = {grid.baseline_of(name) for name in names}
    if not baselines <= set(names):
        raise GridError(f"baseline {sorted(baselines - set(names))[0]!r} is no variant of the grid")
    return grid


def parse_setting(text: str) -> tuple[str, list]:
    """``name=v1,v2`` -> ``("name", [v1, v2])``; each value as JSON when it reads as JSON
    (``160``, ``0.1``, ``true``, ``null``), else as text (``talk``)."""
    name, sep, values = text.partition("=")
    if not sep or not name.strip() or not values:
        raise ValueError(f"expected SETTING=VALUE[,VALUE...], e.g. img_size=160,224; got {text!r}")
    return name.strip(), [_value(part) for part in values.split(",")]


def parse_assignment(text: str) -> tuple[str, object]:
    """``name=value`` -> ``("name", value)``, the value read as ``parse_setting`` reads one."""
    name, values = parse_setting(text)
    if len(values) != 1:
        raise ValueError(f"expected one value (SETTING=VALUE), got {text!r}")
    return name, values[0]


def _value(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return text


def _show(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)
