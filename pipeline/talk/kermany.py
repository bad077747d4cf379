"""The Kermany et al. chest X-ray data set as published: its stated size and its files.

The data set's description says 5,863 images; its three folders hold 5,856 files (train 5,216,
val 16, test 624). The two counts are both the publisher's: 5,863 is the count the description
gives (Kaggle, and the Mendeley Data record it copies), 5,856 the files a download contains and
the number PneumoniaMNIST's splits add up to (4,708 + 524 + 624). No source explains the 7
between them, so pages say which count they mean.
"""

from __future__ import annotations

KAGGLE = "https://www.kaggle.com/datasets/paultimothymooney/chest-xray-pneumonia"
MENDELEY = "https://doi.org/10.17632/rscbjbr9sj.2"
CELL = "https://doi.org/10.1016/j.cell.2018.02.010"

PUBLISHED_IMAGES = 5_863  # "There are 5,863 X-Ray images (JPEG) and 2 categories"
FILES = {"train": 5_216, "val": 16, "test": 624}  # what the folders of a download hold
TEST_CLASSES = {"NORMAL": 234, "PNEUMONIA": 390}  # the official test split
PNEUMONIAMNIST_SPLITS = {"train": 4_708, "val": 524, "test": 624}  # medmnist INFO n_samples


def files_total() -> int:
    return sum(FILES.values())


def counts_sentence() -> str:
    """Both counts, and which is which, in one sentence for a page."""
    split = ", ".join(f"{name} {count:,}" for name, count in FILES.items())
    return (
        f"{PUBLISHED_IMAGES:,} images by the data set's own description; its folders hold "
        f"{files_total():,} files ({split}), the count PneumoniaMNIST's splits add up to as well. "
        f"No source explains the {PUBLISHED_IMAGES - files_total()} between the two."
    )
