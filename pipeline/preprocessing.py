"""How a trained model wants its images: the one record a run keeps so that it can be used alone.

    prep = Preprocessing.from_record(result["inference"])   # written by training, in result.json
    x = prep.apply(images_uint8)      # (N, H, W) uint8 -> (N, S, S) float32, as validation was fed

Training writes this record when it finishes (``Preprocessing.for_training``): the input size
and channels, the rescale factor, the normalisation and, for per-dataset normalisation, the
training split's mean and std, the class names, and the decision threshold with the rule that
chose it. Scoring a run, exporting it, or using it on a machine without its training data then
needs only this record and the weights: nothing from ``pipeline.training`` and no data reload.

No framework is imported here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from pipeline.data.images import resize_square

EPSILON = 1e-6  # ImageDataGenerator's, added to the std before dividing
CLASS_NAMES = ("NORMAL", "PNEUMONIA")  # index == label; the same as pipeline.data.CLASS_NAMES
NORMALIZATIONS = ("none", "per_sample", "per_dataset")


class PreprocessingError(ValueError):
    """A record that cannot describe a model's input; the message says which field."""


@dataclass(frozen=True)
class Preprocessing:
    """Everything between a uint8 grayscale image and the model's input, and how to read its output."""

    img_size: int
    channels: int
    rescale: float
    normalization: str  # none | per_sample | per_dataset
    mean: float | None  # the training split's, after rescale (per_dataset only)
    std: float | None
    class_names: tuple[str, ...] = CLASS_NAMES
    threshold: float = 0.5  # probability of class_names[1] at or above which a case is positive
    threshold_rule: str = "0.5 (no threshold recorded)"
    threshold_choice: dict | None = None  # the full record of the rule's choice, when it made one
    epsilon: float = EPSILON

    @classmethod
    def for_training(cls, config, stats, val) -> Preprocessing:
        """The record of a run trained with ``config`` (a TrainConfig), the training split's
        ``stats`` (DatasetStats or None) and its final validation metrics ``val`` (ValMetrics)."""
        spec = config.augment
        threshold, rule = val.threshold, "Youden's J on the run's validation split"
        choice = val.threshold_choice  # pipeline.threshold's record, when present
        if isinstance(choice, dict) and choice.get("value") is not None:
            threshold = choice["value"]
            rule = f"{choice.get('rule', 'rule')} on the run's validation split"
            if choice.get("reason"):
                rule += f" ({choice['reason']})"
        return cls(
            img_size=config.img_size,
            channels=1,
            rescale=float(spec.rescale),
            normalization=spec.normalization,
            mean=float(stats.mean) if stats is not None else None,
            std=float(stats.std) if stats is not None else None,
            threshold=float(threshold) if threshold is not None else 0.5,
            threshold_rule=rule if threshold is not None else "0.5 (no threshold recorded)",
            threshold_choice=choice if isinstance(choice, dict) else None,
        )

    @classmethod
    def from_record(cls, record: dict) -> Preprocessing:
        """The record as result.json (or an exported run) holds it; PreprocessingError if unusable."""
        if not isinstance(record, dict):
            raise PreprocessingError(
                "the run records no preprocessing ('inference' in result.json)"
            )
        known = {name: record[name] for name in cls.__dataclass_fields__ if name in record}
        missing = {"img_size", "channels", "rescale", "normalization"} - set(known)
        if missing:
            raise PreprocessingError(f"the preprocessing record lacks {', '.join(sorted(missing))}")
        known["class_names"] = tuple(known.get("class_names", CLASS_NAMES))
        prep = cls(**known)
        prep.check()
        return prep

    def check(self) -> None:
        if self.normalization not in NORMALIZATIONS:
            raise PreprocessingError(f"unknown normalization '{self.normalization}'")
        if self.normalization == "per_dataset" and (self.mean is None or self.std is None):
            raise PreprocessingError("per_dataset normalisation needs the recorded mean and std")
        if self.channels != 1:
            raise PreprocessingError(
                f"only grayscale models are supported, not {self.channels} channels"
            )

    def to_record(self) -> dict:
        record = asdict(self)
        record["class_names"] = list(self.class_names)
        return record

    def apply(self, images: np.ndarray) -> np.ndarray:
        """Pixels (N, H, W), 0-255, as the model's input (N, S, S) float32, channels not added."""
        x = resize_to(np.asarray(images), self.img_size)
        return normalise(x, self.rescale, self.normalization, self.mean, self.std, self.epsilon)


def normalise(images, rescale, normalization, mean=None, std=None, epsilon=EPSILON) -> np.ndarray:
    """(N, S, S) float32 as both augmentation builders give them with no random change drawn:
    rescaled, then normalised per sample or with the training split's statistics."""
    x = np.asarray(images).astype(np.float32) * np.float32(rescale)
    if normalization == "per_sample":
        centred = x - x.mean(axis=(1, 2), keepdims=True)
        x = centred / (x.std(axis=(1, 2), keepdims=True) + epsilon)
    elif normalization == "per_dataset":
        x = (x - np.float32(mean)) / np.float32(std + epsilon)
    return x


def resize_to(images: np.ndarray, size: int) -> np.ndarray:
    """``images`` (N, H, W) at size x size, bilinear as the data layer resizes; unchanged if already so."""
    if images.shape[1:] == (size, size):
        return images
    resized = [resize_square(_as_uint8(image), size) for image in images]
    return np.stack(resized) if resized else np.zeros((0, size, size), np.uint8)


def _as_uint8(image: np.ndarray) -> np.ndarray:
    return image if image.dtype == np.uint8 else np.clip(np.rint(image), 0, 255).astype(np.uint8)
