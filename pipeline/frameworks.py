"""The framework loader, under the name the pipeline and the pages import it by.

It lives in ``models/frameworks.py``, the lowest layer, so that the models can load their
framework through it too; see that file for why torch must come before TensorFlow.
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

__all__ = [
    "image_data_generator_class",
    "import_keras",
    "import_tensorflow",
    "import_torch",
    "import_torch_then_tensorflow",
    "loaded",
    "quiet_tensorflow",
    "torch_module",
]
