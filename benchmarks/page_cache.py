"""Shared by the page benchmarks: build the decoded-array cache before the clock starts."""

from __future__ import annotations

import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def build_disk_cache(source: str) -> str:
    """Decode or generate the source once if needed (the budget starts after this); what happened, and how long."""
    from pipeline.data import open_source
    from pipeline.data.arrays import cache_path, load_arrays
    from pipeline.data.summary import SUMMARY_SIZE

    started = time.perf_counter()
    opened = open_source(source)
    scan = opened.scan()
    action = "read" if cache_path(scan, SUMMARY_SIZE).exists() else "built"
    load_arrays(opened, scan, SUMMARY_SIZE)
    return f"{action} in {time.perf_counter() - started:.2f} s"
