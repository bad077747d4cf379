"""Screenshots the browser tests leave behind: every page's full view for CI, small ones for the README.

save_artifact(page, "training")      # artifacts/e2e/training.png, the whole page, full size
save_readme_shot(page, "training")   # artifacts/e2e/readme/training.png, the 1280 x 800 view at 900 px;
                                     # also docs/screenshots/ when PNEUMOLAB_UPDATE_SCREENSHOTS=1
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from PIL import Image

from benchmarks.browser import ROOT

ARTIFACTS = ROOT / "artifacts" / "e2e"
DOCS = ROOT / "docs" / "screenshots"
README_WIDTH = 900
README_MAX_BYTES = 150_000
MAX_FULL_HEIGHT = 8000  # px; a longer page is cut there

_CONTENT_HEIGHT = """() => Math.max(document.documentElement.scrollHeight, ...[...document.querySelectorAll(
    '[data-testid="stMain"], [data-testid="stAppViewContainer"], [data-testid="stMainBlockContainer"]')]
    .map(element => element.scrollHeight))"""


def save_artifact(page, name: str) -> Path:
    """The whole page (Streamlit scrolls inside a container, so the viewport is stretched to it)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    viewport = page.viewport_size
    height = min(int(page.evaluate(_CONTENT_HEIGHT)), MAX_FULL_HEIGHT)
    try:
        if height > viewport["height"]:
            page.set_viewport_size({"width": viewport["width"], "height": height})
            page.wait_for_timeout(500)  # charts redraw at the new size
        page.screenshot(path=str(path))
    finally:
        page.set_viewport_size(viewport)
    return path


def save_readme_shot(page, name: str) -> list[Path]:
    """The current view, 900 px wide, as a palette PNG under 150 KB: where the README shows it."""
    small = shrink(page.screenshot())
    targets = [ARTIFACTS / "readme" / f"{name}.png"]
    if os.environ.get("PNEUMOLAB_UPDATE_SCREENSHOTS") == "1":
        targets.append(DOCS / f"{name}.png")
    for target in targets:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(small)
    return targets


def shrink(png: bytes) -> bytes:
    """Downscale to README_WIDTH and quantise, with fewer colours until it fits README_MAX_BYTES."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    height = round(image.height * README_WIDTH / image.width)
    image = image.resize((README_WIDTH, height), Image.Resampling.LANCZOS)
    for colors in (256, 128, 64, 32):
        buffer = io.BytesIO()
        image.quantize(
            colors=colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        ).save(buffer, "PNG", optimize=True)
        if buffer.tell() < README_MAX_BYTES:
            break
    return buffer.getvalue()
