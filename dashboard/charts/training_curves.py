"""Loss and accuracy per epoch, written once for the Training and Evaluation pages: training
dashed and validation solid (``SPLIT_DASH``), each run in its framework's colour."""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.charts.style import FRAMEWORK_COLOURS, SPLIT_DASH


@dataclass(frozen=True)
class Curves:
    """One run's epochs (``Progress.epochs`` rows) and how its lines are named: ``label`` with
    ``{split}`` in it, e.g. "PyTorch {split} (1c69d6)", or just "{split}" for a lone run."""

    framework: str
    epochs: list[dict]
    label: str = "{split}"


def training_curves(runs: list[Curves], height: int = 360) -> go.Figure:
    figure = make_subplots(rows=1, cols=2, subplot_titles=("Loss", "Accuracy"))
    for run in runs:
        x = [row["epoch"] for row in run.epochs]
        for column, metric in ((1, "loss"), (2, "accuracy")):
            for split, dash in SPLIT_DASH.items():
                figure.add_scatter(
                    x=x,
                    y=[row.get(f"{split}_{metric}") for row in run.epochs],
                    mode="lines+markers",
                    name=run.label.format(split=split),
                    legendgroup=run.label.format(split=split),
                    showlegend=column == 1,
                    line={"color": FRAMEWORK_COLOURS.get(run.framework), "dash": dash},
                    row=1,
                    col=column,
                )
    figure.update_xaxes(title_text="epoch", dtick=1)
    figure.update_layout(
        height=height, margin={"t": 40, "b": 20}, legend={"orientation": "h", "y": -0.25}
    )
    return figure
