"""One training config for both frameworks: fields, presets, validation, JSON and a stable hash.

    config = TrainConfig.from_preset("quick", framework="torch", source="synthetic", epochs=1)
    config.validate()                                   # ConfigError(field, message) if impossible
    assert TrainConfig.from_json(config.to_json()) == config
    config.stable_hash()                                # 16 hex digits, part of the run id

Everything that changes what a training produces is a field here, so that the run id (a hash
of the config, the data and the model code) names one result. Settings that only change
speed and not the numbers the run reports are not fields.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field

from models import MIN_IMG_SIZE  # the CNN pools five times
from pipeline.augment.spec import PRESETS as AUGMENT_PRESETS
from pipeline.augment.spec import AugmentSpec, SpecError
from pipeline.frameworks import FRAMEWORKS
from pipeline.json_input import (
    choice_problem,
    number_problem,
    parse_settings,
    show_value,
    type_name,
)

OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop")
LR_SCHEDULES = ("constant", "cosine", "plateau")
CLASS_BALANCING = ("none", "class_weight", "sampler")
CHECKPOINTS = ("best", "last")
DEVICES = ("auto", "cpu", "gpu")
# Settings added after runs were shipped, with the value that trains as before they existed.
LATER_SETTINGS = {"mixup_alpha": 0.0, "ema_decay": 0.0}
MAX_IMG_SIZE = 512  # already ~12x the talk's cost


class ConfigError(ValueError):
    """A setting that cannot be used; ``field`` names it, the message says what is allowed."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class TrainConfig:
    """How to train the talk's CNN once. Defaults are the ``full`` preset on the synthetic data."""

    framework: str = "torch"
    source: str = "synthetic"  # anything pipeline.data.open_source takes
    img_size: int = 150
    width: float = 1.0  # multiplies every layer's width (models/__init__.py)
    epochs: int = 12
    batch_size: int = 32  # global: split across replicas when training on several devices
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    weight_decay: float = 0.0  # decoupled (AdamW); the frameworks' other optimisers disagree on it
    lr_schedule: str = (
        "cosine"  # per step for cosine; plateau halves it after 2 flat val-loss epochs
    )
    early_stopping_patience: int = (
        4  # epochs without a better val AUC; 0 = off. Never looks at test
    )
    # "best": the epoch with the best val AUC; "last": the final one. On a validation split
    # that is almost separable the best epoch is picked by noise (docs/generalisation.md).
    checkpoint: str = "best"
    augment: AugmentSpec = field(default_factory=lambda: AugmentSpec.preset("talk"))
    label_smoothing: float = 0.0  # targets y (1 - s) + s / 2, the same formula in both frameworks
    # mixup (Zhang et al. 2018, arXiv:1710.09412): each step blends its batch with a shuffled
    # copy of itself by one lambda ~ Beta(alpha, alpha); images, targets and class weights alike.
    mixup_alpha: float = 0.0  # 0 = off
    # Weight averaging: the kept weights are an exponential moving average of every step's,
    # updated as Keras's optimiser does it (use_ema); BatchNorm statistics stay the live ones.
    ema_decay: float = 0.0  # 0 = off; 0.99 averages over about the last 100 steps
    class_balancing: str = "class_weight"
    seed: int = 0
    device: str = "auto"
    mixed_precision: bool = True  # used on a GPU only; CPU training stays in float32
    replicas: int = (
        1  # devices to train on at once (torch DDP under torchrun, Keras MirroredStrategy)
    )

    def __post_init__(self):
        # Accept a preset name or a mapping for the augmentation, so JSON and CLIs stay simple.
        augment = self.augment
        try:
            if isinstance(augment, str):
                augment = AugmentSpec.preset(augment)
            elif isinstance(augment, dict):
                augment = AugmentSpec.from_dict(augment)
        except SpecError as error:
            raise ConfigError(f"augment.{error.field}", error.message) from None
        object.__setattr__(self, "augment", augment)

    # ---- presets ----

    @classmethod
    def from_preset(cls, name: str, **overrides) -> TrainConfig:
        """A preset with some fields replaced; ConfigError for an unknown preset or field."""
        if name not in PRESETS:
            raise ConfigError(
                "preset", f"unknown preset {show_value(name)}; choose one of {', '.join(PRESETS)}"
            )
        return PRESETS[name].replace(**overrides)

    def replace(self, **changes) -> TrainConfig:
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise ConfigError(
                str(unknown[0])[:40],
                f"unknown setting; known: {', '.join(f.name for f in dataclasses.fields(self))}",
            )
        return dataclasses.replace(self, **changes)

    # ---- JSON and hash ----

    def to_dict(self) -> dict:
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        values["augment"] = self.augment.to_dict()
        return values

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, sort_keys=True)

    def stable_hash(self) -> str:
        """First 16 hex digits of the SHA-256 of the canonical (compact, sorted) JSON.

        A setting added after runs were published enters the hash only when it is set away
        from the value that trains as before (``LATER_SETTINGS``), so those runs keep their ids.
        """
        values = {
            key: value
            for key, value in self.to_dict().items()
            if key not in LATER_SETTINGS or value != LATER_SETTINGS[key]
        }
        canonical = json.dumps(values, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    @classmethod
    def from_dict(cls, values) -> TrainConfig:
        """A validated config; missing fields take the defaults, unknown ones are refused."""
        if not isinstance(values, dict):
            raise ConfigError("json", f"expected an object of settings, got {type_name(values)}")
        config = cls().replace(**values)
        config.validate()
        return config

    @classmethod
    def from_json(cls, text: str | bytes) -> TrainConfig:
        """Parse a config written by ``to_json`` (or by hand). Raises ConfigError naming the field."""
        values = parse_settings(
            text, ConfigError, "config"
        )  # NaN reaches the checks that name the field
        return cls.from_dict(values)

    # ---- validation ----

    def validate(self) -> TrainConfig:
        """Raise ConfigError naming the first impossible setting; returns self when all are fine."""
        _choice("framework", self.framework, FRAMEWORKS)
        if not isinstance(self.source, str) or not self.source.strip():
            got = (
                "empty"
                if isinstance(self.source, str)
                else f"expected text, got {show_value(self.source)}"
            )
            raise ConfigError("source", f"{got}; give 'synthetic', a folder path or 'medmnist:128'")
        _integer("img_size", self.img_size, MIN_IMG_SIZE, MAX_IMG_SIZE)
        _number("width", self.width, 0.0625, 4.0)
        _integer("epochs", self.epochs, 1, 1000)
        _integer("batch_size", self.batch_size, 2, 4096)  # BatchNorm needs two images per batch
        _choice("optimizer", self.optimizer, OPTIMIZERS)
        _number("learning_rate", self.learning_rate, 1e-7, 1.0)
        _number("weight_decay", self.weight_decay, 0.0, 0.5)
        if self.weight_decay and self.optimizer != "adamw":
            raise ConfigError(
                "weight_decay",
                f"only with optimizer adamw (decoupled decay, the same in both "
                f"frameworks); {self.optimizer} takes 0",
            )
        _choice("lr_schedule", self.lr_schedule, LR_SCHEDULES)
        _integer("early_stopping_patience", self.early_stopping_patience, 0, 1000)
        _choice("checkpoint", self.checkpoint, CHECKPOINTS)
        _number("label_smoothing", self.label_smoothing, 0.0, 0.5)
        _number("mixup_alpha", self.mixup_alpha, 0.0, 4.0)
        _number("ema_decay", self.ema_decay, 0.0, 0.9999)
        if self.ema_decay and self.checkpoint != "last":
            raise ConfigError(
                "ema_decay",
                "the averaged weights are those of the last step; set checkpoint to 'last' "
                "(or ema_decay to 0)",
            )
        if not isinstance(self.augment, AugmentSpec):
            raise ConfigError(
                "augment",
                f"expected a preset name ({', '.join(AUGMENT_PRESETS)}) or an object of "
                f"parameters, got {show_value(self.augment)}",
            )
        _choice("class_balancing", self.class_balancing, CLASS_BALANCING)
        _integer("seed", self.seed, 0, 2**32 - 1)
        _choice("device", self.device, DEVICES)
        if not isinstance(self.mixed_precision, bool):
            raise ConfigError(
                "mixed_precision", f"expected true or false, got {show_value(self.mixed_precision)}"
            )
        _integer("replicas", self.replicas, 1, 64)
        if self.batch_size % self.replicas:
            raise ConfigError(
                "batch_size",
                f"{self.batch_size} does not split evenly across {self.replicas} replicas",
            )
        if self.batch_size // self.replicas < 2:
            raise ConfigError(
                "batch_size",
                f"{self.batch_size} leaves fewer than 2 images per replica (BatchNorm needs 2)",
            )
        return self


def _choice(name: str, value, allowed: tuple[str, ...]) -> None:
    _raise_if(name, choice_problem(value, allowed))


def _integer(name: str, value, low: int, high: int) -> None:
    _raise_if(name, number_problem(value, low, high, whole=True))


def _number(name: str, value, low: float, high: float) -> None:
    _raise_if(name, number_problem(value, low, high))


def _raise_if(name: str, problem: str | None) -> None:
    if problem is not None:
        raise ConfigError(name, problem)


PRESETS = {
    # A demo on CPU: the real 5,216 training images in well under 3 minutes per framework.
    "quick": TrainConfig(
        img_size=64,
        epochs=3,
        batch_size=32,
        lr_schedule="cosine",
        early_stopping_patience=0,
        augment=AugmentSpec.preset("light"),
    ),
    # The talk's settings: 150 px grayscale, the talk's ImageDataGenerator, 12 epochs, batch 32.
    # The talk's pages use it; its numbers on X-rays from elsewhere are in docs/generalisation.md.
    "talk": TrainConfig(),
    # The robust recipe (docs/generalisation.md): the same in both frameworks, every ingredient
    # measured on its own on the patient-grouped validation split and under shift stress.
    # 128 px keeps the talk's 4 x 4 last feature map at 0.73x the convolution cost, and 8 epochs
    # of the cosine schedule converge: about half a talk run, so seed groups fit on 2 cores.
    # The last epoch is kept: on an almost separable validation split the best one is noise.
    "full": TrainConfig(
        img_size=128,
        epochs=8,
        augment=AugmentSpec.preset("robust"),
        checkpoint="last",
        early_stopping_patience=0,
    ),
}


# ---- comparing two configs ----


def flat_settings(config: dict, prefix: str = "") -> dict:
    """``config`` (as ``TrainConfig.to_dict`` or a run's config.json) with nested settings
    named by their path: ``{"augment.rotation": 10, ...}``."""
    flat = {}
    for key, value in config.items():
        if isinstance(value, dict):
            flat |= flat_settings(value, f"{prefix}{key}.")
        else:
            flat[prefix + key] = value
    return flat


def config_differences(a: dict, b: dict) -> list[dict]:
    """The settings whose values differ, ``{"setting", "A", "B"}`` in setting order."""
    a, b = flat_settings(a), flat_settings(b)
    return [
        {"setting": key, "A": a.get(key), "B": b.get(key)}
        for key in sorted(a | b)
        if a.get(key) != b.get(key)
    ]


def config_diff_text(a: dict, b: dict, name_a: str, name_b: str) -> str:
    """A unified diff of the two configs as sorted, indented JSON."""
    import difflib

    lines_a = json.dumps(a, indent=2, sort_keys=True).splitlines()
    lines_b = json.dumps(b, indent=2, sort_keys=True).splitlines()
    return "\n".join(difflib.unified_diff(lines_a, lines_b, name_a, name_b, lineterm=""))
