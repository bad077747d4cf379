"""1 · An MLP solves XOR: beside the perceptron that never settles on XOR's points, a network with
one hidden layer learns them, its boundary drawn as it learns (press Play).

Both are computed by ``pipeline.talk`` (``perceptron.learn`` and ``mlp.learn``, NumPy,
milliseconds) on the same points; no framework is imported.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from dashboard.charts.animation import class_points, play_controls
from dashboard.widgets.layout import show_chart
from dashboard.widgets.slide import Slide
from pipeline.talk import mlp, notes, perceptron

LIMITS = (-2.2, 2.2)
GRID = 41  # boundary resolution: 30 frames of 41 x 41 keep the chart light for the browser
HEIGHT = 380
FRAME_MS = 150

# ---- cached work ----


@st.cache_data(show_spinner=False, max_entries=32)
def both_learned(hidden: int, epochs: int, rate: float, seed: int):
    points = perceptron.dataset("xor")
    return points, perceptron.learn(points, epochs), mlp.learn(points, hidden, epochs, rate, seed)


# ---- figures ----


def _square(figure: go.Figure) -> go.Figure:
    figure.update_layout(
        height=HEIGHT,
        margin=dict(t=10, b=10, l=10, r=10),
        plot_bgcolor="white",
        xaxis=dict(range=LIMITS, zeroline=False, scaleanchor="y", constrain="domain"),
        yaxis=dict(range=LIMITS, zeroline=False),
    )
    return figure


def perceptron_figure(points: perceptron.Points, trace: perceptron.Trace) -> go.Figure:
    """The perceptron's last line on XOR: whichever way it lies, some corners are wrong."""
    figure = go.Figure()
    class_points(figure, points.x, points.y, size=9, showlegend=False)
    xs, ys = perceptron.boundary(trace.weights[-1], LIMITS)
    figure.add_scatter(x=xs, y=ys, mode="lines", line=dict(color="#222", width=3), showlegend=False)
    return _square(figure)


def _boundary(weights: mlp.Weights) -> go.Contour:
    axis = np.linspace(*LIMITS, GRID)
    return go.Contour(
        x=axis,
        y=axis,
        z=np.round(mlp.probabilities(weights, LIMITS, GRID), 2),
        zmin=0,
        zmax=1,
        colorscale=[[0, "#dbe6f2"], [0.5, "#ffffff"], [1, "#f6d5da"]],
        contours=dict(start=0.5, end=0.5, size=1, coloring="heatmap", showlabels=False),
        line=dict(color="#222", width=3),
        showscale=False,
        hoverinfo="skip",
    )


def mlp_figure(points: perceptron.Points, trace: mlp.MlpTrace) -> go.Figure:
    """P(class +1) shaded and the 0.5 boundary, after each snapshot: Play replays the learning."""
    figure = go.Figure(_boundary(trace.snapshots[-1]))  # opens on the learned boundary
    class_points(figure, points.x, points.y, size=9, showlegend=False)
    labels = [
        f"epoch {epoch}: {mlp.wrong(weights, points)} wrong"
        for epoch, weights in zip(trace.snapshot_epochs, trace.snapshots)
    ]
    figure.frames = [
        go.Frame(data=[_boundary(weights)], traces=[0], name=label)
        for weights, label in zip(trace.snapshots, labels)
    ]
    figure.update_layout(
        **play_controls(labels, frame_ms=FRAME_MS, slider_x=0.2),
    )
    return _square(figure)


# ---- sections ----


def controls(slide: Slide) -> tuple[int, int, float, int]:
    with slide.controls("Network and training"):
        hidden_column, epochs_column, rate_column, seed_column = st.columns(4)
        hidden = hidden_column.slider("Hidden units", 1, 16, mlp.DEFAULT_HIDDEN, key="mlp_hidden")
        epochs = epochs_column.slider(
            "Epochs", 10, 400, mlp.DEFAULT_EPOCHS, step=10, key="mlp_epochs"
        )
        rate = rate_column.select_slider(
            "Learning rate", (0.01, 0.02, 0.05, 0.1, 0.2, 0.5), mlp.DEFAULT_RATE, key="mlp_rate"
        )
        seed = seed_column.number_input("Seed", 0, 10_000, mlp.DEFAULT_SEED, key="mlp_seed")
    return int(hidden), int(epochs), float(rate), int(seed)


def show_pair(points, line: perceptron.Trace, network: mlp.MlpTrace) -> None:
    left, right = st.columns(2, gap="large")
    wrong_line = line.errors_of(points, -1)
    with left:
        st.markdown(f"**Perceptron**: one line, {len(line.mistakes_per_epoch)} epochs")
        show_chart(perceptron_figure(points, line), "mlp_line")
        st.metric("Wrong at the end", f"{wrong_line} of {len(points.y)}")
    with right:
        st.markdown(f"**MLP**: {network.hidden} hidden tanh units, backpropagation. Press ▶")
        show_chart(mlp_figure(points, network), "mlp_net")
        solved = f"from epoch {network.solved_at}" if network.solved_at is not None else "not yet"
        st.metric(
            "Wrong at the end",
            f"{network.wrong_at_the_end} of {len(points.y)}",
            help=f"All right {solved}.",
        )


# ---- the page ----


def main() -> None:
    slide = Slide("1 · An MLP solves XOR")
    hidden, epochs, rate, seed = controls(slide)
    points, line, network = both_learned(hidden, epochs, rate, seed)
    with slide.key():
        show_pair(points, line, network)
    st.caption(
        "The same 60 XOR points (`perceptron.dataset`). Rosenblatt's rule on the left; on the right "
        "2 → hidden (tanh) → 1 (sigmoid), full-batch gradient descent with momentum on the "
        "cross-entropy, gradients by backpropagation (Rumelhart, Hinton and Williams, Nature 323, "
        "1986, https://doi.org/10.1038/323533a0): `pipeline.talk.mlp.learn`."
    )
    slide.notes(
        notes.mlp_xor(
            len(points.y), hidden, network, line.errors_of(points, -1), len(line.mistakes_per_epoch)
        )
    )


main()
