"""The look of the talk's frame slides (title, questions): one centred block, set larger.

    with centred("talk_title"):      # a container whose key names the CSS rule
        st.title(...)
    frame_slide("talk_title", outline.TITLE, outline.SUBTITLE, caption)   # the whole frame slide

The rule only touches that block, so the presenter style of every other slide is unchanged.
"""

from __future__ import annotations

import streamlit as st

from pipeline.talk import outline

STYLE = """
<style>
.st-key-{key} {{ align-items: center; padding-top: 6vh; }}
.st-key-{key} * {{ text-align: center; }}
.st-key-{key} h1 {{ font-size: 3.4rem; }}
.st-key-{key} h3 {{ font-weight: 400; }}
.st-key-{key} blockquote {{ border: none; font-size: 1.35rem; margin: 1.5rem 0; }}
</style>
"""


def centred(key: str):
    """A container centred and set larger, for a title or closing slide."""
    st.html(STYLE.format(key=key))
    return st.container(key=key)


def frame_slide(key: str, heading: str, subheading: str, caption: str) -> None:
    """A frame slide's one block: its heading and subheading, the claim the talk tests and the
    talk's parts, and a caption."""
    with centred(key):
        st.title(heading, anchor=False)
        st.markdown(f"### {subheading}")
        st.markdown(f"> {outline.CLAIM}")
        st.markdown("  ·  ".join(f"**{part.number}** {part.name}" for part in outline.PARTS))
        st.caption(caption)
