"""Reading one image file the way training sees it: grayscale uint8, square, one size.

Used for dataset folders and for uploads alike, so that an uploaded image is converted
exactly as the training images were. Every failure is an ``ImageError`` whose message is
short enough to show in a table of skipped files. ``read_upload`` adds what a person
uploading a file needs: a size limit and notes on every conversion made (first frame of an
animation, EXIF rotation, 16-bit, transparency, colour).
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

IMAGE_EXTENSIONS = {".jpeg", ".jpg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp"}
MAX_PIXELS = 50_000_000  # a decompression bomb declares far more than any X-ray has
MIN_SIDE = 16  # smaller holds no picture to classify; MedMNIST's 28 px is the smallest X-ray in use
MAX_UPLOAD_MB = 10  # as .streamlit/config.toml's server.maxUploadSize (MiB, as Streamlit counts)
SIXTEEN_BIT_MODES = ("I;16", "I;16B", "I;16L", "I")
EXIF_ORIENTATION = 0x0112


class ImageError(ValueError):
    """An image that cannot be used; the message says why."""


@dataclass(frozen=True)
class Upload:
    """An uploaded image as the model sees it, and what was done to get there."""

    pixels: np.ndarray  # (size, size) uint8
    original_size: tuple[int, int]  # width, height as shown (after EXIF rotation)
    notes: tuple[
        str, ...
    ]  # conversions made, for people: "animated GIF: the first of 2 frames is used"


def read_grayscale(source: str | Path | bytes, size: int) -> tuple[np.ndarray, tuple[int, int]]:
    """Decode ``source`` (a path or the file's bytes) to a (size, size) uint8 array.

    Returns the array and the original (width, height), upright. EXIF orientation is applied,
    the first frame of an animation is used, 16-bit images are scaled down, alpha and colour
    are dropped. Raises ImageError for anything that is not a whole, sane image.
    """
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    pixels, original, _ = _decode(data, size)
    return pixels, original


def read_upload(data: bytes, size: int) -> Upload:
    """An uploaded file's bytes as ``read_grayscale`` converts them, refusing files over the upload limit.

    The one function the pages and the explain CLI call on an uploaded image.
    """
    if len(data) > MAX_UPLOAD_MB * 2**20:
        raise ImageError(
            f"file too large ({len(data) / 2**20:.1f} MB; the limit is {MAX_UPLOAD_MB} MB)"
        )
    return Upload(*_decode(data, size))


def printable_name(name: str, limit: int = 80) -> str:
    """A file name safe to print anywhere: control characters and undecodable bytes escaped, shortened."""
    text = str(name).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    text = re.sub(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", lambda m: f"\\x{ord(m.group()):02x}", text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def code_span(text: str) -> str:
    """``text`` as a Markdown code span: shown literally, whatever HTML or Markdown it holds.

    The fence is one backtick longer than the longest run inside, as CommonMark prescribes.
    """
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def escape_markdown(text: str) -> str:
    """``text`` for Markdown (a caption): HTML, links, emphasis, LaTeX and Streamlit's ``:color[...]``
    directives render as the characters they are, escaped with backslashes as CommonMark allows."""
    return re.sub(r"([\\`*_{}\[\]()<>#+!|~:$&])", r"\\\1", text)


def _decode(data: bytes, size: int) -> tuple[np.ndarray, tuple[int, int], tuple[str, ...]]:
    if not data:
        raise ImageError("empty file (0 bytes)")
    notes = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            _check_size(width, height)
            frames = getattr(image, "n_frames", 1)
            if frames > 1:
                notes.append(f"animated {image.format}: the first of its {frames} frames is used")
            orientation = image.getexif().get(EXIF_ORIENTATION, 1)
            if orientation in (5, 6, 7, 8):  # stored lying on its side
                width, height = height, width
            if orientation != 1:
                notes.append(
                    "EXIF orientation applied: shown upright, as a camera or viewer shows it"
                )
            if image.format == "JPEG":
                image.draft("L", (size, size))  # let libjpeg decode at a reduced scale
            image.load()
            image = ImageOps.exif_transpose(image)
            gray, conversion = _to_gray(image)
    except ImageError:
        raise
    except UnidentifiedImageError:
        raise ImageError("not an image (unrecognised format)") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(
            f"too many pixels: a decompression bomb (the limit is {MAX_PIXELS:,})"
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise ImageError(f"unreadable image ({_short(error)})") from None
    if conversion:
        notes.append(conversion)
    if (width, height) != (size, size):
        notes.append(f"resized from {width} x {height} to {size} x {size}, as training images are")
    return resize_square(gray, size).astype(np.uint8, copy=False), (width, height), tuple(notes)


def resize_square(
    pixels: np.ndarray | Image.Image, size: int, resample=Image.Resampling.BILINEAR
) -> np.ndarray:
    """``pixels`` (a 2-D uint8 or float array, or a PIL image) at ``size`` x ``size``, bilinear:
    the one resize of the project, for training images, uploads, heatmaps and masks alike."""
    image = pixels if isinstance(pixels, Image.Image) else Image.fromarray(pixels)
    return np.asarray(image.resize((size, size), resample))


def _check_size(width: int, height: int) -> None:
    if width * height > MAX_PIXELS:
        raise ImageError(f"too many pixels ({width} x {height}); the limit is {MAX_PIXELS:,}")
    if min(width, height) < MIN_SIDE:
        raise ImageError(
            f"too small ({width} x {height} pixels); an X-ray needs at least {MIN_SIDE} a side"
        )


def _to_gray(image: Image.Image) -> tuple[Image.Image, str | None]:
    """The image in mode L, and what the conversion dropped (None when nothing was)."""
    if image.mode in SIXTEEN_BIT_MODES:
        wide = np.asarray(image, dtype=np.float64)
        top = 65535.0 if wide.max() > 255 else 255.0
        gray = Image.fromarray(np.clip(wide / top * 255.0 + 0.5, 0, 255).astype(np.uint8), "L")
        return gray, f"{image.mode} grey levels scaled to 8 bits"
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        return image.convert("RGBA").convert("L"), "transparency dropped, colour made grayscale"
    if image.mode in ("L", "1", "P"):
        return image.convert("L"), None
    return image.convert("L"), f"{image.mode} colour made grayscale"


def _short(error: Exception) -> str:
    text = str(error).strip() or type(error).__name__
    return text if len(text) <= 120 else text[:117] + "..."
