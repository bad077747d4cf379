"""The app's pages in the talk's order: one list for the navigation, Home's links and presenter mode.

Paths are relative to ``dashboard/`` (where ``Home.py`` lives), as ``st.Page`` expects them.
"""

from __future__ import annotations

from typing import NamedTuple


class PageInfo(NamedTuple):
    path: str
    title: str
    icon: str
    blurb: str


HOME = PageInfo(
    "views/home.py", "Home", ":material/home:", "What PneumoLab is, and the way to each page"
)

TALK = (
    PageInfo(
        "views/talk_introduction.py",
        "1 · Introduction",
        ":material/history_edu:",
        "Deep learning's history: a timeline and the ImageNet error by year",
    ),
    PageInfo(
        "views/talk_perceptron.py",
        "1 · The perceptron",
        ":material/scatter_plot:",
        "Rosenblatt's learning rule on 2-D points, and why XOR brought the first AI winter",
    ),
    PageInfo(
        "views/talk_gradients.py",
        "1 · The vanishing gradient",
        ":material/trending_down:",
        "Sigmoid against ReLU: the gradient that reaches each layer of a deep network",
    ),
    PageInfo(
        "views/talk_insights.py",
        "2 · Insights",
        ":material/lightbulb:",
        "What a framework must have, and the Keras workflow with a live mini demo",
    ),
    PageInfo(
        "views/talk_landscape.py",
        "2 · The software landscape",
        ":material/table_chart:",
        "The comparison table of deep-learning software, each cell with its source",
    ),
    PageInfo(
        "views/talk_popularity.py",
        "2 · Who uses which",
        ":material/bar_chart:",
        "Framework mentions on arXiv (2017) and at research conferences (2019), as published",
    ),
    PageInfo(
        "views/talk_problem.py",
        "3 · Demonstration: the problem",
        ":material/pulmonology:",
        "The task, and the active data set's structure, quantity, origin and quality",
    ),
    PageInfo(
        "views/talk_keras_pipeline.py",
        "3 · The Keras pipeline",
        ":material/account_tree:",
        "Description, Explore, Preprocess, Implement, and the normalisation, on the active data",
    ),
    PageInfo(
        "views/talk_torch_pipeline.py",
        "3 · The PyTorch pipeline",
        ":material/folder_open:",
        "Nested folders, a flat folder, a filename,label CSV and a custom Dataset, on the active data",
    ),
    PageInfo(
        "views/explorer.py",
        "Dataset explorer",
        ":material/photo_library:",
        "Counts, samples, histograms, patients",
    ),
    PageInfo(
        "views/augmentation.py",
        "Augmentation",
        ":material/tune:",
        "ImageDataGenerator and torchvision side by side from one spec",
    ),
    PageInfo(
        "views/training.py",
        "Training",
        ":material/model_training:",
        "The talk's CNN in both frameworks, cached runs",
    ),
    PageInfo(
        "views/evaluation.py",
        "Evaluation",
        ":material/analytics:",
        "The classification report, ROC, calibration, Keras vs PyTorch",
    ),
    PageInfo(
        "views/predictions.py",
        "Predictions",
        ":material/visibility:",
        "Per-image probabilities and Grad-CAM from both frameworks",
    ),
    PageInfo(
        "views/talk_conclusion.py",
        "4 · Conclusion",
        ":material/flag:",
        "Keras vs PyTorch from your own runs; what data processing changes",
    ),
    PageInfo(
        "views/talk_nutshell.py",
        "4 · In a nutshell",
        ":material/summarize:",
        "Transform + class balancing, from what the Conclusion's pair of runs measured",
    ),
)


def neighbours(path: str) -> tuple[PageInfo | None, PageInfo | None]:
    """The talk pages before and after ``path`` (None at either end, or off the talk)."""
    paths = [page.path for page in TALK]
    if path not in paths:
        return None, None
    index = paths.index(path)
    before = TALK[index - 1] if index > 0 else None
    after = TALK[index + 1] if index + 1 < len(TALK) else None
    return before, after
