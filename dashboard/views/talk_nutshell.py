"""4 · In a nutshell: the talk's Transform + Sampler, and what they measurably did on this data.

Built from the Conclusion's pair of runs (``pipeline.talk.nutshell`` over
``processing_pair.compare_pair``, cached on disk once the Conclusion has compared them); with no
measured pair, the page says how to get one instead of repeating the slide's claim.
"""

from __future__ import annotations

import streamlit as st

from dashboard.app.first_view import nutshell_pair
from dashboard.cache.trained_models import model_of
from dashboard.context.deployment import training_allowed
from dashboard.context.source import active_source
from dashboard.widgets.slide import Slide
from pipeline.data import SourceError
from pipeline.data.images import code_span
from pipeline.frameworks import FRAMEWORK_NAMES
from pipeline.inference import ModelLoadError
from pipeline.runs.provenance import provenance
from pipeline.talk import notes
from pipeline.talk.nutshell import nutshell
from pipeline.talk.processing_pair import Pair, compare_pair

CONCLUSION = "views/talk_conclusion.py"
BOX = {"helped": st.success, "hurt": st.warning, "mixed": st.info, "none": st.info}
UNUSABLE = (ModelLoadError, SourceError, OSError, ValueError, KeyError)


def effect_value(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


# ---- sections ----


def say_no_pair(slide: Slide, source: str) -> None:
    """No measured pair: where to get one (where training is allowed), else why there is none."""
    with slide.key():
        if training_allowed():
            st.info(
                f"No measured pair of runs for {code_span(source)} yet, so this slide has nothing to "
                "say: the Conclusion page trains the same model with and without processing and "
                "measures the difference.",
                icon=":material/info:",
            )
            st.page_link(
                CONCLUSION,
                label="4 · Conclusion: train and compare the pair",
                icon=":material/flag:",
            )
        else:  # one sentence: why, and nothing this deployment forbids
            st.info(
                "Nothing to show: no pair of runs with and without processing has labels that "
                "mean what this source's labels mean.",
                icon=":material/info:",
            )
    slide.notes(notes.nutshell(None))


def show_summary(summary, slide: Slide) -> None:
    """The two ingredients, the verdict, and each effect with its interval."""
    with slide.key():
        transform, balancing = st.columns(2, gap="large")
        with transform.container(border=True):
            st.markdown("**Transform** (augmentation and normalisation)")
            st.markdown(", ".join(summary.transform) if summary.transform else "none")
        with balancing.container(border=True):
            st.markdown("**Sampler** (class balancing, against the imbalance)")
            st.markdown(summary.balancing)
        BOX[summary.verdict](f"**{summary.headline}**")
        for column, effect in zip(st.columns(len(summary.effects)), summary.effects):
            column.metric(
                effect.label,
                effect_value(effect.with_processing),
                None if effect.difference is None else f"{effect.difference:+.3f} vs without",
                delta_color="normal" if effect.beyond_noise else "off",
                help=None
                if effect.low is None
                else f"95% interval of the difference {effect.low:+.3f} to {effect.high:+.3f}: "
                + ("beyond the noise" if effect.beyond_noise else "within the noise"),
            )


def show_basis(summary, pair: Pair, source: str) -> None:
    st.caption(
        f"{FRAMEWORK_NAMES.get(summary.framework, summary.framework)} runs {summary.runs['with']} (with) and "
        f"{summary.runs['without']} (without), {provenance(pair.with_processing.id, source, 'test').label}, "
        f"{summary.images} images; grey changes are within the noise (the 95% "
        "paired-bootstrap interval includes zero). One pair, one seed: the Conclusion page has the details."
    )


# ---- the page ----


def main() -> None:
    st.title("4 · In a nutshell")
    slide = Slide()
    source = active_source()
    pair = nutshell_pair(source)
    if pair is None:
        say_no_pair(slide, source)
        st.stop()
    try:
        with st.spinner("Comparing the pair on the test split (once, then cached)..."):
            summary = nutshell(compare_pair(pair, source, loader=model_of))
    except UNUSABLE as error:
        st.error(f"The pair cannot be compared: {error}")
        st.stop()
    show_summary(summary, slide)
    show_basis(summary, pair, source)
    slide.notes(notes.nutshell(summary))


main()
