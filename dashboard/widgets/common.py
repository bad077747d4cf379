"""What every page shares: framework names, the run picker, the message for a data source that
cannot be read, and the live progress fragment.

The names come from ``pipeline.frameworks`` (the CLIs print them too); the colours and line
styles from ``dashboard/charts/style.py``: one definition each, on every page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import streamlit as st

from dashboard.context.deployment import training_allowed
from dashboard.context.source import active_source
from pipeline.data import SourceError
from pipeline.data.images import code_span
from pipeline.frameworks import FRAMEWORK_NAMES, FRAMEWORKS
from pipeline.runs import Run
from pipeline.runs.choice import default_run

__all__ = [
    "FRAMEWORKS",
    "FRAMEWORK_NAMES",
    "describe_run",
    "image_grid",
    "live_fragment",
    "pick_frameworks",
    "pick_run",
    "read_active_source",
    "stop_unreadable_source",
    "unreadable_source",
]

POLL_EVERY = "1s"


def framework_name(framework: str | None) -> str:
    return FRAMEWORK_NAMES.get(framework, framework or "?")


def pick_frameworks(where, key: str, help: str) -> list[str]:
    """A multiselect of the frameworks in ``where`` (``st`` or a column): both by default."""
    return where.multiselect(
        "Frameworks",
        FRAMEWORKS,
        default=list(FRAMEWORKS),
        format_func=FRAMEWORK_NAMES.get,
        key=key,
        help=help,
    )


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


def read_active_source(*readers: Callable[[str], object]) -> tuple:
    """The session's data source and what each of ``readers`` reads from it, in order; where it
    cannot be read, the page says why and stops there."""
    source = active_source()
    try:
        return (source, *(read(source) for read in readers))
    except (SourceError, OSError, ValueError) as error:
        stop_unreadable_source(source, error)


def image_grid(images: Sequence, captions: Sequence[str], columns: int) -> None:
    """Images in rows of ``columns``, each as wide as its column, its caption under it."""
    for start in range(0, len(images), columns):
        row = slice(start, start + columns)
        for column, image, caption in zip(st.columns(columns), images[row], captions[row]):
            column.image(image, width="stretch", caption=caption)


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
