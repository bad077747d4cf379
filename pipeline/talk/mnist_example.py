"""The talk's MNIST code and its training log, and the two things the log gives away.

The slide's code scales the training images to [0, 1] (``/ 255``) but hands the validation
images to ``fit`` unscaled, and asks for 10 epochs; its log shows 5 epochs, a validation loss of
12 to 19 and a validation accuracy of about 0.97 (``TALK_LOG``). Both faults are visible in the
log without reading the code: a network that is right on 97% of images cannot lose 12 nats per
image on average unless its inputs changed scale. Inputs 255 times larger push the ReLU
network's logits about 255 times further: the arg-max (the accuracy) barely moves, but every
wrong answer is now made with near certainty and costs hundreds of nats.

``compare_runs`` trains ``mnist_example`` live twice, with the talk's scaling and with the
validation images scaled like the training ones, and returns both Keras logs. Data: MNIST when
``keras.datasets.mnist`` already has it on disk (never downloaded), else scikit-learn's bundled
8 x 8 digits turned into 0-255 grey levels like MNIST's, so that the missing ``/ 255`` is the
same factor; ``MnistComparison.data_note`` says which ran.

    python -m pipeline.talk.mnist_example --json
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from pipeline.talk.mini_demo import (
    cached_mnist_path,
    captured_log,
    demo_arguments,
    import_keras,
    sample_mnist,
)

LOG_EPOCHS = 5  # what the talk's log shows, and what runs here
MNIST_TRAIN, MNIST_VALIDATION = 12_000, 2_000  # of 60,000 / 10,000: seconds, not minutes
DEFAULT_SEED = 0


@dataclass(frozen=True)
class TalkLog:
    """What the talk's slide shows, as read from it (issue 20); nothing here was measured."""

    code_epochs: int
    log_epochs: int
    val_loss: tuple[float, float]  # lowest and highest over the epochs
    val_accuracy: float  # about
    validation_scaled: bool


TALK_LOG = TalkLog(
    code_epochs=10, log_epochs=5, val_loss=(12.0, 19.0), val_accuracy=0.97, validation_scaled=False
)


@dataclass(frozen=True)
class Digits:
    name: str  # "MNIST" or "scikit-learn digits (stand-in)"
    note: str
    x_train: np.ndarray  # uint8 grey levels 0-255, (N, pixels)
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray


@dataclass(frozen=True)
class MnistRun:
    validation_scaled: bool
    log: str  # Keras's own verbose=2 log
    history: dict[str, list[float]]

    def last(self, key: str) -> float:
        return self.history[key][-1]

    def span(self, key: str) -> tuple[float, float]:
        return min(self.history[key]), max(self.history[key])


@dataclass(frozen=True)
class MnistComparison:
    data: str
    data_note: str
    epochs: int
    as_in_the_talk: MnistRun  # validation images not scaled
    fixed: MnistRun  # validation images scaled like the training ones

    def to_dict(self) -> dict:
        return asdict(self)


# ---- the code the page shows ----


def mnist_example(x_train, y_train, x_val, y_val, epochs, scale_validation):
    keras = import_keras()  # torch first, then TensorFlow

    x_train = x_train.astype("float32") / 255  # training images scaled to [0, 1]
    x_val = x_val.astype("float32")  # as in the talk: left at 0-255
    if scale_validation:
        x_val = x_val / 255  # the fix: scaled like the training images

    model = keras.Sequential()
    model.add(keras.Input(shape=(x_train.shape[1],)))
    model.add(keras.layers.Dense(128, activation="relu"))
    model.add(keras.layers.Dense(10, activation="softmax"))
    loss = "sparse_categorical_crossentropy"
    model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    fit = dict(epochs=epochs, batch_size=32, verbose=2)
    return model.fit(x_train, y_train, validation_data=(x_val, y_val), **fit)


# ---- data ----


def load_digits_as_mnist(seed: int = DEFAULT_SEED) -> Digits:
    """MNIST from Keras's cache when it is there, else the scikit-learn digits as 0-255 pixels."""
    path = cached_mnist_path()
    if path is not None:
        try:
            return _mnist(path, seed)
        except (OSError, KeyError, ValueError) as error:
            return _stand_in(seed, f"MNIST at {path} could not be read ({error}); ")
    return _stand_in(
        seed,
        "MNIST is not on this machine (Keras's cache has no mnist.npz, and "
        "nothing is downloaded); ",
    )


def _mnist(path, seed: int) -> Digits:
    drawn = sample_mnist(path, seed, MNIST_TRAIN, MNIST_VALIDATION)
    note = (
        f"MNIST from Keras's cache ({path}): {len(drawn.x_train):,} of its training and "
        f"{len(drawn.x_test):,} of its test images as validation data, 28 x 28 grey levels 0-255."
    )
    flat = lambda images: images.reshape(len(images), -1)  # noqa: E731
    return Digits(
        "MNIST", note, flat(drawn.x_train), drawn.y_train, flat(drawn.x_test), drawn.y_test
    )


def _stand_in(seed: int, why: str) -> Digits:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    # grey levels 0-16 stretched to MNIST's 0-255, so the missing "/ 255" is MNIST's factor
    pixels = np.round(digits.data * 255 / 16).astype(np.uint8)
    x_train, x_val, y_train, y_val = train_test_split(
        pixels,
        digits.target.astype("int64"),
        test_size=0.25,
        stratify=digits.target,
        random_state=seed,
    )
    note = (
        f"{why}a stand-in ran instead: scikit-learn's bundled handwritten digits, {len(pixels):,} "
        f"images of 8 x 8 px stretched to MNIST's grey levels 0-255, {len(x_train):,} to train and "
        f"{len(x_val):,} to validate. Not MNIST: the numbers differ from the talk's, the effect of "
        "the missing scaling is the same."
    )
    return Digits("scikit-learn digits (stand-in)", note, x_train, y_train, x_val, y_val)


# ---- running it ----


def run_once(
    data: Digits,
    scale_validation: bool,
    epochs: int,
    seed: int,
    on_log: Callable[[str], None] | None,
) -> MnistRun:
    keras = import_keras()
    keras.utils.set_random_seed(seed)  # both runs start from the same weights and order
    with captured_log(on_log) as tee:
        history = mnist_example(
            data.x_train, data.y_train, data.x_val, data.y_val, epochs, scale_validation
        )
    return MnistRun(
        scale_validation,
        tee.text,
        {k: [float(v) for v in values] for k, values in history.history.items()},
    )


def compare_runs(
    epochs: int = LOG_EPOCHS,
    seed: int = DEFAULT_SEED,
    on_log: Callable[[str, str], None] | None = None,
) -> MnistComparison:
    """The example as in the talk and fixed, on the same data and seed; ``on_log(which, text)``."""
    if not 1 <= epochs <= 20:
        raise ValueError(f"epochs must be between 1 and 20, not {epochs}")
    data = load_digits_as_mnist(seed)
    runs = {}
    for which, scaled in (("talk", False), ("fixed", True)):
        report = (lambda text, which=which: on_log(which, text)) if on_log else None
        runs[which] = run_once(data, scaled, epochs, seed, report)
    return MnistComparison(data.name, data.note, epochs, runs["talk"], runs["fixed"])


def main(argv: list[str] | None = None) -> int:
    args = demo_arguments("pipeline.talk.mnist_example", __doc__, LOG_EPOCHS, 20, argv)
    result = compare_runs(args.epochs, args.seed)
    if args.json:
        print(json.dumps(result.to_dict()))
        return 0
    print(result.data_note)
    for title, run in (("as in the talk", result.as_in_the_talk), ("fixed", result.fixed)):
        print(f"--- {title} ---\n{run.log}", end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
