"""The Keras workflow of the talk, trained live in seconds: Sequential, add, Dense, compile, fit,
evaluate, predict.

    result = run_demo(epochs=5, seed=0)       # DemoResult: the Keras log, History, test scores
    python -m pipeline.talk.mini_demo --epochs 5 --json

``keras_workflow`` is the code the Insights page shows (``inspect.getsource``) and the code
that runs: one source. The log is the one Keras itself prints (``verbose=2``), captured from
stdout line by line so that a page can show it while it grows.

Data: MNIST only when ``keras.datasets.mnist`` already has it on disk (a download would hang on
a machine without network), else scikit-learn's bundled 8 x 8 digits. Either trains in a few
seconds on two CPU cores once Keras is imported.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from pipeline import cli

DEFAULT_EPOCHS = 5
DEFAULT_SEED = 0
MNIST_TRAIN = 12_000  # of 60,000: enough for ~95% in a few epochs, small enough for seconds
MNIST_TEST = 2_000
DIGITS_TEST_SHARE = 0.25

# Keras prints its log to the process's stdout: two demos at once would interleave their logs.
_STDOUT_LOCK = threading.Lock()


@dataclass
class DigitData:
    """Flattened images scaled to [0, 1], labels 0-9, and where they came from."""

    name: str  # "MNIST" or "scikit-learn digits"
    note: str  # one line for people: what was used and why
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


@dataclass
class DemoResult:
    dataset: str
    dataset_note: str
    epochs: int
    seed: int
    log: str  # what Keras printed during fit, verbatim
    history: dict[str, list[float]]  # History.history
    test_loss: float
    test_accuracy: float
    predictions: list[dict]  # the first test images: true digit, predicted digit, its probability
    train_images: int
    test_images: int
    workflow_seconds: float  # keras_workflow alone: model, fit, evaluate, predict
    total_seconds: float  # data, model, fit, evaluate and predict (Keras already imported)
    keras_version: str
    backend: str

    def to_dict(self) -> dict:
        return asdict(self)


# ---- the code the page shows ----


def keras_workflow(x_train, y_train, x_test, y_test, epochs):
    keras = import_keras()  # torch first, then TensorFlow (the other order crashes)

    model = keras.Sequential()
    model.add(keras.Input(shape=(x_train.shape[1],)))
    model.add(keras.layers.Dense(64, activation="relu"))
    model.add(keras.layers.Dense(10, activation="softmax"))

    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(
        x_train, y_train, epochs=epochs, batch_size=32, validation_split=0.1, verbose=2
    )

    test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)
    probabilities = model.predict(x_test[:8], verbose=0)
    return history, test_loss, test_accuracy, probabilities


def import_keras():
    from pipeline.frameworks import import_keras as torch_first_then_keras

    return torch_first_then_keras()


# ---- data ----


def keras_home() -> Path:
    """Where Keras keeps its downloads: ``$KERAS_HOME``, else ``~/.keras`` (as Keras decides)."""
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras")


def cached_mnist_path() -> Path | None:
    """``mnist.npz`` if ``keras.datasets.mnist.load_data()`` would find it without downloading."""
    path = keras_home() / "datasets" / "mnist.npz"
    return path if path.is_file() else None


def load_digit_data(seed: int) -> DigitData:
    """MNIST when it is already on disk, else scikit-learn's digits (bundled, never downloaded)."""
    path = cached_mnist_path()
    if path is not None:
        try:
            return _mnist(path, seed)
        except (OSError, KeyError, ValueError) as error:  # a damaged file: say so, use the digits
            return _digits(seed, f"MNIST at {path} could not be read ({error}); ")
    return _digits(seed, f"MNIST is not on disk ({keras_home() / 'datasets' / 'mnist.npz'}); ")


@dataclass(frozen=True)
class MnistSample:
    """Images drawn at random from MNIST's two splits (uint8, 28 x 28), and how many each had."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    of_train: int
    of_test: int


def sample_mnist(path: Path, seed: int, n_train: int, n_test: int) -> MnistSample:
    """``n_train`` and ``n_test`` images of Keras's cached MNIST, drawn with ``seed``."""
    with np.load(path, allow_pickle=False) as npz:  # a file from disk never runs code
        x_train, y_train, x_test, y_test = (
            npz[k] for k in ("x_train", "y_train", "x_test", "y_test")
        )
    rng = np.random.default_rng(seed)
    train = rng.choice(len(x_train), size=min(n_train, len(x_train)), replace=False)
    test = rng.choice(len(x_test), size=min(n_test, len(x_test)), replace=False)
    return MnistSample(
        x_train[train],
        y_train[train].astype("int64"),
        x_test[test],
        y_test[test].astype("int64"),
        len(x_train),
        len(x_test),
    )


def _mnist(path: Path, seed: int) -> DigitData:
    drawn = sample_mnist(path, seed, MNIST_TRAIN, MNIST_TEST)
    flat = lambda images: images.reshape(len(images), -1).astype("float32") / 255.0  # noqa: E731
    note = (
        f"MNIST from Keras's cache ({path}): {len(drawn.x_train):,} of its {drawn.of_train:,} "
        f"training and {len(drawn.x_test):,} of its {drawn.of_test:,} test images, 28 x 28 px, "
        "so that training takes seconds."
    )
    return DigitData(
        "MNIST", note, flat(drawn.x_train), drawn.y_train, flat(drawn.x_test), drawn.y_test
    )


def _digits(seed: int, why: str) -> DigitData:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = (digits.data / 16.0).astype("float32")  # grey levels 0-16
    x_train, x_test, y_train, y_test = train_test_split(
        x,
        digits.target.astype("int64"),
        test_size=DIGITS_TEST_SHARE,
        stratify=digits.target,
        random_state=seed,
    )
    note = (
        f"{why}using scikit-learn's bundled handwritten digits instead: {len(x):,} images of 8 x 8 px, "
        f"{len(x_train):,} to train and {len(x_test):,} held out to test (stratified, seed {seed})."
    )
    return DigitData("scikit-learn digits", note, x_train, y_train, x_test, y_test)


# ---- running it ----


class _LineTee(io.TextIOBase):
    """A stdout that keeps what is written and hands each new complete line to ``on_line``."""

    def __init__(self, on_line: Callable[[str], None] | None):
        self.text = ""
        self.on_line = on_line

    def write(self, text: str) -> int:
        self.text += text
        if self.on_line and "\n" in text:
            self.on_line(self.text)
        return len(text)


@contextlib.contextmanager
def captured_log(on_log: Callable[[str], None] | None = None):
    """What Keras prints while the block runs, kept in the yielded ``_LineTee`` (``.text``);
    ``on_log(text so far)`` after each line. One capture at a time: two would interleave."""
    with _STDOUT_LOCK:
        tee = _LineTee(on_log)
        with contextlib.redirect_stdout(tee):
            yield tee


def run_demo(
    epochs: int = DEFAULT_EPOCHS,
    seed: int = DEFAULT_SEED,
    on_log: Callable[[str], None] | None = None,
) -> DemoResult:
    """Train ``keras_workflow`` on the digits; ``on_log(text so far)`` after each line Keras prints."""
    if not 1 <= epochs <= 50:
        raise ValueError(f"epochs must be between 1 and 50, not {epochs}")
    keras = import_keras()
    started = time.perf_counter()
    data = load_digit_data(seed)
    keras.utils.set_random_seed(seed)  # weights, shuffling and the validation split repeat
    with captured_log(on_log) as tee:
        workflow_started = time.perf_counter()
        history, test_loss, test_accuracy, probabilities = keras_workflow(
            data.x_train, data.y_train, data.x_test, data.y_test, epochs
        )
        workflow_seconds = time.perf_counter() - workflow_started
    predictions = [
        {"true": int(true), "predicted": int(row.argmax()), "probability": float(row.max())}
        for true, row in zip(data.y_test, probabilities)
    ]
    return DemoResult(
        dataset=data.name,
        dataset_note=data.note,
        epochs=epochs,
        seed=seed,
        log=tee.text,
        history={k: [float(v) for v in values] for k, values in history.history.items()},
        test_loss=float(test_loss),
        test_accuracy=float(test_accuracy),
        predictions=predictions,
        train_images=len(data.x_train),
        test_images=len(data.x_test),
        workflow_seconds=workflow_seconds,
        total_seconds=time.perf_counter() - started,
        keras_version=keras.__version__,
        backend=keras.backend.backend(),
    )


def demo_arguments(
    module: str, doc: str, epochs: int, most_epochs: int, argv: list[str] | None
) -> argparse.Namespace:
    """The talk demos' command line: ``--epochs`` (1 to ``most_epochs``), ``--seed``, ``--json``."""
    parser = cli.parser(module, doc.splitlines()[0])
    parser.add_argument(
        "--epochs", type=int, default=epochs, help=f"1 to {most_epochs} (default %(default)s)"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    args = cli.parse(parser, argv)
    if not 1 <= args.epochs <= most_epochs:
        parser.error(f"--epochs must be between 1 and {most_epochs}, not {args.epochs}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = demo_arguments("pipeline.talk.mini_demo", __doc__, DEFAULT_EPOCHS, 50, argv)
    started = time.perf_counter()
    import_keras()
    import_seconds = time.perf_counter() - started
    result = run_demo(args.epochs, args.seed)
    if args.json:
        print(json.dumps({**result.to_dict(), "import_seconds": import_seconds}))
        return 0
    print(result.dataset_note)
    print(result.log, end="")
    print(
        f"evaluate: loss {result.test_loss:.4f}, accuracy {result.test_accuracy:.4f} "
        f"on {result.test_images:,} held-out images"
    )
    for p in result.predictions:
        print(f"predict: true {p['true']}, predicted {p['predicted']} ({p['probability']:.0%})")
    print(
        f"Keras {result.keras_version} ({result.backend}): importing took {import_seconds:.1f} s, "
        f"the demo {result.total_seconds:.1f} s (keras_workflow {result.workflow_seconds:.1f} s)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
