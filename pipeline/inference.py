"""A finished run's model, loaded safely, and its probability of PNEUMONIA for any images.

    loaded = load_run_model(run_id)            # ModelLoadError says what to do when it cannot
    probabilities = predict_proba(loaded, images_uint8)   # (N, S, S) uint8 -> (N,) float

Images are fed exactly as the run's validation images were during training: resized, rescaled
and normalised by the run's own ``Preprocessing`` record (``pipeline.preprocessing``), which
training writes into result.json with the training split's statistics, the class names and the
threshold. Nothing here needs ``pipeline.training`` or the training data.

Two backends give the same probabilities: ``framework`` (Keras or PyTorch, the one that trained
the run) and ``onnx`` (``pipeline.onnx_model`` under ONNX Runtime: no framework in the process,
about 1 GB less memory; what a shared deployment uses, see ``pipeline.settings.model_backend``).

Inference runs on the CPU in both frameworks (torch's model is loaded there, Keras's is
placed there), so inference times compare like with like, on any machine.

Weights load without running code from the file: torch with ``weights_only=True``, Keras
with ``safe_mode=True``; and only once the file matches the sha256 its training recorded, so
a truncated or damaged file is refused with what to do, never half-loaded. Only the run's
framework is imported, torch always before TensorFlow (with torchvision, which Grad-CAM and
the augmentation builders load later: it crashes the process if it comes after TensorFlow).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pipeline.frameworks import import_keras, import_tensorflow, import_torch
from pipeline.preprocessing import Preprocessing, PreprocessingError
from pipeline.preprocessing import resize_to as resize_to
from pipeline.records import RunResult
from pipeline.runs import Run, RunConfig, RunError
from pipeline.settings import cache_root, sha256_of

# conv1's output for a 150 px batch of 128 is 368 MB of float32 alone; batches of 32 score as
# fast on a CPU and peak about 400 MB lower (docs/cloud.md)
BATCH_SIZE = 32
DEFAULT_THRESHOLD = 0.5


class ModelLoadError(RuntimeError):
    """A run whose model cannot be used; the message says why and what to do."""


@dataclass
class LoadedModel:
    """A run's model in inference mode, with what is needed to feed it and read its output."""

    run_id: str
    framework: str  # "keras" or "torch": the framework that trained it
    model: object  # keras.Model (sigmoid output), PneumoniaCNN (logit output) or OnnxCNN
    prep: Preprocessing  # resize, rescale, normalisation, class names, recorded threshold
    threshold: float  # pipeline.threshold's rule, on the run's validation split
    threshold_origin: str
    config: RunConfig  # the run's TrainConfig, as stored
    weights_path: Path
    backend: str = "framework"  # or "onnx"
    threshold_choice: object = None  # pipeline.threshold.ThresholdChoice (None: none)
    lock: threading.Lock = field(
        default_factory=threading.Lock, repr=False
    )  # one forward pass at a time

    @property
    def img_size(self) -> int:
        return self.prep.img_size


def load_run_model(run_id: str, backend: str = "framework") -> LoadedModel:
    """The model of finished run ``run_id``; ModelLoadError for anything that stops that.

    ``backend`` "onnx" scores through ONNX Runtime (``pipeline.onnx_model``) instead of the
    framework; the run's ONNX file is checked against its recorded sha256 like the weights.
    """
    run = finished_run(run_id)
    config = run.config()
    if not config.framework or not config.img_size:
        raise ModelLoadError(f"run {run_id}: its config cannot be read; {_retrain(run_id)}")
    result = run.result()
    if result is None:
        raise ModelLoadError(
            f"run {run_id}: its result.json is missing or damaged; {_retrain(run_id)}"
        )
    weights = run.weights()
    if weights is None or not weights.is_file():
        raise ModelLoadError(
            f"run {run_id}: the weights file is missing"
            f"{f' ({weights})' if weights else ''}; {_retrain(run_id)}"
        )
    check_file(run_id, weights, result.weights_sha256)
    prep = run_preprocessing(run_id, config, result)
    model = (
        _load_onnx(run, result, weights)
        if backend == "onnx"
        else _load_weights(config, weights, run_id)
    )
    loaded = LoadedModel(
        run_id=run_id,
        framework=config.framework,
        model=model,
        prep=prep,
        threshold=DEFAULT_THRESHOLD,
        threshold_origin="",
        config=config,
        weights_path=weights,
        backend=backend,
    )
    loaded.threshold_choice = _threshold(loaded, result)
    loaded.threshold = loaded.threshold_choice.value
    loaded.threshold_origin = loaded.threshold_choice.reason
    return loaded


def predict_proba(
    loaded: LoadedModel, images: np.ndarray, batch_size: int = BATCH_SIZE
) -> np.ndarray:
    """Probability of PNEUMONIA for uint8 images (N, S, S) or one image (S, S): (N,) float64."""
    images = np.asarray(images)
    batch = images[None] if images.ndim == 2 else images
    if batch.ndim != 3:
        raise ValueError(f"expected grayscale images (N, H, W), got shape {images.shape}")
    outputs = [
        _forward(loaded, batch[start : start + batch_size])
        for start in range(0, len(batch), batch_size)
    ]
    return np.concatenate(outputs) if outputs else np.zeros(0)


def model_input(loaded: LoadedModel, images: np.ndarray):
    """Pixels (N, S, S), 0-255 (uint8, or float as saliency metrics perturb them), as the model's
    input, float32: a torch tensor (N, 1, S, S); for Keras a NumPy array (N, S, S, 1), for
    ONNX one of (N, 1, S, S)."""
    x = loaded.prep.apply(np.asarray(images))
    if loaded.backend == "onnx":
        return np.ascontiguousarray(x[:, None])
    if loaded.framework == "torch":
        return import_torch().from_numpy(np.ascontiguousarray(x[:, None]))
    return x[..., None]


def parameter_count(loaded: LoadedModel) -> int:
    """Weights including BatchNorm statistics, counted the same way for both frameworks."""
    if loaded.backend == "onnx":
        return loaded.model.parameter_count()
    if loaded.framework == "torch":  # parameters plus BatchNorm running statistics, as Keras counts
        buffers = (
            b
            for name, b in loaded.model.named_buffers()
            if not name.endswith("num_batches_tracked")
        )
        return sum(p.numel() for p in loaded.model.parameters()) + sum(b.numel() for b in buffers)
    return int(loaded.model.count_params())


def _forward(loaded: LoadedModel, images: np.ndarray) -> np.ndarray:
    x = model_input(loaded, images)
    if loaded.backend == "onnx":  # ONNX Runtime sessions may run concurrently
        return loaded.model.probability(x).astype(np.float64)
    with loaded.lock:
        if loaded.framework == "torch":
            torch = import_torch()
            with torch.inference_mode():
                logits = loaded.model(x.contiguous(memory_format=torch.channels_last))
                return torch.sigmoid(logits.float()).numpy().astype(np.float64).ravel()
        with _keras_cpu():  # the compiled predict step: 4x faster than an eager call for one image
            return np.asarray(loaded.model.predict_on_batch(x), dtype=np.float64).ravel()


# ---- loading ----


def finished_run(run_id: str) -> Run:
    try:
        run = Run(run_id)
    except RunError as error:
        raise ModelLoadError(str(error)) from None
    state = run.state
    if state == "missing":
        raise ModelLoadError(
            f"no run {run_id} in the run store (see `python -m pipeline.runs list`)"
        )
    if state != "finished":
        error = run.status().error
        detail = f": {error}" if error else ""
        raise ModelLoadError(
            f"run {run_id} is {state}{detail}; only finished runs have a model to evaluate"
        )
    return run


def check_file(run_id: str, path: Path, recorded: str | None) -> None:
    """Refuse a weights file that is not the one its training wrote (truncated, bits flipped,
    replaced). Runs trained before checksums were recorded have none: the loaders' checks remain."""
    if recorded is None:
        return
    try:
        actual = sha256_of(path)
    except OSError as error:
        raise ModelLoadError(
            f"run {run_id}: the weights file {path} cannot be read "
            f"({error.strerror or error}); {_retrain(run_id)}"
        ) from None
    if actual != recorded:
        raise ModelLoadError(
            f"run {run_id}: the weights file {path.name} is damaged or unreadable: it does not "
            f"match the sha256 recorded when it was trained; {_retrain(run_id)}"
        )


def _load_weights(config, path: Path, run_id: str):
    try:
        if config.framework == "torch":
            torch = import_torch()
            from models.torch_cnn import load

            model = load(path, config.img_size, width=config.model_width)  # weights_only=True
            # channels-last, as the engine trains and validates (faster on the CPU)
            return model.to(memory_format=torch.channels_last)
        keras = import_keras()  # torch and torchvision first (see pipeline.frameworks)
        with _keras_cpu():
            return keras.models.load_model(path, compile=False, safe_mode=True)
    except Exception as error:  # every library reports a damaged file its own way
        raise ModelLoadError(
            f"run {run_id}: the weights file {path.name} is damaged or unreadable "
            f"({type(error).__name__}: {_short(error)}); {_retrain(run_id)}"
        ) from None


def _keras_cpu():
    """Keras inference on the CPU, as torch's: the two frameworks' inference times stay comparable,
    and a deployment without a GPU (Streamlit Cloud) sees the same figures."""
    return import_tensorflow().device("/CPU:0")


def _threshold(loaded: LoadedModel, result: RunResult):
    """The run's ThresholdChoice (pipeline.threshold, the one rule): as its training
    recorded it, or chosen now on its validation split by that rule when it recorded none (runs
    trained before the rule recorded only Youden's pick, which the rule replaces)."""
    from pipeline.threshold import FALLBACK, ThresholdChoice, choose_threshold

    recorded = (
        getattr(result.val, "threshold_choice", None)
        or result.val.extra.get("threshold_choice")
        or loaded.prep.threshold_choice  # the self-contained record (result.json "inference")
    )
    if recorded:
        try:
            return ThresholdChoice.from_dict(recorded)
        except (TypeError, ValueError):
            pass  # a damaged record: chosen again below, from the validation split
    from pipeline.data import load_all

    balancing = loaded.config.class_balancing or "class_weight"
    try:
        _, arrays = load_all(loaded.config.source, loaded.img_size)
        val, train = arrays.subset("val"), arrays.subset("train")
        prevalence = float(train.labels.mean()) if len(train) else None
        return choose_threshold(
            val.labels, predict_proba(loaded, val.images), balancing, prevalence
        )
    except (OSError, ValueError) as error:  # the source is gone or its validation split unusable
        if result.inference is not None:  # a self-contained run: its training's own choice
            value = loaded.prep.threshold
            return ThresholdChoice(
                value,
                loaded.prep.threshold_rule,
                f"{value:.3f}: as its training recorded it; no validation split here to show "
                f"the interval of optimal thresholds ({_short(error)})",
                value,
                value,
            )
        return ThresholdChoice(
            DEFAULT_THRESHOLD,
            FALLBACK,
            f"0.5: no validation split to choose on ({_short(error)})",
            0.0,
            1.0,
        )


def run_preprocessing(run_id: str, config: RunConfig, result: RunResult) -> Preprocessing:
    """The run's recorded preprocessing; for a run trained before it was recorded, rebuilt from
    its config and (per-dataset normalisation only) its training split's statistics."""
    try:
        if result.inference is not None:
            return Preprocessing.from_record(result.inference)
        augment = config.augment or {}
        rescale = augment.get("rescale", 1 / 255)
        normalization = augment.get("normalization", "none")
        mean = std = None
        if normalization == "per_dataset":
            mean, std = _training_stats(config, rescale)
        if config.img_size is None:
            raise KeyError("img_size")
        record = {"img_size": config.img_size, "channels": 1, "rescale": rescale}
        return Preprocessing.from_record(
            {**record, "normalization": normalization, "mean": mean, "std": std}
        )
    except (PreprocessingError, KeyError, OSError, ValueError) as error:
        raise ModelLoadError(
            f"run {run_id}: how to feed its model is unknown ({_short(error)}); {_retrain(run_id)}"
        ) from None


def _training_stats(config: RunConfig, rescale: float) -> tuple[float, float]:
    """The training split's mean and std as training computed them (runs that predate the record)."""
    from pipeline.augment.stats import iter_chunks, precomputed_stats
    from pipeline.data import load_split

    train = load_split(config.source, "train", config.img_size)
    stats = precomputed_stats(iter_chunks(train.images), rescale)
    return stats.mean, stats.std


# ---- ONNX ----


def _load_onnx(run: Run, result: RunResult, weights: Path):
    """The run's ONNX model: the file training wrote beside the weights (checked against its
    sha256), else one converted now from the weights in a short-lived process that loads the
    framework (so this one never does), kept under the cache and keyed by the weights' hash."""
    from pipeline.onnx_model import OnnxCNN

    if result.onnx:
        path = run.path / "weights" / result.onnx
        check_file(run.id, path, result.onnx_sha256)
        return OnnxCNN.from_bytes(path.read_bytes())
    path = onnx_cache_path(result.weights_sha256 or sha256_of(weights))
    if not path.is_file():
        convert_in_subprocess(run.id, path)
    return OnnxCNN.from_bytes(path.read_bytes())


def onnx_cache_path(weights_sha256: str) -> Path:
    return cache_root() / "onnx" / f"{weights_sha256[:32]}.onnx"


def convert_in_subprocess(run_id: str, out: Path) -> None:
    """``python -m pipeline.runs onnx RUN_ID --out OUT`` in a child process, one at a time."""
    import fcntl
    import subprocess
    import sys

    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.parent / ".convert.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one framework process at a time: memory, not speed
        if out.is_file():
            return
        done = subprocess.run(
            [sys.executable, "-m", "pipeline.runs", "onnx", run_id, "--out", str(out)],
            capture_output=True,
            text=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
    if done.returncode != 0 or not out.is_file():
        detail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise ModelLoadError(f"run {run_id}: converting it to ONNX failed ({detail[0]})")


def _retrain(run_id: str) -> str:
    return (
        f"delete the run (`python -m pipeline.runs delete {run_id}`) and train it again "
        f"with the same settings"
    )


def _short(error: Exception) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text if len(text) <= 160 else text[:157] + "..."
