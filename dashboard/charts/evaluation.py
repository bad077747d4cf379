"""The Evaluation page's figures, each written once: the confusion matrix, ROC and
precision-recall with the thresholds' operating points, and the calibration curve.

    confusion_figure(evaluation.metrics.confusion)
    curve_figure(evaluation, scored, threshold)    # ROC | PR, the validation and slider points
    calibration_figure(evaluation)
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.charts.style import FRAMEWORK_COLOURS
from pipeline.data import CLASS_NAMES
from pipeline.evaluate.metrics import OperatingPoint, operating_point, threshold_metrics
from pipeline.records import Evaluation


def _figure(value) -> str:
    return "-" if value is None else f"{value:.4f}"


MARKER_COLOURS = {"validation": "#2a9d8f", "chosen": "#e9c46a"}  # the two thresholds' points


def confusion_figure(matrix: list[list[int]]) -> go.Figure:
    counts = np.array(matrix)
    share = counts / max(counts.sum(), 1) * 100
    text = [[f"{counts[i, j]:,}<br>{share[i, j]:.1f}%" for j in (0, 1)] for i in (0, 1)]
    figure = go.Figure(
        go.Heatmap(
            z=counts,
            x=[f"predicted {n}" for n in CLASS_NAMES],
            y=[f"true {n}" for n in CLASS_NAMES],
            text=text,
            texttemplate="%{text}",
            textfont=dict(size=16),
            colorscale="Blues",
            showscale=False,
        )
    )
    figure.update_yaxes(autorange="reversed")
    figure.update_layout(height=300, margin=dict(t=10, b=10, l=10, r=10))
    return figure


def curve_figure(evaluation: Evaluation, scored, threshold: float) -> go.Figure:
    """ROC and precision-recall side by side, with the validation and the slider's points."""
    figure = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=(
            f"ROC, AUC {_figure(evaluation.metrics.auc)}",
            f"Precision-recall, AP {_figure(evaluation.metrics.average_precision)}",
        ),
    )
    add_curves(figure, evaluation, FRAMEWORK_COLOURS[scored.framework])
    for label, value, colour in (
        ("validation threshold", scored.threshold, MARKER_COLOURS["validation"]),
        ("slider", threshold, MARKER_COLOURS["chosen"]),
    ):
        point = operating_point(threshold_metrics(scored.labels, scored.probabilities, value))
        add_point(figure, point, f"{label} {value:.3f}", colour)
    figure.update_xaxes(
        title_text="false positive rate (1 - specificity)", range=[0, 1], row=1, col=1
    )
    figure.update_yaxes(
        title_text="true positive rate (sensitivity)", range=[0, 1.02], row=1, col=1
    )
    figure.update_xaxes(title_text="recall (sensitivity)", range=[0, 1], row=1, col=2)
    figure.update_yaxes(title_text="precision", range=[0, 1.02], row=1, col=2)
    figure.update_layout(
        height=380, margin=dict(t=40, b=10, l=10, r=10), legend=dict(orientation="h", y=-0.25)
    )
    return figure


def add_curves(figure: go.Figure, evaluation: Evaluation, colour: str) -> None:
    """The ROC curve beside chance (the diagonal), and the PR curve beside the prevalence."""
    roc, pr = evaluation.metrics.roc, evaluation.metrics.pr
    figure.add_scatter(
        x=roc["fpr"],
        y=roc["tpr"],
        name="ROC",
        line=dict(color=colour),
        customdata=roc["thresholds"],
        hovertemplate="FPR %{x:.3f}<br>TPR %{y:.3f}<br>threshold %{customdata:.3f}",
        row=1,
        col=1,
    )
    figure.add_scatter(
        x=[0, 1],
        y=[0, 1],
        mode="lines",
        line=dict(color="#bbb", dash="dot"),
        showlegend=False,
        hoverinfo="skip",
        row=1,
        col=1,
    )
    figure.add_scatter(
        x=pr["recall"],
        y=pr["precision"],
        name="PR",
        line=dict(color=colour),
        showlegend=False,
        row=1,
        col=2,
    )
    figure.add_hline(
        y=evaluation.metrics.prevalence, line=dict(color="#bbb", dash="dot"), row=1, col=2
    )


def add_point(figure: go.Figure, point: OperatingPoint, name: str, colour: str) -> None:
    """One threshold's operating point on both curves (named once, in the legend)."""
    marker = dict(size=12, color=colour, line=dict(color="black", width=1))
    figure.add_scatter(
        x=[point.fpr], y=[point.tpr], mode="markers", name=name, marker=marker, row=1, col=1
    )
    figure.add_scatter(
        x=[point.tpr],
        y=[point.precision],
        mode="markers",
        showlegend=False,
        marker=marker,
        row=1,
        col=2,
    )


def calibration_figure(evaluation: Evaluation) -> go.Figure:
    calibration = evaluation.metrics.calibration
    figure = make_subplots(specs=[[{"secondary_y": True}]])
    figure.add_bar(
        x=calibration.mean_predicted,
        y=calibration.bin_counts,
        name="images per bin",
        marker_color="#ddd",
        width=0.08,
        secondary_y=True,
    )
    figure.add_scatter(
        x=[0, 1], y=[0, 1], mode="lines", line=dict(color="#bbb", dash="dot"), name="perfect"
    )
    figure.add_scatter(
        x=calibration.mean_predicted,
        y=calibration.fraction_positive,
        mode="lines+markers",
        name="this run",
        line=dict(color=FRAMEWORK_COLOURS.get(evaluation.framework, "#333")),
    )
    figure.update_xaxes(title_text="mean predicted probability of PNEUMONIA", range=[0, 1])
    figure.update_yaxes(
        title_text="observed share of PNEUMONIA", range=[0, 1.02], secondary_y=False
    )
    figure.update_yaxes(title_text="images", secondary_y=True, showgrid=False)
    figure.update_layout(
        height=340, margin=dict(t=10, b=10, l=10, r=10), legend=dict(orientation="h", y=1.12)
    )
    return figure
