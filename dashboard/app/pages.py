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

# The talk's order (issue 20): title and agenda; 1 Introduction (history, the perceptron and the
# MLP that answers it, the vanishing gradient); 2 Insights (what a framework needs, DLBench's
# breakthrough figure and comparison, the software table, who uses which, the MNIST code and
# log); 3 Demonstration (the problem, the Keras pipeline, the MODEL slide, the PyTorch pipeline,
# in a nutshell, the talk's report, evaluation); 4 Conclusion; questions. The app's own tools sit
# where they serve the talk: the explorer after the problem (the "Explore" step), augmentation
# and training after the two pipelines, predictions after the evaluation.
TALK = (
    PageInfo(
        "views/talk_title.py",
        "Keras vs PyTorch",
        ":material/slideshow:",
        "The title: two frameworks, one task, the claim to test",
    ),
    PageInfo(
        "views/talk_agenda.py",
        "Agenda",
        ":material/list:",
        "Introduction, Insights, Demonstration, Conclusion: the talk's four parts and their slides",
    ),
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
        "views/talk_mlp.py",
        "1 · An MLP solves XOR",
        ":material/hub:",
        "One hidden layer learns XOR beside the perceptron that cannot, its boundary drawn as it learns",
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
        "views/talk_breakthrough.py",
        "2 · The breakthrough of frameworks",
        ":material/rocket_launch:",
        "DLBench's figure: the frameworks it names, each at its first release",
    ),
    PageInfo(
        "views/talk_frameworks.py",
        "2 · Deep learning frameworks compared",
        ":material/speed:",
        "DLBench's CNN on MNIST in six frameworks: accuracy and time, from its published logs",
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
        "views/talk_mnist.py",
        "2 · The MNIST code and its log",
        ":material/bug_report:",
        "The talk's Keras example: what its log gives away, run live with and without the fault",
    ),
    PageInfo(
        "views/talk_problem.py",
        "3 · Demonstration: the problem",
        ":material/pulmonology:",
        "The task, and the active data set's structure, quantity, origin and quality",
    ),
    PageInfo(
        "views/explorer.py",
        "Dataset explorer",
        ":material/photo_library:",
        "Counts, samples, histograms, patients",
    ),
    PageInfo(
        "views/talk_keras_pipeline.py",
        "3 · The Keras pipeline",
        ":material/account_tree:",
        "Description, Explore, Preprocess, Implement, and the normalisation, on the active data",
    ),
    PageInfo(
        "views/talk_model.py",
        "3 · The model",
        ":material/layers:",
        "The MODEL slide against the two built models: layers, shapes, weights",
    ),
    PageInfo(
        "views/talk_torch_pipeline.py",
        "3 · The PyTorch pipeline",
        ":material/folder_open:",
        "Nested folders, a flat folder, a filename,label CSV and a custom Dataset, on the active data",
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
        "views/talk_nutshell.py",
        "3 · In a nutshell",
        ":material/summarize:",
        "Transform + Sampler, from what the Conclusion's pair of runs measured",
    ),
    PageInfo(
        "views/talk_report.py",
        "3 · The talk's report",
        ":material/fact_check:",
        "The talk's classification report beside the one measured here, and its class-index flip",
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
        "views/talk_questions.py",
        "Questions",
        ":material/question_answer:",
        "The closing slide: questions, and the claim the talk tested",
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
