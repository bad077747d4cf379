"""Small image folders built by the tests: real JPEG/PNG files, plus the broken ones users have."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

SPLIT_DIGIT = {"train": 1, "val": 2, "test": 3}  # keeps patient ids apart across split folders


def xray_like(seed: int, size: int = 48) -> Image.Image:
    rng = np.random.default_rng(seed)
    _y, x = np.mgrid[0:size, 0:size] / size
    body = 150 + 60 * np.exp(-((x - 0.5) ** 2) / 0.08) + rng.normal(0, 10, (size, size))
    return Image.fromarray(np.clip(body, 0, 255).astype(np.uint8), "L")


def write_image(path: Path, seed: int, fmt: str = "JPEG", mode: str = "RGB") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    xray_like(seed).convert(mode).save(path, fmt)
    return path


def jpeg_bytes(seed: int) -> bytes:
    buffer = io.BytesIO()
    xray_like(seed).convert("RGB").save(buffer, "JPEG")
    return buffer.getvalue()


def kaggle_tree(root: Path, splits=("train",), per_class=(6, 18), broken=True) -> Path:
    """``root/{split}/{NORMAL,PNEUMONIA}`` with Kermany-style names; optionally broken files."""
    seed = 0
    for split in splits:
        normal, pneumonia = per_class
        for i in range(normal):
            # two images per NORMAL patient, as IM-xxxx-0001 / IM-xxxx-0002
            write_image(
                root
                / split
                / "NORMAL"
                / f"IM-{SPLIT_DIGIT[split]}{i // 2:03d}-{i % 2 + 1:04d}.jpeg",
                seed,
            )
            seed += 1
        for i in range(pneumonia):
            kind = "bacteria" if i % 2 else "virus"
            write_image(
                root
                / split
                / "PNEUMONIA"
                / f"person{SPLIT_DIGIT[split]}{i // 3:03d}_{kind}_{i}.jpeg",
                seed,
            )
            seed += 1
    if broken:
        train = root / splits[0]
        (train / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
        (train / "PNEUMONIA" / "empty.jpeg").write_bytes(b"")
        (train / "PNEUMONIA" / "page.jpeg").write_text("<html>not found</html>")
        (train / "NORMAL" / "notes.txt").write_text("scanner notes")
        whole = jpeg_bytes(999)
        (train / "NORMAL" / "truncated.jpeg").write_bytes(whole[: len(whole) // 3])
        write_image(train / "stray.jpeg", 1234)  # outside the class folders
    return root
