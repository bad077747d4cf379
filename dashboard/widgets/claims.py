"""The Conclusion's three comparisons over seeds (``pipeline.talk.claims``), laid out.

    claims_section(source, load)      # the page's one call; ``load``: run id -> loaded model

Every figure and verdict comes from ``pipeline.talk.claims`` (the same as ``python -m
pipeline.talk claims``); this module only draws them. Where a seed group is missing, it says
which command trains it, or, where training is off (``dashboard.context.deployment``), only that it
was not trained here.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.context.deployment import training_allowed
from dashboard.widgets.common import FRAMEWORK_NAMES
from pipeline.data import SourceError
from pipeline.data.images import code_span
from pipeline.inference import ModelLoadError
from pipeline.talk import claims as claims_module

UNUSABLE = (ModelLoadError, SourceError, OSError, ValueError, KeyError)
WHERE = {True: "within the spread", False: "beyond the spread", None: "spread unknown (1 seed)"}
HEADLINE_BOX = {"measured": st.info, "incomplete": st.warning}


def claims_section(source: str, loader=None) -> None:
    """The two pipelines as given, the same processing in both, and the framework gap."""
    st.divider()
    st.header("What the talk compared, over seeds")
    st.caption(claims_module.RULE)
    try:
        with st.spinner("Scoring every seed on the test split (once per run, then cached)..."):
            found = claims_module.claims(source, loader)
    except UNUSABLE as error:
        st.error(f"The comparisons cannot be computed: {error}")
        return
    for number, claim in enumerate(found.claims, start=1):
        claim_block(number, claim)


def claim_block(number: int, claim: claims_module.Claim) -> None:
    st.subheader(f"{number} · {claim.title}")
    st.markdown(claim.question)
    if claim.differences:
        st.caption(
            "Settings the two differ in besides the framework: "
            + "; ".join(
                f"`{row['setting']}` {row['keras']} (Keras) vs {row['torch']} (PyTorch)"
                for row in claim.differences
            )
            + "."
        )
    if claim.key == claims_module.FRAMEWORK_GAP:
        for sentence in claim.sentences:
            st.markdown(f"- {sentence}")
        return
    if claim.verdicts:
        HEADLINE_BOX.get(claim.status, st.info)(f"**{claim.sentences[0]}**")
        st.dataframe(verdict_frame(claim), hide_index=True, width="stretch", height="content")
    for side in claim.sides:
        missing_seeds(side)


def verdict_frame(claim: claims_module.Claim) -> pd.DataFrame:
    keras, torch = claim.sides
    return pd.DataFrame(
        [
            {
                "figure": verdict.quantity,
                f"Keras ({len(keras.seeds)} seeds)": verdict.keras.short(),
                f"PyTorch ({len(torch.seeds)} seeds)": verdict.torch.short(),
                "Keras − PyTorch": f"{verdict.difference:+.3f}",
                "seed spread": "-" if verdict.noise is None else f"{verdict.noise:.3f}",
                "verdict": WHERE[verdict.within_noise],
            }
            for verdict in claim.verdicts
        ]
    )


def missing_seeds(side: claims_module.Side) -> None:
    """What is missing of one side, and how to get it where training is allowed."""
    if not side.missing:
        return
    label = FRAMEWORK_NAMES.get(side.framework, side.framework)
    seeds = ", ".join(map(str, side.missing))
    what = f"**{label}**, preset `{side.preset}`: seed(s) {seeds} not trained on this source"
    if side.under_way:
        st.info(
            f"{what} yet; {len(side.under_way)} run(s) under way "
            f"({', '.join(code_span(run_id) for run_id in side.under_way)}).",
            icon=":material/hourglass_top:",
        )
    elif training_allowed():
        st.warning(f"{what}. Train them: `{side.command}`", icon=":material/info:")
    else:
        st.info(f"{what} (training is off on this deployment).", icon=":material/block:")
