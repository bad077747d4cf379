"""Test seam: a training worker that stops half-way through writing its weights.

A test puts this folder on ``PYTHONPATH`` (the worker inherits the environment) and sets
``PNEUMOLAB_TEST_PAUSE_IN_SAVE_S``; Python imports ``sitecustomize`` at start-up, and this one
replaces ``save_weights`` in ``pipeline.training.engines.common`` as soon as that module loads:
half the bytes are written and flushed, then the worker sleeps, and the test kills it there.
Production code carries no trace of it.
"""

import importlib.abc
import importlib.util
import os
import sys
import time

TARGET = "pipeline.training.engines.common"
PAUSE_S = float(os.environ.get("PNEUMOLAB_TEST_PAUSE_IN_SAVE_S") or 0)


def _patch(common) -> None:
    complete = common.save_weights

    def save_weights_pausing(path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(data[: len(data) // 2])
            handle.flush()
        time.sleep(PAUSE_S)  # the test kills the worker here
        complete(path, data)

    common.save_weights = save_weights_pausing


class _AfterImport(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != TARGET:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        run_module = spec.loader.exec_module

        def exec_module(module):
            run_module(module)
            _patch(module)

        spec.loader.exec_module = exec_module
        return spec


if PAUSE_S > 0:
    sys.meta_path.insert(0, _AfterImport())
