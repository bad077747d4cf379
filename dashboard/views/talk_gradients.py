"""1 · The vanishing gradient: what reaches each layer of a deep sigmoid network and a ReLU one
(the second AI winter, and one of the fixes that ended it).

Computed by ``pipeline.talk.gradients`` as the page opens (one forward and backward pass in
numpy, milliseconds); no framework is imported.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from dashboard.widgets.layout import chart_and_facts, show_chart
from dashboard.widgets.slide import Slide
from pipeline.talk import gradients, notes
from pipeline.talk.history import span, winter

COLOURS = {"sigmoid": "#d1495b", "relu": "#3b75af"}
NAMES = {"sigmoid": "sigmoid", "relu": "ReLU"}


@st.cache_data(show_spinner=False, max_entries=32)
def profiles(depth: int, width: int, seed: int) -> dict[str, gradients.Profile]:
    return {
        a: gradients.gradient_profile(a, depth, width, seed=seed) for a in gradients.ACTIVATIONS
    }


def depth_figure(by_activation: dict[str, gradients.Profile]) -> go.Figure:
    figure = go.Figure()
    for name, profile in by_activation.items():
        layers = np.arange(1, len(profile.gradient_norm) + 1)
        figure.add_scatter(
            x=layers,
            y=profile.gradient_norm,
            mode="lines+markers",
            name=NAMES[name],
            line=dict(color=COLOURS[name], width=3),
            hovertemplate="layer %{x}: %{y:.2e}<extra>" + NAMES[name] + "</extra>",
        )
    figure.update_yaxes(type="log", title="size of dLoss/dW (log scale)", exponentformat="power")
    figure.update_xaxes(title="layer (1 = next to the input, where learning starts)", dtick=2)
    figure.update_layout(
        height=400,
        margin=dict(t=10, b=10, l=10, r=10),
        plot_bgcolor="white",
        legend=dict(orientation="h", y=1.02, yanchor="bottom"),
    )
    return figure


def slope_figure() -> go.Figure:
    z = np.linspace(-6, 6, 241)
    figure = go.Figure()
    for name in gradients.ACTIVATIONS:
        figure.add_scatter(
            x=z,
            y=gradients.slope_curve(name, z),
            name=f"{NAMES[name]}'",
            line=dict(color=COLOURS[name], width=3),
        )
    figure.update_layout(
        height=190,
        margin=dict(t=10, b=10, l=10, r=10),
        plot_bgcolor="white",
        showlegend=False,
        xaxis_title="input z",
        yaxis_title="slope",
        yaxis_range=[-0.05, 1.1],
    )
    return figure


# ---- sections ----


def controls(slide: Slide) -> tuple[int, int, int]:
    with slide.controls("Network"):
        left, middle, right = st.columns(3)
        depth = left.slider("Layers", 2, 40, gradients.DEFAULT_DEPTH, key="grad_depth")
        width = middle.select_slider(
            "Units per layer", (16, 32, 64, 128, 256), gradients.DEFAULT_WIDTH, key="grad_width"
        )
        seed = right.number_input("Seed", 0, 10_000, gradients.DEFAULT_SEED, key="grad_seed")
    return int(depth), int(width), int(seed)


def show_profiles(by_activation: dict[str, gradients.Profile], depth: int, width: int) -> None:
    sigmoid, relu = by_activation["sigmoid"].gradient_norm, by_activation["relu"].gradient_norm
    with chart_and_facts(depth_figure(by_activation), "grad_depth_chart"):
        st.markdown(
            f"One batch through **{depth} layers** of {width} units; backpropagation multiplies by the "
            "activation's slope at every layer. The sigmoid's slope is at most **1/4**."
        )
        first, ratio = st.columns(2)
        first.metric("Layer 1, sigmoid", f"{sigmoid[0]:.1e}")
        first.metric("Layer 1, ReLU", f"{relu[0]:.1e}")
        ratio.metric("Last / first, sigmoid", f"{sigmoid[-1] / sigmoid[0]:.0e}×")
        ratio.metric("Last / first, ReLU", f"{relu[-1] / relu[0]:.1f}×")
        show_chart(slope_figure(), "grad_slopes")


# ---- the page ----


def main() -> None:
    second = winter(2)
    slide = Slide("1 · The vanishing gradient, and the second winter")
    depth, width, seed = controls(slide)
    by_activation = profiles(depth, width, seed)
    sigmoid, relu = by_activation["sigmoid"].gradient_norm, by_activation["relu"].gradient_norm
    with slide.key():
        show_profiles(by_activation, depth, width)
    st.caption(
        "Fully connected, Glorot-initialised for the sigmoid and He-initialised for ReLU, squared-error loss on "
        "random targets: `pipeline.talk.gradients.gradient_profile`. Hochreiter 1991 (diploma thesis) and "
        "Glorot and Bengio, AISTATS 2010 (https://proceedings.mlr.press/v9/glorot10a.html); ReLU: Nair and "
        f"Hinton, ICML 2010; Glorot, Bordes and Bengio, AISTATS 2011. The second winter, {span(second)}: "
        f"{second.why} ({second.source})."
    )
    slide.notes(
        notes.gradients(depth, float(sigmoid[0]), float(relu[0]), float(sigmoid[-1] / sigmoid[0]))
    )


main()
