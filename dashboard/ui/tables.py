"""Tables that several pages draw the same way, written once.

linked_table(rows, "source")   # the talk's tables of facts, each with the link to its source
"""

from __future__ import annotations

import pandas as pd
import streamlit as st


def linked_table(rows: list[dict], link: str, link_text: str | None = "open") -> None:
    """``rows`` as a full-width table without its index; column ``link`` holds URLs, shown as
    ``link_text`` (None: the URL itself)."""
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        width="stretch",
        column_config={link: st.column_config.LinkColumn(link, display_text=link_text)},
    )
