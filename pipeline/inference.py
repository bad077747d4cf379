"""A finished run's model, loaded safely, and its probability of PNEUMONIA for any images.

    loaded = load_run_model(run_id)            # ModelLoadError says what to do when it cannot
    probabilities = predict_proba(loaded, images_uint8)   # (N, S, S) uint8 -> (N,) float

Images are fed exactly as the run's validation images were during training: resized to the
run's image size, then rescaled and normalised by the engines' own ``eval_inputs`` (the
augmentation spec's ``rescale`` and ``normalization``; per-dataset statistics come from the
run's training split, never from the images being scored).

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

from pipeline.data.images import resize_square
from pipeline.frameworks import import_keras, import_tensorflow, import_torch
from pipeline.records import RunResult
from pipeline.runs import Run, RunError
from pipeline.settings import sha256_of

BATCH_SIZE = 128
DEFAULT_THRESHOLD = 0.5


class ModelLoadError(RuntimeError):
    """A run whose model cannot be used; the message says why and what to do."""


@dataclass
class LoadedModel:
    """A run's model in inference mode, with what is needed to feed it and read its output."""

    run_id: str
    framework: str  # "keras" or "torch"
    model: object  # keras.Model (sigmoid output) or models.torch_cnn.PneumoniaCNN (logit output)
    img_size: int
    threshold: float  # pipeline.evaluate.threshold's rule, on the run's validation split
    threshold_origin: str
    config: dict  # the run's TrainConfig as a dict
    spec: object  # the run's AugmentSpec: rescale and normalisation
    stats: object  # DatasetStats of the training split for per-dataset normalisation, else None
    weights_path: Path
    threshold_choice: object = None  # pipeline.evaluate.threshold.ThresholdChoice (None: none)
    lock: threading.Lock = field(
        default_factory=threading.Lock, repr=False
    )  # one forward pass at a time


def load_run_model(run_id: str) -> LoadedModel:
    """The model of finished run ``run_id``; ModelLoadError for anything that stops that."""
    from pipeline.training.config import ConfigError, TrainConfig

    run = _finished_run(run_id)
    try:
        config = TrainConfig.from_json((run.path / "config.json").read_text())
    except (OSError, ConfigError) as error:
        raise ModelLoadError(
            f"run {run_id}: its config cannot be read ({error}); {_retrain(run_id)}"
        ) from None
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
    _check_weights(run_id, weights, result.weights_sha256)
    loaded = LoadedModel(
        run_id=run_id,
        framework=config.framework,
        model=_load_weights(config, weights, run_id),
        img_size=config.img_size,
        threshold=DEFAULT_THRESHOLD,
        threshold_origin="",
        config=config.to_dict(),
        spec=config.augment,
        stats=_normalisation_stats(config),
        weights_path=weights,
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
    input: a torch tensor (N, 1, S, S) or a NumPy array (N, S, S, 1), float32."""
    from pipeline.training.engines.common import eval_inputs

    x = eval_inputs(resize_to(np.asarray(images), loaded.img_size), loaded.spec, loaded.stats)
    if loaded.framework == "torch":
        return import_torch().from_numpy(np.ascontiguousarray(x[:, None]))
    return x[..., None]


def resize_to(images: np.ndarray, size: int) -> np.ndarray:
    """``images`` (N, H, W) at size x size, bilinear as the data layer resizes; unchanged if already so."""
    if images.shape[1:] == (size, size):
        return images
    resized = [resize_square(_as_uint8(image), size) for image in images]
    return np.stack(resized) if resized else np.zeros((0, size, size), np.uint8)


def parameter_count(loaded: LoadedModel) -> int:
    """Weights including BatchNorm statistics, counted the same way for both frameworks."""
    if loaded.framework == "torch":  # parameters plus BatchNorm running statistics, as Keras counts
        from models.torch_cnn import count_parameters

        return count_parameters(loaded.model)
    return int(loaded.model.count_params())


def _forward(loaded: LoadedModel, images: np.ndarray) -> np.ndarray:
    x = model_input(loaded, images)
    with loaded.lock:
        if loaded.framework == "torch":
            torch = import_torch()
            with torch.inference_mode():
                logits = loaded.model(x.contiguous(memory_format=torch.channels_last))
                return torch.sigmoid(logits.float()).numpy().astype(np.float64).ravel()
        with _keras_cpu():  # the compiled predict step: 4x faster than an eager call for one image
            return np.asarray(loaded.model.predict_on_batch(x), dtype=np.float64).ravel()


def _as_uint8(image: np.ndarray) -> np.ndarray:
    return image if image.dtype == np.uint8 else np.clip(np.rint(image), 0, 255).astype(np.uint8)


# ---- loading ----


def _finished_run(run_id: str) -> Run:
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
        detail = f": {run.status().get('error')}" if run.status().get("error") else ""
        raise ModelLoadError(
            f"run {run_id} is {state}{detail}; only finished runs have a model to evaluate"
        )
    return run


def _check_weights(run_id: str, path: Path, recorded: str | None) -> None:
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

            model = load(path, config.img_size, width=config.width)  # torch.load(weights_only=True)
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
    """The run's ThresholdChoice (pipeline.evaluate.threshold, the one rule): as its training
    recorded it, or chosen now on its validation split by that rule when it recorded none (runs
    trained before the rule recorded only Youden's pick, which the rule replaces)."""
    from pipeline.evaluate.threshold import FALLBACK, ThresholdChoice, choose_threshold

    recorded = getattr(result.val, "threshold_choice", None) or result.val.extra.get(
        "threshold_choice"
    )
    if recorded:
        try:
            return ThresholdChoice.from_dict(recorded)
        except (TypeError, ValueError):
            pass  # a damaged record: chosen again below, from the validation split
    from pipeline.data import load_all

    balancing = loaded.config.get("class_balancing", "class_weight")
    try:
        _, arrays = load_all(loaded.config["source"], loaded.img_size)
        val, train = arrays.subset("val"), arrays.subset("train")
        prevalence = float(train.labels.mean()) if len(train) else None
        return choose_threshold(
            val.labels, predict_proba(loaded, val.images), balancing, prevalence
        )
    except (OSError, ValueError) as error:  # the source is gone or its validation split unusable
        return ThresholdChoice(
            DEFAULT_THRESHOLD,
            FALLBACK,
            f"0.5: no validation split to choose on ({_short(error)})",
            0.0,
            1.0,
        )


def _normalisation_stats(config):
    """The training split's mean and std when the spec normalises per dataset, else None.

    Computed again by the engines' own ``load_data``, over the same training split (the run id
    pins the data's fingerprint), since runs do not record them.
    """
    if config.augment.normalization != "per_dataset":
        return None
    from pipeline.training.engines.common import load_data

    return load_data(config).stats


def _retrain(run_id: str) -> str:
    return (
        f"delete the run (`python -m pipeline.runs delete {run_id}`) and train it again "
        f"with the same settings"
    )


def _short(error: Exception) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text if len(text) <= 160 else text[:157] + "..."
