"""What the talk tests that train share."""

import os

import pytest


@pytest.fixture(scope="module")
def one_torch_thread():
    """Workers inherit the environment: torch trains on one thread, leaving a core to others.

    Modules that train through the queue ask for it with ``pytest.mark.usefixtures``."""
    previous = os.environ.get("OMP_NUM_THREADS")
    os.environ["OMP_NUM_THREADS"] = "1"
    yield
    if previous is None:
        os.environ.pop("OMP_NUM_THREADS", None)
    else:
        os.environ["OMP_NUM_THREADS"] = previous
