"""What a split's figures rest on, in one sentence: the pages print it next to every test figure.

    basis = split_basis(open_source(source).scan(), "test")
    basis.kind        # "carved", "own" or "generated"
    basis.sentence    # what Evaluation, the Conclusion and the talk pages say

One function decides the wording, so no page can flatter on its own. A test split carved out of
the same pool as training (the source has no ``test/`` folder) shares the hospital, the machines
and the intake period with the training images; X-rays from elsewhere usually score lower (for
the real data here: carved-split AUC 0.995-0.997, 0.946-0.966 on a later intake;
docs/generalisation.md).
"""

from __future__ import annotations

from dataclasses import dataclass

CARVED, OWN, GENERATED = "carved", "own", "generated"
ELSEWHERE = "X-rays from another hospital or a later intake usually score lower than this."


@dataclass(frozen=True)
class SplitBasis:
    kind: str  # CARVED, OWN or GENERATED
    split: str
    sentence: str

    @property
    def flatters(self) -> bool:
        """True when the figures should carry a warning rather than a note."""
        return self.kind != OWN


def split_basis(scan, split: str = "test") -> SplitBasis:
    """How ``split`` of the scanned source was made, and the sentence the pages show for it."""
    if scan.kind == "synthetic":
        return SplitBasis(
            GENERATED,
            split,
            f"Synthetic demo data: the {split} split comes from the same generator as the "
            "training images, so these figures say nothing about real X-rays.",
        )
    if split in scan.carved:
        return SplitBasis(
            CARVED,
            split,
            f"The {split} split was carved out of the same pool of images as training (grouped "
            f"by patient: this source has no {split}/ folder), so it flatters. {ELSEWHERE}",
        )
    own = "MedMNIST's own" if scan.kind == "medmnist" else f"the source's own {split}/ images"
    return SplitBasis(
        OWN,
        split,
        f"The {split} split is {own}, used as it is: none of it was drawn from the training pool.",
    )


def source_basis(source: str, split: str = "test") -> SplitBasis:
    """``split_basis`` for a source string (scanning it: cheap, no pixel is decoded)."""
    from pipeline.data import open_source

    return split_basis(open_source(source).scan(), split)
