"""2 · The talk's MNIST code and its log: what the log gives away (validation images not scaled,
5 epochs where the code asks for 10), then the same code run live with and without the fault.

What the slide shows is ``pipeline.talk.mnist_example.TALK_LOG``; the code on this page is the
source of ``mnist_example.mnist_example``, the function the button runs. Keras is imported only
when the button is pressed, never when the page opens.
"""

from __future__ import annotations

import inspect

import plotly.graph_objects as go
import streamlit as st

from dashboard.cache.talk_live import mnist_runs
from dashboard.context.deployment import training_allowed, training_off_notice
from dashboard.widgets.slide import Slide
from pipeline.frameworks import loaded
from pipeline.talk import mini_demo, mnist_example, notes

RUN_KEY = "mnist_example_run"  # (epochs, seed) of this session's last run: shown again on reruns
TALK_LOG = mnist_example.TALK_LOG

# ---- sections ----


def show_the_slide() -> None:
    code, log = st.columns([2, 1], gap="large")
    code.code(inspect.getsource(mnist_example.mnist_example), language="python")
    with log:
        st.markdown("**What the talk's log shows**")
        epochs, loss = st.columns(2)
        epochs.metric("Epochs: code / log", f"{TALK_LOG.code_epochs} / {TALK_LOG.log_epochs}")
        loss.metric("val_loss", f"{TALK_LOG.val_loss[0]:g} to {TALK_LOG.val_loss[1]:g}")
        st.metric("val_accuracy", f"about {TALK_LOG.val_accuracy:g}")
        st.markdown(
            "A model right on 97% of images cannot lose 12 or more per image unless the validation "
            "inputs are **255 times larger** than the training ones: the `/ 255` is missing, so every "
            "wrong answer is made with near certainty. And the code asks for 10 epochs, the log has 5."
        )


def show_live(slide: Slide) -> mnist_example.MnistComparison | None:
    st.subheader("Live: the same code, as in the talk and fixed")
    st.caption(
        "Data: MNIST from Keras's cache."
        if mini_demo.cached_mnist_path()
        else "Data: MNIST is not on this machine, so a stand-in runs: scikit-learn's bundled digits, "
        "stretched to MNIST's 0-255 grey levels (the run says so too)."
    )
    if not training_allowed():
        training_off_notice()
        return None
    with slide.controls("Epochs and seed"):
        left, right = st.columns(2)
        epochs = left.slider("Epochs", 1, 20, mnist_example.LOG_EPOCHS, key="mnist_epochs")
        seed = right.number_input("Seed", 0, 10_000, mnist_example.DEFAULT_SEED, key="mnist_seed")
    if st.button("Run both now", type="primary", icon=":material/play_arrow:", key="mnist_run"):
        st.session_state[RUN_KEY] = (int(epochs), int(seed))
    if RUN_KEY not in st.session_state:
        st.info("Press **Run both now**: a few seconds each, the two Keras logs side by side.")
        return None
    epochs, seed = st.session_state[RUN_KEY]
    first = (
        "Importing Keras (the first time only), then training..."
        if not loaded()["keras"]
        else "Training..."
    )
    with st.spinner(first):
        comparison = mnist_runs(epochs, seed)
    show_result(comparison)
    return comparison


def show_result(comparison: mnist_example.MnistComparison) -> None:
    st.caption(comparison.data_note)
    talk, fixed = st.columns(2)
    for column, run, title in (
        (talk, comparison.as_in_the_talk, "As in the talk: validation not scaled"),
        (fixed, comparison.fixed, "Fixed: validation scaled like training"),
    ):
        column.markdown(f"**{title}**")
        loss, accuracy = column.columns(2)
        loss.metric("last val_loss", f"{run.last('val_loss'):.2f}")
        accuracy.metric("last val_accuracy", f"{run.last('val_accuracy'):.3f}")
    st.plotly_chart(loss_figure(comparison), width="stretch", config={"displayModeBar": False})


def loss_figure(comparison: mnist_example.MnistComparison) -> go.Figure:
    figure = go.Figure()
    for run, name, colour in (
        (comparison.as_in_the_talk, "as in the talk", "#d1495b"),
        (comparison.fixed, "fixed", "#3b75af"),
    ):
        epochs = list(range(1, len(run.history["val_loss"]) + 1))
        figure.add_scatter(
            x=epochs, y=run.history["val_loss"], name=f"val_loss, {name}", line=dict(color=colour)
        )
    figure.update_layout(
        height=260,
        margin=dict(t=30, b=10, l=10, r=10),
        xaxis=dict(title="epoch", dtick=1),
        yaxis_title="val_loss",
        legend=dict(orientation="h", y=1.15),
    )
    return figure


# ---- the page ----


def main() -> None:
    slide = Slide("2 · The talk's MNIST code and its log")
    with slide.key():
        show_the_slide()
    st.caption(
        "The code is this app's, written the way the slide handles its data; the log's figures are the "
        "slide's (as read for issue 20)."
    )
    comparison = None
    if slide.more("Run it live, with and without the fault"):
        comparison = show_live(slide)
    slide.notes(notes.mnist_example(TALK_LOG, comparison))


main()
