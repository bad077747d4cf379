"""One training config for both frameworks: fields, presets, validation, JSON and a stable hash.

    config = TrainConfig.from_preset("quick", framework="torch", source="synthetic", epochs=1)
    config.validate()                                   # ConfigError(field, message) if impossible
    assert TrainConfig.from_json(config.to_json()) == config
    config.stable_hash()                                # 16 hex digits, part of the run id
    TrainConfig.from_preset("talk", framework="keras")  # the talk's Keras pipeline (per framework)
    setting_origins(config, "quick")                    # each value: slide, app's choice, per run

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
    SettingError,
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


class ConfigError(SettingError):
    """A training setting that cannot be used (``field`` names it, or "json" for the text)."""


@dataclass(frozen=True)
class TrainConfig:
    """How to train the talk's CNN once. The defaults are the settings the ``talk`` preset had
    before it resolved per framework (one config for both); they stay as they are, so that the
    id of every run trained from them stays too."""

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
        """A preset with some fields replaced; ConfigError for an unknown preset or field.

        A preset that differs per framework (``talk``: each framework's pipeline as the talk
        shows it) resolves for ``overrides["framework"]`` (default: TrainConfig's, torch)."""
        if name not in PRESETS:
            raise ConfigError(
                "preset", f"unknown preset {show_value(name)}; choose one of {', '.join(PRESETS)}"
            )
        framework = overrides.get("framework", PRESETS[name].framework)
        base = FRAMEWORK_PRESETS.get(name, {}).get(framework, PRESETS[name])
        return base.replace(**overrides)

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

    def settings_hash(self) -> str:
        """``stable_hash`` without the source string: what trains, wherever the data sits.

        The run id pairs it with the data's content identity (``pipeline.data.identity``), so
        the same settings on a copy of the same images at another path are the same run."""
        return self.replace(source="").stable_hash()

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


# ---- the talk's two pipelines: every value, and where it comes from ----

SLIDE = "slide"  # the talk's slides show it
APP = "app's choice"  # the slides do not give it: this project chose it
PER_RUN = "per run"  # not part of a pipeline: chosen for each run (data, seed, hardware)
OVERRIDDEN = "set for this run"  # a preset's value replaced (a command-line option, a widget)
ORIGINS = (SLIDE, APP, PER_RUN, OVERRIDDEN)
PER_RUN_FIELDS = {  # what each says, for ``setting_origins``
    "framework": "which of the two pipelines",
    "source": "the data it trains on",
    "seed": "one draw of weights, image order and augmentation: compare over seeds",
    "device": "the hardware it trains on",
    "mixed_precision": "on a GPU only",
    "replicas": "devices training at once",
}
# the values no slide gives, the same on both sides so the pipelines differ only where the slides do
SAME_AS_KERAS = "the same as the Keras pipeline's, so that the two differ only where the slides do"


@dataclass(frozen=True)
class Setting:
    """One value of a preset that differs per framework, and where it comes from.

    ``name`` is a TrainConfig field or ``augment.<parameter>``; ``origin`` is SLIDE or APP."""

    name: str
    value: object
    origin: str
    note: str
    frameworks: tuple[str, ...] = FRAMEWORKS


_KERAS, _TORCH = ("keras",), ("torch",)
_GEOMETRY = (
    "the slides show ImageDataGenerator (Keras) and transforms (PyTorch) without their values; "
    "the same in both"
)

# The talk's two pipelines, as its slides show them (pipeline/talk/pipelines.py: the Keras steps
# Description, Explore, Preprocess (reshape, / 255), Implement; the PyTorch CSV, Dataset,
# Normalize with a mean and std computed in advance and a WeightedRandomSampler). The one place
# that says which value is the slides' and which the app's: ``--show-config`` prints it and the
# pipeline slides can read it (``talk_settings``). ``test_train_cli`` checks every field is here.
TALK_SETTINGS = (
    Setting(
        "img_size",
        150,
        APP,
        "not on the slides: the size this project has trained the talk's CNN at from the start "
        "(five poolings leave a 4 x 4 map)",
    ),
    Setting("width", 1.0, APP, "the layer widths of models/ as written (filters 32-64-64-128-256)"),
    Setting("epochs", 12, APP, "not on the slides"),
    Setting("batch_size", 32, APP, "not on the slides; Keras' fit() default"),
    Setting("optimizer", "adam", APP, "not on the slides"),
    Setting("learning_rate", 1e-3, APP, "Adam's default rate in both libraries"),
    Setting("weight_decay", 0.0, APP, "none"),
    Setting("lr_schedule", "cosine", APP, "cosine decay to 0 over all steps, alike in both"),
    Setting(
        "early_stopping_patience", 4, APP, "epochs without a better validation AUC; never test"
    ),
    Setting("checkpoint", "best", APP, "the epoch with the best validation AUC is kept"),
    Setting("label_smoothing", 0.0, APP, "off"),
    Setting("mixup_alpha", 0.0, APP, "off"),
    Setting("ema_decay", 0.0, APP, "off"),
    Setting("augment.rotation", 30.0, APP, _GEOMETRY),
    Setting("augment.width_shift", 0.1, APP, _GEOMETRY),
    Setting("augment.height_shift", 0.1, APP, _GEOMETRY),
    Setting("augment.zoom", 0.2, APP, _GEOMETRY),
    Setting("augment.horizontal_flip", True, APP, _GEOMETRY),
    Setting("augment.shear", 0.0, APP, "off"),
    Setting("augment.vertical_flip", False, APP, "off"),
    Setting("augment.brightness", None, APP, "off"),
    Setting("augment.contrast", None, APP, "off"),
    Setting("augment.gamma", None, APP, "off"),
    Setting("augment.zoom_axes", "independent", APP, "ImageDataGenerator's default draw", _KERAS),
    Setting(
        "augment.zoom_axes",
        "independent",
        APP,
        f"{SAME_AS_KERAS} (torchvision draws one factor; the gap it makes is measured in "
        "docs/robust_recipe.md)",
        _TORCH,
    ),
    Setting("augment.fill_mode", "nearest", APP, "ImageDataGenerator's default", _KERAS),
    Setting(
        "augment.fill_mode",
        "nearest",
        APP,
        f"{SAME_AS_KERAS} (torchvision fills black; the gap it makes is measured in "
        "docs/robust_recipe.md)",
        _TORCH,
    ),
    Setting("augment.fill_constant", 0, APP, "unused with fill mode 'nearest'"),
    Setting("augment.interpolation", "bilinear", APP, "ImageDataGenerator's default", _KERAS),
    Setting(
        "augment.interpolation",
        "bilinear",
        APP,
        f"{SAME_AS_KERAS} (torchvision's RandomAffine reads the nearest pixel)",
        _TORCH,
    ),
    Setting(
        "augment.rescale",
        1 / 255,
        SLIDE,
        "Preprocess: x.reshape(N, w, h, 1) / 255 (pipeline/talk/pipelines.py)",
        _KERAS,
    ),
    Setting(
        "augment.rescale",
        1 / 255,
        APP,
        "pixels in [0, 1] before Normalize, as ToTensor gives them",
        _TORCH,
    ),
    Setting(
        "augment.normalization", "none", SLIDE, "the Keras slides only rescale to [0, 1]", _KERAS
    ),
    Setting(
        "augment.normalization",
        "per_dataset",
        SLIDE,
        "Normalize(mean, std) with a mean and std computed in advance; the app computes them on "
        "the training split only",
        _TORCH,
    ),
    Setting(
        "class_balancing",
        "none",
        SLIDE,
        "none on the Keras slides: the images come in their natural proportion (about 1 : 3)",
        _KERAS,
    ),
    Setting(
        "class_balancing",
        "sampler",
        SLIDE,
        "WeightedRandomSampler: each image drawn with weight 1 / its class's count, with "
        "replacement, so batches come out about 50 : 50 instead of 25 : 75",
        _TORCH,
    ),
)
# Not a training setting, but a value the talk's figures are read at.
THRESHOLD_NOTE = Setting(
    "threshold",
    "chosen on validation",
    APP,
    "the slides show no threshold (no `predict > 0.5`): each run's is chosen on its validation "
    "split by the app's rule (pipeline.threshold); the fixed 0.5 that the processing "
    "pair also reports is the app's reference",
)


def talk_settings(framework: str) -> tuple[Setting, ...]:
    """``TALK_SETTINGS`` of one framework's pipeline."""
    return tuple(setting for setting in TALK_SETTINGS if framework in setting.frameworks)


def _pipeline(framework: str) -> TrainConfig:
    values, augment = {}, {}
    for setting in talk_settings(framework):
        if setting.name.startswith("augment."):
            augment[setting.name.removeprefix("augment.")] = setting.value
        else:
            values[setting.name] = setting.value
    return TrainConfig(framework=framework, augment=AugmentSpec.from_dict(augment), **values)


# Each framework's pipeline as the talk describes it (issue 20): TrainConfig() was one config
# for both, with class weights and no normalisation, which neither pipeline of the talk used.
TALK_PIPELINES = {framework: _pipeline(framework) for framework in FRAMEWORKS}


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
    # Each framework's pipeline as the talk shows it (TALK_SETTINGS says which values are the
    # slides'): ``from_preset("talk", framework=...)`` resolves it; this entry is the default
    # framework's, for what both share (size, epochs).
    "talk": TALK_PIPELINES[TrainConfig.framework],
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

# Presets whose values differ per framework: {name: {framework: config}}.
FRAMEWORK_PRESETS = {"talk": TALK_PIPELINES}


# A setting's value as config.json holds it: a number, a string, a switch, a list or None.
SettingValue = bool | int | float | str | list | None
FlatSettings = dict[str, SettingValue]  # "augment.rotation": 10, ... (``flat_settings``)


@dataclass(frozen=True)
class SettingOrigin:
    """One row of ``setting_origins``: a setting, its value, and where that value comes from."""

    setting: str
    value: SettingValue
    origin: str  # SLIDE, APP, PER_RUN or OVERRIDDEN
    note: str

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def setting_origins(config: TrainConfig, preset: str) -> list[SettingOrigin]:
    """Every setting of ``config``, built from ``preset``, with its value and where it comes
    from, in the config's order. The talk's values say slide or app's choice
    (``TALK_SETTINGS``); another preset's are the app's choice; the run's own (data, seed,
    hardware) are per run; a value that is not the preset's is marked as set for this run.
    For ``talk``, a last row says where the threshold comes from."""
    expected = flat_settings(TrainConfig.from_preset(preset, framework=config.framework).to_dict())
    table = {setting.name: setting for setting in talk_settings(config.framework)}
    rows = []
    for name, value in flat_settings(config.to_dict()).items():
        if name in PER_RUN_FIELDS:
            origin, note = PER_RUN, PER_RUN_FIELDS[name]
        elif value != expected.get(name):
            origin, note = OVERRIDDEN, f"the {preset} preset's value is {expected.get(name)!r}"
        elif preset in FRAMEWORK_PRESETS and name in table:
            origin, note = table[name].origin, table[name].note
        else:
            origin, note = APP, f"the {preset} preset"
        rows.append(SettingOrigin(name, value, origin, note))
    if preset == "talk":
        threshold = THRESHOLD_NOTE
        rows.append(
            SettingOrigin(threshold.name, threshold.value, threshold.origin, threshold.note)
        )
    return rows


# ---- comparing two configs ----


def flat_settings(config: dict, prefix: str = "") -> FlatSettings:
    """``config`` (as ``TrainConfig.to_dict`` or a run's config.json) with nested settings
    named by their path: ``{"augment.rotation": 10, ...}``."""
    flat = {}
    for key, value in config.items():
        if isinstance(value, dict):
            flat |= flat_settings(value, f"{prefix}{key}.")
        else:
            flat[prefix + key] = value
    return flat


@dataclass(frozen=True)
class SettingDifference:
    """A setting whose value differs between two configs (``config_differences``): ``a`` is its
    value in the first, ``b`` in the second, None where that config lacks the setting."""

    setting: str
    a: SettingValue
    b: SettingValue

    def to_dict(self) -> dict:
        """As the Training page's table labels it."""
        return {"setting": self.setting, "A": self.a, "B": self.b}


def config_differences(a: dict, b: dict) -> list[SettingDifference]:
    """The settings whose values differ, in setting order."""
    a, b = flat_settings(a), flat_settings(b)
    return [
        SettingDifference(key, a.get(key), b.get(key))
        for key in sorted(a | b)
        if a.get(key) != b.get(key)
    ]


def config_diff_text(a: dict, b: dict, name_a: str, name_b: str) -> str:
    """A unified diff of the two configs as sorted, indented JSON."""
    import difflib

    lines_a = json.dumps(a, indent=2, sort_keys=True).splitlines()
    lines_b = json.dumps(b, indent=2, sort_keys=True).splitlines()
    return "\n".join(difflib.unified_diff(lines_a, lines_b, name_a, name_b, lineterm=""))


# ---- how a person sets each scalar setting (the Training page's custom settings) ----


@dataclass(frozen=True)
class SettingField:
    """One TrainConfig field as a widget: a number (``step``, ``format``), a choice among
    ``choices``, or a switch (a bool field). Ranges are not repeated here: ``validate`` checks
    them and its ConfigError names the field, so an impossible value gets its message."""

    name: str
    label: str
    step: float | None = None
    format: str | None = None
    choices: tuple[str, ...] = ()
    help: str | None = None

    @property
    def kind(self) -> str:
        """The widget: "choice", "switch" or "number"."""
        if self.choices:
            return "choice"
        return "switch" if self.step is None else "number"


FIELDS = (
    SettingField("img_size", "Image size (px)", step=8),
    SettingField("epochs", "Epochs", step=1),
    SettingField("batch_size", "Batch size", step=8),
    SettingField("width", "Width (x filters)", step=0.25),
    SettingField("optimizer", "Optimiser", choices=OPTIMIZERS),
    SettingField("learning_rate", "Learning rate", step=1e-4, format="%.5f"),
    SettingField("lr_schedule", "Schedule", choices=LR_SCHEDULES),
    SettingField("weight_decay", "Weight decay", step=1e-4, format="%.5f"),
    SettingField(
        "early_stopping_patience",
        "Early stopping patience",
        step=1,
        help="Epochs without a better validation AUC before stopping; 0 = off. Test data is never used.",
    ),
    SettingField("class_balancing", "Class balancing", choices=CLASS_BALANCING),
    SettingField("seed", "Seed", step=1),
    SettingField("device", "Device", choices=DEVICES),
    SettingField("mixed_precision", "Mixed precision (GPU only)"),
    SettingField(
        "checkpoint",
        "Weights kept",
        choices=CHECKPOINTS,
        help="best: the epoch with the best validation AUC; last: the final one.",
    ),
    SettingField("label_smoothing", "Label smoothing", step=0.05),
    SettingField(
        "mixup_alpha",
        "Mixup alpha",
        step=0.1,
        help="0 = off. Each step blends its batch with a shuffled copy by one λ ~ Beta(α, α).",
    ),
    SettingField(
        "ema_decay",
        "Weight averaging (EMA decay)",
        step=0.001,
        format="%.4f",
        help="0 = off; 0.99 keeps an average of about the last 100 steps' weights "
        "(needs Weights kept: last).",
    ),
)
