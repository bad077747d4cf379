"""PneumoniaMNIST (MedMNIST v3): the Kermany chest X-rays, pre-split and pre-resized in one ``.npz``.

Two ways to open it:

* ``medmnist:128`` (28, 64, 128 or 224) downloads the official file once into
  ``cache_root()/medmnist``, checked against the MD5 that the installed ``medmnist`` package
  publishes, and reuses it afterwards;
* ``medmnist:/path/to/pneumoniamnist_128.npz`` opens a file downloaded by hand (any size).

The file holds ``{train,val,test}_images`` (N, S, S) uint8 and ``{train,val,test}_labels`` (N, 1)
with 0 = normal and 1 = pneumonia, the same labels as ours. It carries no patient ids, so each
image counts as its own patient and patient-level leakage between MedMNIST's splits cannot be
checked.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from functools import cache
from http.client import HTTPException
from pathlib import Path

import numpy as np

from pipeline.data.core import SPLITS, Decoded, Record, Scan, Skipped, Source, SourceError
from pipeline.data.images import resize_square
from pipeline.settings import cache_root

FLAG = "pneumoniamnist"  # the dataset's key in medmnist's INFO table
SIZES = (28, 64, 128, 224)
PUBLISHED_COUNTS = {"train": 4708, "val": 524, "test": 624}  # == INFO[FLAG]["n_samples"] (tested)
URL_ENV = "PNEUMOLAB_MEDMNIST_URL"  # a full URL to download from instead (a mirror, a test server)
TIMEOUT_S = 60  # per blocking read, not for the whole download
CHUNK_BYTES = 1 << 20

Progress = Callable[[int, int | None], None]  # (bytes so far, total bytes or None if unknown)


def file_name(size: int) -> str:
    """The name MedMNIST gives the file: the 28 px one has no size suffix."""
    return f"{FLAG}.npz" if size == 28 else f"{FLAG}_{size}.npz"


@cache
def official_files() -> dict[int, tuple[str, str]]:
    """``{size: (url, md5)}`` for PneumoniaMNIST, as the installed ``medmnist`` package lists them."""
    info = _medmnist_info().INFO[FLAG]
    suffix = {28: ""} | {size: f"_{size}" for size in SIZES if size != 28}
    return {size: (info[f"url{suffix[size]}"], info[f"MD5{suffix[size]}"]) for size in SIZES}


def _medmnist_info():
    """Load ``medmnist/info.py`` alone.

    ``import medmnist`` runs the package's ``__init__``, which imports torch: seconds of start-up
    for a table of URLs, and a segfault in a process that already imported TensorFlow (torch must
    come first). ``info.py`` itself needs only the standard library, so it is loaded from its file
    (its one side effect: it creates ``~/.medmnist`` if missing).
    """
    spec = importlib.util.find_spec("medmnist")
    if spec is None or not spec.submodule_search_locations:
        raise SourceError(
            "the medmnist package is not installed, so the download address is unknown: "
            "run `pip install medmnist==3.0.2`, or download the .npz by hand and open it as "
            "medmnist:/path/to/file.npz"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "info.py"
    info_spec = importlib.util.spec_from_file_location("_pneumolab_medmnist_info", path)
    module = importlib.util.module_from_spec(info_spec)
    info_spec.loader.exec_module(module)
    return module


def download_npz(
    size: int,
    dest_dir: Path,
    url: str | None = None,
    md5: str | None = None,
    progress: Progress | None = None,
) -> Path:
    """The verified PneumoniaMNIST file of ``size`` in ``dest_dir``, downloaded if needed.

    ``url`` defaults to ``$PNEUMOLAB_MEDMNIST_URL``, then to medmnist's own; ``md5`` defaults to
    medmnist's. A file already there is reused only if its MD5 matches. The download goes to a
    temporary file beside the destination and is renamed into place only once whole and verified,
    so a broken download never leaves anything that a later run could mistake for the dataset.
    """
    if size not in SIZES:
        raise SourceError(f"PneumoniaMNIST comes in sizes {_sizes_text()}, not {size}")
    if url is None or md5 is None:
        official_url, official_md5 = official_files()[size]
        url = url or os.environ.get(URL_ENV) or official_url
        md5 = md5 or official_md5
    dest_dir = Path(dest_dir)
    dest = dest_dir / file_name(size)
    if dest.is_file() and file_md5(dest) == md5:
        return dest
    try:
        dest.unlink(missing_ok=True)  # stale or damaged: fetch it again rather than trust it
        dest_dir.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(dir=dest_dir, prefix=f".{dest.name}.", suffix=".part")
    except OSError as error:
        raise SourceError(
            f"cannot write the download to {dest_dir} ({_reason(error)}): set PNEUMOLAB_CACHE to a "
            "writable folder"
        ) from None
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as out:
            got = _fetch(url, out, progress)
        if got != md5:
            raise SourceError(
                f"the file downloaded from {url} is corrupt (MD5 {got}, expected {md5}); it was "
                f"deleted. Try again, or download {file_name(size)} by hand and open it as "
                f"medmnist:/path/to/{file_name(size)}"
            )
        os.replace(temp, dest)
    except (OSError, HTTPException) as error:  # URLError and timeouts are OSErrors
        raise SourceError(
            f"could not download PneumoniaMNIST {size} px from {url} ({_reason(error)}). Download "
            f"{file_name(size)} by hand (e.g. in a browser) and open it as "
            f"medmnist:/path/to/{file_name(size)}"
        ) from None
    finally:
        temp.unlink(missing_ok=True)
    return dest


def _fetch(url: str, out, progress: Progress | None) -> str:
    """Stream ``url`` into ``out``; the MD5 of what arrived. Raises OSError if cut short."""
    digest = hashlib.md5()
    with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        done = 0
        while chunk := response.read(CHUNK_BYTES):
            out.write(chunk)
            digest.update(chunk)
            done += len(chunk)
            if progress is not None:
                progress(done, total)
    # http.client returns short reads quietly when a server closes early; say so plainly.
    if total is not None and done != total:
        raise OSError(f"connection closed after {done:,} of {total:,} bytes")
    return digest.hexdigest()


_md5_memo: dict[tuple[str, int, int], str] = {}


def file_md5(path: Path) -> str:
    """MD5 of a file, remembered per (path, size, mtime) so a big file is hashed once per process."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _md5_memo:
        digest = hashlib.md5()
        with open(path, "rb") as handle:
            while chunk := handle.read(CHUNK_BYTES):
                digest.update(chunk)
        _md5_memo[key] = digest.hexdigest()
    return _md5_memo[key]


class MedMnistSource(Source):
    """PneumoniaMNIST from MedMNIST: ``medmnist:<size>`` (downloaded) or ``medmnist:<file.npz>``."""

    kind = "medmnist"

    def __init__(self, spec: str, progress: Progress | None = None):
        super().__init__(spec)
        self.progress = progress
        prefix, _, target = spec.partition(":")
        if prefix != "medmnist" or not target.strip():
            raise SourceError(
                f"{spec!r} is not a MedMNIST source: write medmnist:<size> ({_sizes_text()}) or "
                "medmnist:/path/to/pneumoniamnist.npz"
            )
        target = target.strip()
        self.size: int | None = None
        self.path: Path | None = None
        if target.isdigit():
            self.size = int(target)
            if self.size not in SIZES:
                raise SourceError(
                    f"PneumoniaMNIST comes in sizes {_sizes_text()}, not {self.size}: "
                    f"write e.g. medmnist:128"
                )
        else:
            self.path = Path(target).expanduser()

    def describe(self) -> str:
        if self.size is not None:
            return f"PneumoniaMNIST {self.size} px (MedMNIST v3, downloaded once to the cache)"
        return f"PneumoniaMNIST from {self.path}"

    def npz_path(self) -> Path:
        """The file to read: the local one, or the verified download (fetched on first use)."""
        if self.path is not None:
            if not self.path.is_file():
                raise SourceError(
                    f"no such file: {self.path} (give the path of a PneumoniaMNIST .npz)"
                )
            return self.path
        return download_npz(self.size, cache_root() / "medmnist", progress=self.progress)

    def scan(self) -> Scan:
        path = self.npz_path()
        with _open_npz(path) as npz:
            labels, image_size = _check_layout(npz, path)
        name = path.name
        records = []
        for split in SPLITS:
            for index, label in enumerate(labels[split]):
                origin = f"{name}#{split}/{index}"
                records.append(Record(origin=origin, label=int(label), patient=origin, split=split))
        notes = [
            f"{image_size} x {image_size} px images; splits are MedMNIST's own.",
            "The file has no patient ids: each image counts as its own patient, so leakage "
            "between splits cannot be checked.",
        ]
        counts = {split: len(labels[split]) for split in SPLITS}
        if counts != PUBLISHED_COUNTS:
            notes.append(
                f"Split sizes {counts} differ from the published PneumoniaMNIST {PUBLISHED_COUNTS}."
            )
        return Scan(
            source=self.spec,
            kind=self.kind,
            records=records,
            skipped=[],
            fingerprint=self._fingerprint(path),
            patients_known=False,
            notes=notes,
        )

    def _fingerprint(self, path: Path) -> str:
        if self.size is not None:
            return file_md5(path)  # the download was verified against exactly this digest
        stat = path.stat()
        identity = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
        return hashlib.sha256(identity.encode()).hexdigest()[:32]

    def decode(self, records: list[Record], size: int) -> Decoded:
        path = self.npz_path()
        images, kept, failed = [], [], []
        with _open_npz(path) as npz:
            _, image_size = _check_layout(npz, path)
            by_split = dict.fromkeys({record.split for record in records})
            for position, record in enumerate(records):
                index = _index_in_file(record, path.name)
                if index is None:
                    failed.append(Skipped(record.origin, f"not an image of {path.name}"))
                    continue
                if (
                    by_split[record.split] is None
                ):  # load each split's array once, only if asked for
                    by_split[record.split] = npz[f"{record.split}_images"]
                pixels = by_split[record.split]
                if index >= len(pixels):
                    failed.append(
                        Skipped(record.origin, f"{path.name} has no image {record.split}/{index}")
                    )
                    continue
                images.append(_resize(pixels[index], size))
                kept.append(position)
        return Decoded(
            images=np.stack(images) if images else np.zeros((0, size, size), np.uint8),
            kept=kept,
            failed=failed,
            original_sizes=np.full((len(kept), 2), image_size, dtype=np.int64),
            masks=None,
        )


def _open_npz(path: Path):
    try:
        npz = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise SourceError(f"{path} is not a readable .npz file ({_reason(error)})") from None
    if not isinstance(npz, np.lib.npyio.NpzFile):
        raise SourceError(
            f"{path} holds a single array, not a PneumoniaMNIST .npz with train/val/test arrays"
        )
    return npz


def _check_layout(npz, path: Path) -> tuple[dict[str, np.ndarray], int]:
    """Labels per split and the image side, or a SourceError naming what is wrong.

    Only the labels are read; images are checked from their .npy headers so that a scan never
    decompresses hundreds of MB of pixels.
    """
    expected = [f"{split}_{part}" for split in SPLITS for part in ("images", "labels")]
    missing = [key for key in expected if key not in npz.files]
    if missing:
        raise SourceError(
            f"{path} is not a PneumoniaMNIST file: missing {', '.join(missing)} "
            f"(it has {', '.join(npz.files) or 'no arrays'})"
        )
    labels, sides = {}, set()
    for split in SPLITS:
        shape, dtype = _header(npz, f"{split}_images", path)
        if len(shape) != 3 or shape[1] != shape[2] or shape[1] < 1 or dtype != np.uint8:
            raise SourceError(
                f"{path}: {split}_images must be (N, S, S) uint8 grayscale, found {shape} {dtype}"
            )
        sides.add(shape[1])
        try:
            stored = npz[f"{split}_labels"]
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
            raise SourceError(f"{path}: cannot read {split}_labels ({_reason(error)})") from None
        split_labels = stored[:, 0] if stored.ndim == 2 and stored.shape[1] == 1 else stored
        if split_labels.ndim != 1 or split_labels.dtype.kind not in "iu":
            raise SourceError(
                f"{path}: {split}_labels must be (N, 1) integers, found {stored.shape} {stored.dtype}"
            )
        if len(split_labels) != shape[0]:
            raise SourceError(
                f"{path}: {shape[0]} {split} images but {len(split_labels)} {split} labels"
            )
        unexpected = sorted(set(np.unique(split_labels).tolist()) - {0, 1})
        if unexpected:
            raise SourceError(
                f"{path}: {split}_labels must be 0 (normal) or 1 (pneumonia), found {unexpected[:5]} "
                "(is this a different MedMNIST dataset?)"
            )
        labels[split] = split_labels.astype(np.int64)
    if len(sides) != 1:
        raise SourceError(f"{path}: the splits have different image sizes {sorted(sides)}")
    return labels, sides.pop()


def _header(npz, key: str, path: Path) -> tuple[tuple[int, ...], np.dtype]:
    """Shape and dtype of one array in the .npz, read from its header without loading it."""
    try:
        with npz.zip.open(f"{key}.npy") as member:
            version = np.lib.format.read_magic(member)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(member)
            else:
                shape, _, dtype = np.lib.format.read_array_header_2_0(member)
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as error:
        raise SourceError(f"{path}: cannot read {key} ({_reason(error)})") from None
    return shape, dtype


def _index_in_file(record: Record, name: str) -> int | None:
    """The image index that ``record`` points at in the file ``name``, or None if it isn't ours."""
    file_part, _, place = record.origin.partition("#")
    split, _, index = place.partition("/")
    if file_part != name or split != record.split or split not in SPLITS or not index.isdigit():
        return None
    return int(index)


def _resize(pixels: np.ndarray, size: int) -> np.ndarray:
    if pixels.shape == (size, size):
        return pixels.copy()
    return resize_square(pixels, size).astype(np.uint8, copy=False)


def _sizes_text() -> str:
    return ", ".join(str(size) for size in SIZES)


def _reason(error: BaseException) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        return str(error.reason)
    return str(error) or type(error).__name__
