"""2 · Insights: what a framework must have, and the Keras workflow trained live.

The comparison table is ``pipeline.talk.framework_features``; the code shown is the source of
``pipeline.talk.mini_demo.keras_workflow``, the function the button runs. Keras is imported only
when someone presses the button (or asks which GPUs are visible), never when the page opens.
"""

from __future__ import annotations

import inspect

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard.context.deployment import frameworks_may_load, training_allowed, training_off_notice
from dashboard.widgets.slide import Slide
from pipeline.frameworks import loaded
from pipeline.talk import mini_demo, notes
from pipeline.talk.framework_features import (
    FRAMEWORKS,
    comparison_rows,
    frameworks_loaded,
    installed_versions,
    visible_accelerators,
)

DEMO_KEY = "insights_demo"  # (epochs, seed) of this session's last run: shown again on every rerun
WORKFLOW = (
    ("Sequential", "an empty stack of layers"),
    ("add", "puts one layer on top of the stack"),
    ("Dense", "a fully connected layer: every input feeds every unit"),
    ("compile", "chooses the optimizer, the loss and the metrics"),
    ("fit", "trains for some epochs and prints one log line per epoch"),
    ("evaluate", "loss and metrics on data the model never saw"),
    ("predict", "class probabilities for new inputs"),
)


# ---- cached work ----


@st.cache_data(show_spinner=False, max_entries=16)
def trained_demo(epochs: int, seed: int) -> dict:
    """The mini demo for (epochs, seed), its Keras log growing in the page while it trains.

    The log is drawn from inside the cached function on purpose: on a later call Streamlit
    replays those updates, so a rerun shows the same log without training again.
    """
    log = st.empty()
    return mini_demo.run_demo(
        epochs, seed, on_log=lambda text: log.code(text, language=None)
    ).to_dict()


@st.cache_resource(show_spinner=False)
def accelerators() -> dict[str, str]:
    return visible_accelerators()


# ---- sections ----


def show_comparison(slide: Slide) -> None:
    st.subheader("What a good framework must have")
    with slide.key():
        show_table()
    show_table_sources()


def show_table() -> None:
    table = pd.DataFrame(comparison_rows()).set_index("feature")
    versions = installed_versions()
    table.loc["Installed here (checked now)"] = [
        versions[fw.name] or "not installed" for fw in FRAMEWORKS
    ]
    if frameworks_loaded():
        seen = accelerators()
        table.loc["Accelerator seen here"] = [seen.get(fw.name, "not checked") for fw in FRAMEWORKS]
    st.table(table)
    st.caption(
        "Every row but the last ones is taken from each framework's documentation (sources below); "
        "the 'here' rows are read from this machine as the page opens."
    )


def show_table_sources() -> None:
    left, right = st.columns([1, 2])
    if (
        frameworks_may_load()
        and not frameworks_loaded()
        and left.button(
            "Which GPUs are visible here?", key="insights_gpu", icon=":material/memory:"
        )
    ):
        with st.spinner("Loading torch, then TensorFlow (a while, the first time only)..."):
            accelerators()
        st.rerun()
    with right.expander("Where each cell comes from"):
        for framework in FRAMEWORKS:
            st.markdown(f"**{framework.name}**: " + ", ".join(framework.sources))


def show_workflow() -> None:
    st.subheader("The Keras workflow in seven calls")
    half = (len(WORKFLOW) + 1) // 2
    for column, steps in zip(st.columns(2), (WORKFLOW[:half], WORKFLOW[half:])):
        column.markdown("\n".join(f"- **{name}**: {what}" for name, what in steps))
    st.code(inspect.getsource(mini_demo.keras_workflow), language="python")
    st.caption(
        "This is the source of `pipeline.talk.mini_demo.keras_workflow`, the very function the button "
        "below runs. Keras hides the gradient loop inside fit(); PyTorch asks you to write it (the "
        "Training page shows both)."
    )


def show_demo() -> None:
    st.subheader("Live: train it on handwritten digits")
    path = mini_demo.cached_mnist_path()
    st.caption(
        f"Data: MNIST from Keras's cache ({path})."
        if path
        else "Data: scikit-learn's bundled 8 x 8 digits (MNIST is not in Keras's cache here, and the page "
        "never downloads it)."
    )
    if not training_allowed():
        training_off_notice()
        return
    epochs_column, seed_column, button_column = st.columns([2, 1, 1], vertical_alignment="bottom")
    epochs = epochs_column.slider("Epochs", 1, 20, mini_demo.DEFAULT_EPOCHS, key="insights_epochs")
    seed = seed_column.number_input("Seed", 0, 10_000, mini_demo.DEFAULT_SEED, key="insights_seed")
    if button_column.button(
        "Train now", type="primary", icon=":material/play_arrow:", key="insights_train"
    ):
        st.session_state[DEMO_KEY] = (int(epochs), int(seed))
    if DEMO_KEY not in st.session_state:
        st.info("Press **Train now**: a few seconds of training, its Keras log shown as it grows.")
        return
    epochs, seed = st.session_state[DEMO_KEY]
    first_time = not loaded()["keras"]
    message = (
        "Importing Keras (a while, the first time only), then training..."
        if first_time
        else "Training..."
    )
    with st.spinner(message):
        result = trained_demo(epochs, seed)
    show_result(result)


def show_result(result: dict) -> None:
    st.caption(result["dataset_note"])
    accuracy, loss, seconds = st.columns(3)
    accuracy.metric(
        "evaluate(): test accuracy",
        f"{result['test_accuracy']:.1%}",
        help=f"On {result['test_images']:,} held-out images the model never trained on.",
    )
    loss.metric("evaluate(): test loss", f"{result['test_loss']:.3f}")
    seconds.metric(
        "Time to train and test",
        f"{result['workflow_seconds']:.1f} s",
        help=f"keras_workflow on {result['train_images']:,} images, {result['epochs']} epochs "
        f"(Keras {result['keras_version']}, {result['backend']} backend). Importing Keras is not "
        "included; a process's first run also traces TensorFlow's graphs, later runs are faster.",
    )
    curves, predictions = st.columns([3, 2])
    curves.markdown("**History.history** from fit(): accuracy per epoch")
    curves.plotly_chart(
        history_figure(result["history"]), width="stretch", config={"displayModeBar": False}
    )
    predictions.markdown("**predict()** on the first held-out images")
    predictions.dataframe(
        pd.DataFrame(result["predictions"]).rename(columns={"probability": "its probability"}),
        hide_index=True,
        width="stretch",
        column_config={
            "its probability": st.column_config.ProgressColumn(
                format="percent", min_value=0.0, max_value=1.0
            )
        },
    )


def history_figure(history: dict[str, list[float]]) -> go.Figure:
    """History.history: accuracy per epoch, training and validation."""
    figure = go.Figure()
    for key, name in (("accuracy", "training"), ("val_accuracy", "validation")):
        if key in history:
            figure.add_scatter(
                x=list(range(1, len(history[key]) + 1)),
                y=history[key],
                name=name,
                mode="lines+markers",
            )
    figure.update_layout(
        height=300,
        margin=dict(t=30, b=10, l=10, r=10),
        xaxis_title="epoch",
        yaxis_title="accuracy",
        yaxis_range=[0, 1.02],
        legend=dict(orientation="h", y=1.12),
    )
    return figure


# ---- the page ----


def main() -> None:
    slide = Slide("2 · Insights: choosing a framework")
    show_comparison(slide)
    slide.notes(notes.insights([fw.name for fw in FRAMEWORKS], installed_versions(), WORKFLOW))
    if not slide.more("The Keras workflow in seven calls, and its live demo"):
        return
    show_workflow()
    show_demo()


main()
