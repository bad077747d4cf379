"""What every page shares: framework names, colours and line styles, the run picker, the
message for a data source that cannot be read, and the live progress fragment.

One definition each, so that Keras has one colour and a training curve one line style on
every page. The names themselves come from ``pipeline.frameworks`` (the CLIs print them too).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import streamlit as st

from dashboard.ui.deployment import training_allowed
from pipeline.data.images import code_span
from pipeline.frameworks import FRAMEWORK_NAMES, FRAMEWORKS
from pipeline.runs import Run
from pipeline.runs.choice import default_run

__all__ = [
    "COLOURS",
    "FRAMEWORKS",
    "FRAMEWORK_NAMES",
    "SPLIT_DASH",
    "describe_run",
    "live_fragment",
    "pick_run",
    "stop_unreadable_source",
    "unreadable_source",
]

COLOURS = {"keras": "#d1495b", "torch": "#3b75af"}  # Keras red, PyTorch blue, on every page
SPLIT_DASH = {"train": "dash", "val": "solid"}  # training curves dashed, validation solid
POLL_EVERY = "1s"


def framework_name(framework: str | None) -> str:
    return FRAMEWORK_NAMES.get(framework, framework or "?")


def describe_run(run: Run, with_framework: bool = True) -> str:
    """One line for a picker: framework, short id, source, size, epochs, validation AUC."""
    summary = run.summary()
    auc = summary.val.auc if summary.val else None
    parts = [
        *([framework_name(summary.framework)] if with_framework else []),
        summary.run_id[:8],
        f"trained on {summary.dataset}",
        f"{summary.img_size} px",
        f"{summary.epochs} epochs" + (f", val AUC {auc:.3f}" if isinstance(auc, float) else ""),
        *(["shipped with the app"] if summary.origin == "shipped" else []),
    ]
    return " · ".join(parts)


def pick_run(
    label: str,
    runs: Iterable[Run],
    key: str,
    default: str | None = None,
    prefer_source: str | None = None,
    container=st,
    with_framework: bool = True,
) -> str:
    """A select box over ``runs``; the default is ``default``, else
    ``pipeline.runs.choice.default_run`` for ``prefer_source`` (the first its ranking keeps: its
    own runs, else the best that share its labels), else the first. Returns the chosen run id."""
    runs = list(runs)
    ids = [run.id for run in runs]
    descriptions = {run.id: describe_run(run, with_framework) for run in runs}
    if default not in ids:
        default = default_run(runs, prefer_source).id
    return container.selectbox(
        label, ids, index=ids.index(default), key=key, format_func=descriptions.get
    )


def unreadable_source(source: str, error: Exception, what: str = "The data source") -> str:
    return f"{what} {code_span(source)} cannot be read: {error}"


def stop_unreadable_source(source: str, error: Exception, what: str = "The data source") -> None:
    """Say that ``source`` cannot be read, and why, and stop the page there."""
    st.error(unreadable_source(source, error, what))
    st.stop()


def live_fragment(draw: Callable[[], bool], active: bool, every: str = POLL_EVERY) -> None:
    """Draw ``draw()`` now and, while ``active``, again every ``every`` (a fragment rerun).

    ``draw`` returns whether a run is still queued or running. Polling happens only while one
    is: when the last one ends, one full rerun redraws the page (results, buttons) with
    ``active`` false, and nothing polls the run store until a training starts again.
    """

    def body() -> None:
        still_active = draw()
        if active and not still_active:
            st.rerun()

    st.fragment(body, run_every=every if active else None)()


def stop_without_runs() -> None:
    """Say that no run has finished, and what to do where training is allowed; stop the page."""
    st.info(
        "No finished training run yet. Train one on the Training page, or run "
        "`python -m pipeline.train --framework torch --preset quick`."
        if training_allowed()
        else "Nothing to show: this deployment holds no finished run, and training is off."
    )
    st.stop()
