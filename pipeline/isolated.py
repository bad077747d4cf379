"""Run one function in a fresh Python process and get its result back: frameworks stay out of
the caller.

    result = isolated.call("pipeline.augment.preview", "rendered", spec, image, 8, 0, None, False)

A shared deployment (Streamlit Community Cloud, ~2.7 GB for everything) cannot keep TensorFlow
and torch in its Streamlit process: importing both costs ~1.6 GB before any work. Pages that
need a framework for a moment (the augmentation studio's ImageDataGenerator and torchvision
previews) call it through here instead: the child imports what it needs, writes its result to
files, and exits, giving its memory back. One such child runs at a time on the machine (a lock
under the cache), so five visitors never hold five copies of the frameworks. The price is the
frameworks' import on every call (docs/architecture.md, "Torch first", gives its cost); pages
cache results, so it is paid once per view.

Arguments and results cross as JSON plus one ``.npz`` of arrays (loaded without pickle), never
as pickles: only plain values, NumPy arrays, bytes and the record types in ``RECORDS`` pass, so
a file in the scratch folder cannot make either process run code.

    python -m pipeline.isolated REQUEST_DIR RESULT_DIR     # the child side; never run by hand
"""

from __future__ import annotations

import base64
import dataclasses
import fcntl
import importlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from pipeline.settings import cache_root

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_S = 600
# The records that may cross, as "module:Class"; a name not listed is refused when decoding.
RECORDS = (
    "pipeline.augment.spec:AugmentSpec",
    "pipeline.augment.stats:DatasetStats",
    "pipeline.augment.draws:Draw",
    "pipeline.augment.preview:Preview",
    "pipeline.augment.preview:Rendered",
)


class IsolatedError(RuntimeError):
    """The child process failed; the message has the end of what it printed."""


def call(module: str, function: str, *args, **kwargs):
    """``module.function(*args, **kwargs)`` in a child process, one child at a time."""
    scratch = cache_root() / "isolated"  # the app writes only under its cache
    scratch.mkdir(parents=True, exist_ok=True)
    lock_path = scratch / ".lock"
    with tempfile.TemporaryDirectory(prefix="call-", dir=scratch) as folder:
        request, result = Path(folder) / "request", Path(folder) / "result"
        save(request, {"module": module, "function": function, "args": args, "kwargs": kwargs})
        with open(lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            done = subprocess.run(
                [sys.executable, "-m", "pipeline.isolated", str(request), str(result)],
                capture_output=True,
                text=True,
                cwd=ROOT,
                timeout=TIMEOUT_S,
            )
        if done.returncode != 0 or not (result / "value.json").is_file():
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise IsolatedError(
                f"{module}.{function} failed in its own process (exit {done.returncode}): "
                + " | ".join(tail)
            )
        return load(result)


# ---- the codec: JSON for the structure, one .npz for the arrays ----


def save(folder: Path, value) -> None:
    """``value`` as ``folder/value.json`` and ``folder/arrays.npz``."""
    folder.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {}
    tree = _encode(value, arrays)
    np.savez(folder / "arrays.npz", **arrays)
    (folder / "value.json").write_text(json.dumps(tree))


def load(folder: Path):
    """What ``save`` wrote, rebuilt; refuses any record type outside ``RECORDS``."""
    with np.load(folder / "arrays.npz", allow_pickle=False) as stored:
        arrays = {name: stored[name] for name in stored.files}
    return _decode(json.loads((folder / "value.json").read_text()), arrays)


def _encode(value, arrays: dict):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        name = f"a{len(arrays)}"
        arrays[name] = value
        return {"__array__": name}
    if isinstance(value, bytes):
        return {"__bytes__": base64.b64encode(value).decode("ascii")}
    if isinstance(value, (list, tuple)):
        return {"__list__": [_encode(v, arrays) for v in value], "tuple": isinstance(value, tuple)}
    if isinstance(value, dict):
        return {"__dict__": [[_encode(k, arrays), _encode(v, arrays)] for k, v in value.items()]}
    if dataclasses.is_dataclass(value):
        kind = f"{type(value).__module__}:{type(value).__qualname__}"
        if kind not in RECORDS:
            raise TypeError(f"{kind} cannot cross to another process (not in RECORDS)")
        fields = {
            f.name: _encode(getattr(value, f.name), arrays) for f in dataclasses.fields(value)
        }
        return {"__record__": kind, "fields": fields}
    raise TypeError(f"a {type(value).__name__} cannot cross to another process")


def _decode(tree, arrays: dict):
    if not isinstance(tree, dict):
        return tree
    if "__array__" in tree:
        return arrays[tree["__array__"]]
    if "__bytes__" in tree:
        return base64.b64decode(tree["__bytes__"])
    if "__list__" in tree:
        items = [_decode(v, arrays) for v in tree["__list__"]]
        return tuple(items) if tree["tuple"] else items
    if "__dict__" in tree:
        return {_decode(k, arrays): _decode(v, arrays) for k, v in tree["__dict__"]}
    kind = tree["__record__"]
    if kind not in RECORDS:
        raise TypeError(f"refusing {kind}: not a record that may cross (RECORDS)")
    module, name = kind.split(":")
    fields = {k: _decode(v, arrays) for k, v in tree["fields"].items()}
    return getattr(importlib.import_module(module), name)(**fields)


def main(argv: list[str]) -> int:
    request = load(Path(argv[0]))
    if not request["module"].startswith("pipeline."):
        raise ValueError(f"only pipeline functions run isolated, not {request['module']}")
    function = getattr(importlib.import_module(request["module"]), request["function"])
    save(Path(argv[1]), function(*request["args"], **request["kwargs"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
