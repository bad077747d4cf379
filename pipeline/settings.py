"""Where PneumoLab keeps what it computes: one cache root, never inside a data folder."""

import os
import threading
from pathlib import Path


def cache_root() -> Path:
    """The cache directory: ``$PNEUMOLAB_CACHE`` or ``~/.cache/pneumolab``.

    Created on first use. Data folders may be read-only (they are in CI), so nothing
    derived from them is ever written next to them.
    """
    root = Path(os.environ.get("PNEUMOLAB_CACHE") or Path.home() / ".cache" / "pneumolab")
    root.mkdir(parents=True, exist_ok=True)
    return root


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a reader sees the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")  # unique per thread
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
