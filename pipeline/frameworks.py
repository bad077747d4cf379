"""The framework loader, under the name the pipeline and the pages import it by.

It lives in ``models/frameworks.py``, the lowest layer, so that the models can load their
framework through it too; see that file for why torch must come before TensorFlow. The
frameworks' ids and display names are defined here once, for the pipeline, the CLIs and the pages.
"""

from models.frameworks import (
    image_data_generator_class,
    import_keras,
    import_tensorflow,
    import_torch,
    import_torch_then_tensorflow,
    loaded,
    quiet_tensorflow,
    torch_module,
)

FRAMEWORKS = ("keras", "torch")  # the order everywhere: Keras first (left), PyTorch second
FRAMEWORK_NAMES = {"keras": "Keras", "torch": "PyTorch"}  # how people write them

__all__ = [
    "FRAMEWORKS",
    "FRAMEWORK_NAMES",
    "image_data_generator_class",
    "import_keras",
    "import_tensorflow",
    "import_torch",
    "import_torch_then_tensorflow",
    "loaded",
    "quiet_tensorflow",
    "torch_module",
]
