"""What one augmentation actually drew, in one convention for both frameworks.

The libraries disagree on signs and units (ImageDataGenerator's positive angle turns
counter-clockwise, torchvision's ``RandomAffine`` turns clockwise; Keras draws a zoom-out
factor per axis, torchvision one zoom-in scale; Keras shears the other way round), so each
builder converts its own drawn parameters into a ``Draw``:

- ``angle``: degrees, positive = counter-clockwise on screen
- ``shift_x`` / ``shift_y``: pixels, positive = content moves right / down
- ``shear``: degrees, positive = the top of the image moves right
- ``scale_x`` / ``scale_y``: > 1 = content drawn larger (zoomed in)
- ``flip_h`` / ``flip_v``: mirrored left-right / top-bottom
- ``brightness``: the factor applied, or None when brightness is off
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

COLUMNS = {
    "angle": "angle (deg, ccw)",
    "shift_x": "shift x (px, right)",
    "shift_y": "shift y (px, down)",
    "shear": "shear (deg)",
    "scale_x": "scale x (>1 in)",
    "scale_y": "scale y (>1 in)",
    "flip_h": "flip left-right",
    "flip_v": "flip top-bottom",
    "brightness": "brightness",
}


@dataclass(frozen=True)
class Draw:
    angle: float = 0.0
    shift_x: float = 0.0
    shift_y: float = 0.0
    shear: float = 0.0
    scale_x: float = 1.0
    scale_y: float = 1.0
    flip_h: bool = False
    flip_v: bool = False
    brightness: float | None = None

    def to_dict(self) -> dict:
        """Plain JSON-ready values, rounded for people (4 decimals)."""
        # "+ 0.0" turns the -0.0 a sign flip of 0 gives into 0.0
        return {
            k: (round(v, 4) + 0.0 if isinstance(v, float) else v)
            for k, v in dataclasses.asdict(self).items()
        }
