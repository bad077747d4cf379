"""Augmentation studio: one spec drives ImageDataGenerator and torchvision.transforms.v2.

    from pipeline.augment import AugmentSpec
    spec = AugmentSpec.preset("talk")
    from pipeline.augment.torch_builder import build_torch_transform      # uint8 (1,H,W) -> float32
    from pipeline.augment.keras_builder import build_image_data_generator  # the legacy IDG

Importing this package loads neither framework; the builders import them when called
(torch and torchvision always before TensorFlow).
"""

from .spec import FIELDS, PRESETS, AugmentSpec, SpecError, load_for_training, save_for_training

__all__ = [
    "FIELDS",
    "PRESETS",
    "AugmentSpec",
    "SpecError",
    "load_for_training",
    "save_for_training",
]
