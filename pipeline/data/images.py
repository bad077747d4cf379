"""Reading one image file the way training sees it: grayscale uint8, square, one size.

Used for dataset folders and for uploads alike, so that an uploaded image is converted
exactly as the training images were. Every failure is an ``ImageError`` whose message is
short enough to show in a table of skipped files.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

IMAGE_EXTENSIONS = {".jpeg", ".jpg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp"}
MAX_PIXELS = 50_000_000  # a decompression bomb declares far more than any X-ray has


class ImageError(ValueError):
    """An image that cannot be used; the message says why."""


def read_grayscale(source: str | Path | bytes, size: int) -> tuple[np.ndarray, tuple[int, int]]:
    """Decode ``source`` (a path or the file's bytes) to a (size, size) uint8 array.

    Returns the array and the original (width, height). EXIF orientation is applied, the
    first frame of an animation is used, 16-bit images are scaled down, alpha and colour
    are dropped. Raises ImageError for anything that is not a whole, sane image.
    """
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    if not data:
        raise ImageError("empty file (0 bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ImageError(f"too many pixels ({width} x {height}); limit is {MAX_PIXELS:,}")
            if width < 1 or height < 1:
                raise ImageError(f"no pixels ({width} x {height})")
            if image.format == "JPEG":
                image.draft("L", (size, size))  # let libjpeg decode at a reduced scale
            image.load()
            image = ImageOps.exif_transpose(image)
            gray = _to_gray(image)
    except ImageError:
        raise
    except UnidentifiedImageError:
        raise ImageError("not an image (unrecognised format)") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError("decompression bomb (declares too many pixels)") from None
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageError(f"unreadable image ({_short(error)})") from None
    resized = gray.resize((size, size), Image.Resampling.BILINEAR)
    return np.asarray(resized, dtype=np.uint8), (width, height)


def _to_gray(image: Image.Image) -> Image.Image:
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        wide = np.asarray(image, dtype=np.float64)
        top = 65535.0 if wide.max() > 255 else 255.0
        return Image.fromarray(np.clip(wide / top * 255.0 + 0.5, 0, 255).astype(np.uint8), "L")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        return image.convert("RGBA").convert("L")
    return image.convert("L")


def _short(error: Exception) -> str:
    text = str(error).strip() or type(error).__name__
    return text if len(text) <= 120 else text[:117] + "..."
