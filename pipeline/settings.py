"""Where PneumoLab keeps what it computes: one cache root, never inside a data folder.

Every cache entry is written atomically with its sha256 beside it (``<entry>.sha256``) and
checked on every read, so a half-written, truncated or bit-flipped entry is computed again
instead of served. A disk that refuses a write (full, read-only, over quota) costs speed, not
results: the value in hand is still returned, and a ``CacheWriteWarning`` says what to do.
"""

import contextlib
import errno
import fcntl
import glob
import hashlib
import json
import os
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

CACHE_VARIABLE = "PNEUMOLAB_CACHE"
# what a disk says when it has no room or takes no writes: the user can fix these, not the code
STORAGE_ERRNOS = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}


class CacheWriteWarning(UserWarning):
    """A cache entry could not be written; the work goes on without it."""


def cache_root() -> Path:
    """The cache directory: ``$PNEUMOLAB_CACHE`` or ``~/.cache/pneumolab``.

    Created on first use. Data folders may be read-only (they are in CI), so nothing
    derived from them is ever written next to them.
    """
    root = Path(os.environ.get(CACHE_VARIABLE) or Path.home() / ".cache" / "pneumolab")
    root.mkdir(parents=True, exist_ok=True)
    return root


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a reader sees the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(
        f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp"
    )  # unique per thread
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as error:
        with contextlib.suppress(
            OSError
        ):  # on a read-only disk even this fails; keep the first error
            tmp.unlink()
        if isinstance(error, OSError):  # a failed write names no file: name the one being written
            raise OSError(error.errno, error.strerror, str(path)) from error
        raise


def is_storage_error(error: BaseException) -> bool:
    return isinstance(error, OSError) and error.errno in STORAGE_ERRNOS


def storage_advice(error: OSError, path) -> str:
    """What failed, where, and what to do about a write the disk refused."""
    return (
        f"could not write {path} ({error.strerror or error}): free space on that disk, "
        f"or set {CACHE_VARIABLE} to a writable directory with room"
    )


def sha256_of(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def checksum_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def write_cache_entry(path: Path, data: bytes) -> bool:
    """``data`` at ``path``, then its sha256 beside it; False (with a warning) if the disk refuses.

    The checksum is written last: an entry killed between the two writes has none that
    matches, so it is rebuilt rather than trusted.
    """
    _remove_abandoned_temporaries(path)
    try:
        atomic_write_bytes(path, data)
        atomic_write_bytes(checksum_path(path), hashlib.sha256(data).hexdigest().encode())
        return True
    except OSError as error:
        warnings.warn(
            f"{storage_advice(error, path)}; it will be computed again next time",
            CacheWriteWarning,
            stacklevel=2,
        )
        return False


def _remove_abandoned_temporaries(path: Path) -> None:
    """Temporary files of writers killed mid-write (SIGKILL, out of memory) are never read, but
    can be as large as the entry: they are removed once the process that wrote them is gone."""
    for tmp in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        pid = tmp.name[len(path.name) + 2 :].split(".", 1)[0]
        if pid.isdigit() and not _process_exists(int(pid)):
            with contextlib.suppress(OSError):
                tmp.unlink()


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def cache_entry_intact(path: Path) -> bool:
    """True when ``path`` matches the sha256 recorded when it was written; else it is removed
    (when the disk allows), so a damaged entry is never read and its space comes back."""
    try:
        if sha256_of(path) == checksum_path(path).read_text().strip():
            return True
    except FileNotFoundError:
        if not path.exists():
            return False
    except (OSError, UnicodeDecodeError):
        pass
    with contextlib.suppress(OSError):
        path.unlink()
    return False


def read_cached_json(path: Path, parse: Callable[[Any], T]) -> T | None:
    """``parse`` of the JSON kept at ``path``, or None when there is none or it is damaged
    (its checksum fails, or it is not what ``parse`` reads): the caller computes it again."""
    if not cache_entry_intact(path):
        return None
    try:
        return parse(json.loads(path.read_text()))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def claim_lock(path: Path):
    """``path`` opened and ``flock``-ed (held until the handle closes, or the process ends: the
    kernel lets go of a dead holder's lock, which is how a reader tells a dead process from a
    slow one), or None when another handle holds it."""
    handle = open(path, "a+")  # noqa: SIM115 (held by the caller)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle
