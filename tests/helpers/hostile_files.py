"""Hostile inputs as users have them: one builder per case, shared by the test_hostile_* files.

Image builders return the file's bytes (an upload and a file on disk are the same bytes);
folder builders write into a folder; config builders return the bytes of a JSON file. Every
picture is built from ``upright()``, which is taller than wide and bright at the top, so a
wrong rotation or a lost picture shows in the pixels.
"""

from __future__ import annotations

import io
import json
import os
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

HTML_NAME = "<img src=x onerror=alert(1)>.png"
BOMB_SIDE = 30_000


# ---- the picture every image case carries ----


def upright(seed: int = 0, width: int = 40, height: int = 64) -> Image.Image:
    """A grayscale X-ray stand-in: bright top, dark bottom, a bright stripe on the left."""
    rng = np.random.default_rng(seed)
    rows = np.linspace(230, 40, height)[:, None] * np.ones((1, width))
    rows[:, : width // 5] = 250
    noisy = rows + rng.normal(0, 6, (height, width))
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8), "L")


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def plain_png(seed: int = 0) -> bytes:
    return encode(upright(seed), "PNG")


def plain_jpeg(seed: int = 0) -> bytes:
    return encode(upright(seed).convert("RGB"), "JPEG", quality=95)


# ---- images that are valid but odd: converted to grayscale at the right size ----


def png_16bit(seed: int = 0) -> bytes:
    wide = np.asarray(upright(seed)).astype(np.uint16) * 257  # the same picture over 0-65535
    return encode(Image.fromarray(wide), "PNG")


def rgba_png(seed: int = 0) -> bytes:
    rgba = upright(seed).convert("RGBA")
    rgba.putalpha(200)
    return encode(rgba, "PNG")


def cmyk_jpeg(seed: int = 0) -> bytes:
    return encode(upright(seed).convert("CMYK"), "JPEG", quality=95)


def exif_rotated_jpeg(seed: int = 0) -> bytes:
    """Stored lying on its side, with EXIF orientation 6 ("rotate 90 degrees clockwise to view")."""
    exif = Image.Exif()
    exif[0x0112] = 6
    return encode(upright(seed).transpose(Image.Transpose.ROTATE_90), "JPEG", quality=95, exif=exif)


def animated_gif(seed: int = 0) -> bytes:
    """Two frames: the picture, then its negative (so using the wrong frame shows)."""
    first = upright(seed)
    second = Image.fromarray(255 - np.asarray(first))
    return encode(first, "GIF", save_all=True, append_images=[second], duration=100, loop=0)


def one_pixel() -> bytes:
    return encode(Image.new("L", (1, 1), 128), "PNG")


# ---- files that are not usable images: skipped or refused with a reason ----


def truncated_jpeg(seed: int = 0) -> bytes:
    whole = plain_jpeg(seed)
    return whole[: len(whole) // 3]


def truncated_png(seed: int = 0) -> bytes:
    whole = plain_png(seed)
    return whole[: len(whole) // 2]


def zero_bytes() -> bytes:
    return b""


def html_page() -> bytes:
    """What a failed download saves under the image's name."""
    return b"<!DOCTYPE html><html><body><h1>404 Not Found</h1></body></html>"


def apple_double() -> bytes:
    """The start of a macOS ``._name`` resource-fork file (magic 0x00051607)."""
    return struct.pack(">II", 0x00051607, 0x00020000) + bytes(16) + b"Mac OS X        " + bytes(64)


def ds_store() -> bytes:
    return b"\x00\x00\x00\x01Bud1" + bytes(64)


def thumbs_db() -> bytes:
    return bytes.fromhex("d0cf11e0a1b11ae1") + bytes(504)  # an OLE2 compound file header


def text_file() -> bytes:
    return b"scanner notes: patient moved during exposure\n"


def bomb_png(side: int = BOMB_SIDE) -> bytes:
    """A ~100-byte PNG whose header declares side x side pixels (a decompression bomb).

    The IHDR is written by hand so the file stays tiny: no encoder has to make the pixels.
    """

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)  # 8-bit grayscale
    pixels = zlib.compress(
        b"\x00" * (side + 1)
    )  # one scanline; a reader must refuse before needing more
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def big_pixel_count_png(pixels: int) -> bytes:
    """A real (compressible) PNG with about ``pixels`` pixels: over the pixel limit, under PIL's bomb limit."""
    side = int(pixels**0.5) + 1
    return encode(Image.new("1", (side, side)), "PNG")


# ---- folders ----


def write(path: Path | bytes, data: bytes) -> None:
    """Write ``data`` to ``path``; bytes paths carry names that are not valid UTF-8."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)


def non_utf8_name(
    folder: Path, stem: bytes = b"IM-0900-0001-\xff\xfe", suffix: bytes = b".jpeg"
) -> bytes:
    """A path in ``folder`` whose name is not valid UTF-8 (as copied from an old Windows share)."""
    return os.fsencode(folder) + b"/" + stem + suffix


def directory_named_like_image(folder: Path) -> Path:
    path = folder / "x.jpeg"
    path.mkdir(parents=True)
    return path


def empty_split(root: Path, split: str = "val") -> None:
    """``split/NORMAL`` and ``split/PNEUMONIA`` exist, both empty."""
    for name in ("NORMAL", "PNEUMONIA"):
        (root / split / name).mkdir(parents=True, exist_ok=True)


def good_images(folder: Path, prefix: str, count: int, seed: int = 0) -> None:
    for i in range(count):
        write(folder / f"{prefix}{i:03d}-0001.jpeg", plain_jpeg(seed + i))


# Expected outcome of hostile_tree: what each file becomes.
CONVERTED_IN_TREE = {
    "png16.png": png_16bit,
    "rgba.png": rgba_png,
    "cmyk.jpeg": cmyk_jpeg,
    "exif.jpeg": exif_rotated_jpeg,
    "animated.gif": animated_gif,
}
BROKEN_IN_TREE = {  # file name -> (builder, words the reason must hold)
    "truncated.jpeg": (truncated_jpeg, "unreadable image"),
    "truncated.png": (truncated_png, "unreadable image"),
    "empty.jpeg": (zero_bytes, "0 bytes"),
    "page.jpeg": (html_page, "not an image"),
    "._IM-0001-0001.jpeg": (apple_double, "AppleDouble"),
    ".DS_Store": (ds_store, "macOS folder metadata"),
    "Thumbs.db": (thumbs_db, "Windows thumbnail cache"),
    "notes.txt": (text_file, "not an image file"),
    "bomb.png": (bomb_png, "too many pixels"),
    "tiny.png": (one_pixel, "too small"),
    HTML_NAME: (html_page, "not an image"),
}


def hostile_tree(root: Path) -> dict:
    """A Kaggle-layout folder holding every hostile data case; returns the counts it must give.

    train/normal (lower case) and train/PNEUMONIA hold good images, the odd-but-valid ones
    (which must count) and the broken ones (which must be listed); val/ is an empty split;
    test/ holds a few good images so that only val has to be carved.
    """
    normal, pneumonia = root / "train" / "normal", root / "train" / "PNEUMONIA"
    good_images(normal, "IM-01", 6, seed=0)
    good_images(pneumonia, "person1_virus_", 8, seed=100)
    for name, make in CONVERTED_IN_TREE.items():
        write(pneumonia / name, make())
    for name, (make, _) in BROKEN_IN_TREE.items():
        write(normal / name, make())
    write(non_utf8_name(normal), plain_jpeg(7))  # a good image under a bytes name: counts
    write(
        non_utf8_name(normal, b"broken-\xff", b".png"), truncated_png()
    )  # a broken one: listed, JSON stays valid
    directory_named_like_image(pneumonia)
    empty_split(root, "val")
    good_images(root / "test" / "NORMAL", "IM-03", 3, seed=200)
    good_images(root / "test" / "pneumonia", "person3_virus_", 3, seed=300)
    return {
        "usable": {
            "train": {"NORMAL": 6 + 1, "PNEUMONIA": 8 + len(CONVERTED_IN_TREE)},
            "test": {"NORMAL": 3, "PNEUMONIA": 3},
        },
        "skipped": {
            **{name: words for name, (_, words) in BROKEN_IN_TREE.items()},
            "broken-\\xff.png": "unreadable image",
            "x.jpeg": "a folder named like an image",
        },
    }


# ---- config and spec files ----


def json_bytes(value) -> bytes:
    return json.dumps(value).encode()


def malformed_json() -> bytes:
    return b'{"epochs": 3,'


def empty_json() -> bytes:
    return b""


def huge_json(megabytes: int = 10) -> bytes:
    """A syntactically valid object of about ``megabytes`` MB (one long string value)."""
    return b'{"source": "' + b"a" * (megabytes * 2**20) + b'"}'


def non_utf8_json() -> bytes:
    return b'{"source": "caf\xe9"}'  # Latin-1, as an old editor saves it


def nan_json(field: str) -> bytes:
    return f'{{"{field}": NaN}}'.encode()


def infinity_json(field: str) -> bytes:
    return f'{{"{field}": Infinity}}'.encode()
