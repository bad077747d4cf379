"""2 · Deep learning frameworks compared: DLBench's six frameworks on one task, from the logs the
paper published (``pipeline.talk.dlbench.MNIST_CPU``): the same CNN on MNIST on one CPU machine,
its test accuracy and its wall time per framework. No framework is imported.
"""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from dashboard.charts.bars import ranked_bars
from dashboard.widgets.layout import linked_table
from dashboard.widgets.slide import Slide
from pipeline.talk import dlbench, notes

# ---- figures ----


def time_figure() -> go.Figure:
    bars = [
        (r.framework, r.minutes, f"{r.minutes:.0f} min · {r.test_accuracy:.2%}")
        for r in dlbench.MNIST_CPU
    ]
    return ranked_bars(
        bars,
        f"minutes for {dlbench.EPOCHS} epochs (test accuracy after them)",
        [0, 110],
        height=360,
        right_margin=40,
    )


# ---- the page ----


def main() -> None:
    slide = Slide("2 · Deep learning frameworks compared")
    slide.key_chart(
        time_figure(),
        "dlb_mnist",
        f"{dlbench.MNIST_BASIS} Source: [{dlbench.CITATION}]({dlbench.DOI}); logs: {dlbench.REPOSITORY}.",
    )
    with st.expander("The six runs, with their versions and logs"):
        linked_table(
            [
                {
                    "framework": r.framework,
                    "version": r.version,
                    "test accuracy": r.test_accuracy,
                    "minutes": round(r.minutes, 1),
                    "log": r.log_url,
                }
                for r in dlbench.MNIST_CPU
            ],
            "log",
        )
    slide.notes(notes.frameworks_compared(dlbench.MNIST_CPU))


main()
