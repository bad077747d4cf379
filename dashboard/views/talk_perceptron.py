"""1 · The perceptron: Rosenblatt's learning rule on 2-D points, its line moving as it learns, and
why it never settles on XOR (the first AI winter).

Everything is computed by ``pipeline.talk.perceptron`` as the page opens (milliseconds, numpy);
no framework is imported.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from dashboard.charts.animation import class_points, play_controls
from dashboard.widgets.layout import chart_and_facts, show_chart
from dashboard.widgets.slide import Slide
from pipeline.talk import notes, perceptron
from pipeline.talk.history import span, winter

MAX_FRAMES = 30
LIMITS = (-2.6, 2.6)


@st.cache_data(show_spinner=False, max_entries=32)
def traced(name: str, epochs: int, seed: int) -> tuple[perceptron.Points, perceptron.Trace]:
    points = perceptron.dataset(name, seed=seed)
    return points, perceptron.learn(points, epochs, seed)


def frames_of(trace: perceptron.Trace) -> list[int]:
    """At most MAX_FRAMES weight vectors, evenly spread, always the first and the last."""
    count = min(MAX_FRAMES, len(trace.weights))
    return sorted(set(np.linspace(0, len(trace.weights) - 1, count).round().astype(int).tolist()))


def learning_figure(points: perceptron.Points, trace: perceptron.Trace) -> go.Figure:
    """The points, and the line after each update: press Play to watch it move."""
    figure = go.Figure()
    class_points(figure, points.x, points.y, size=10)
    shown = frames_of(trace)

    def line(index: int) -> go.Scatter:
        xs, ys = perceptron.boundary(trace.weights[index], LIMITS)
        return go.Scatter(
            x=xs, y=ys, mode="lines", line=dict(color="#222", width=3), name="w · x + b = 0"
        )

    figure.add_trace(line(shown[-1]))  # the slide opens on the learned line; Play replays it
    labels = [
        f"update {i} (epoch {trace.epoch_of_update[i]}): {trace.errors_of(points, i)} wrong"
        for i in shown
    ]
    figure.frames = [
        go.Frame(data=[line(i)], traces=[2], name=label) for i, label in zip(shown, labels)
    ]
    figure.update_layout(
        height=440,
        margin=dict(t=10, b=10, l=10, r=10),
        plot_bgcolor="white",
        legend=dict(orientation="h", y=1.02, yanchor="bottom"),
        xaxis=dict(range=LIMITS, zeroline=False, scaleanchor="y", constrain="domain"),
        yaxis=dict(range=LIMITS, zeroline=False),
        **play_controls(labels, frame_ms=120, slider_x=0.18),
    )
    return figure


def mistakes_figure(trace: perceptron.Trace) -> go.Figure:
    epochs = np.arange(1, len(trace.mistakes_per_epoch) + 1)
    figure = go.Figure(go.Bar(x=epochs, y=trace.mistakes_per_epoch, marker_color="#9aa5b1"))
    figure.update_layout(
        height=200,
        margin=dict(t=10, b=10, l=10, r=10),
        xaxis_title="epoch",
        yaxis_title="updates (mistakes)",
        plot_bgcolor="white",
    )
    return figure


# ---- sections ----


def controls(slide: Slide) -> tuple[str, int, int]:
    with slide.controls("Data and epochs"):
        left, middle, right = st.columns([2, 1, 1])
        name = left.radio(
            "Points",
            list(perceptron.DATASETS),
            horizontal=True,
            key="pla_data",
            format_func=str.capitalize,
        )
        epochs = middle.slider(
            "Epochs at most", 1, 100, perceptron.DEFAULT_EPOCHS, key="pla_epochs"
        )
        seed = right.number_input("Seed", 0, 10_000, perceptron.DEFAULT_SEED, key="pla_seed")
    return name, int(epochs), int(seed)


def show_learning(name: str, points: perceptron.Points, trace: perceptron.Trace) -> None:
    with chart_and_facts(learning_figure(points, trace), "pla_chart"):
        st.markdown(
            f"**{perceptron.DATASETS[name].capitalize()}.** For each point on the wrong side, move the "
            "line towards it: **w ← w + y·x, b ← b + y**. Press ▶ to watch."
        )
        updates, outcome = st.columns(2)
        updates.metric("Updates", f"{trace.updates:,}")
        if trace.converged_at is not None:
            outcome.metric("Converged", f"epoch {trace.converged_at}")
        else:
            outcome.metric(
                f"Wrong after {len(trace.mistakes_per_epoch)} epochs",
                f"{trace.errors_of(points, -1)} of {len(points.y)}",
            )
        show_chart(mistakes_figure(trace), "pla_mistakes")


# ---- the page ----


def main() -> None:
    first = winter(1)
    slide = Slide("1 · The perceptron, and the first winter")
    name, epochs, seed = controls(slide)
    points, trace = traced(name, epochs, seed)
    with slide.key():
        show_learning(name, points, trace)
    st.caption(
        "Rosenblatt 1958 (https://doi.org/10.1037/h0042519); convergence on separable data: Novikoff "
        "1962; XOR and the limits of one layer: Minsky and Papert, Perceptrons, 1969, then the first "
        f"AI winter ({span(first)}). Points drawn by `pipeline.talk.perceptron.dataset`, learned by "
        "`perceptron.learn`."
    )
    slide.notes(
        notes.perceptron(
            name,
            len(points.y),
            trace.updates,
            trace.converged_at,
            trace.errors_of(points, -1),
            len(trace.mistakes_per_epoch),
        )
    )


main()
