"""Give freed memory back to the system, so a long-lived process's size follows what it holds.

glibc serves a large allocation with its own ``mmap`` and returns it on ``free``, but it raises
that "large" threshold (up to 32 MB) each time such a block is freed. After a split is scored,
the next arrays of a few MB come from the heap instead, and a freed heap rarely shrinks: a process
that scored four runs on 5,216 X-rays kept 126 MB more, and peaked 123 MB higher
(``benchmarks/scoring_memory.py``; docs/cloud.md). Setting the threshold explicitly turns that
adjustment off (mallopt(3), "M_MMAP_THRESHOLD").
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

M_MMAP_THRESHOLD = -3  # from glibc's malloc.h
MMAP_THRESHOLD_BYTES = 1 << 20  # blocks of 1 MB and more: their own mapping, returned on free


@functools.cache
def return_freed_memory() -> bool:
    """Fix glibc's mmap threshold for this process; False where the C library is not glibc."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        return bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))
    except (OSError, AttributeError, TypeError):  # musl, macOS, Windows: no mallopt, no harm
        return False
