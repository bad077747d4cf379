"""This machine, for people and for runs: its processor, the cores a process may use, its id.

Runs record the machine that trained them (``machine_id``), because speeds (images/s, seconds
per epoch, inference time) compare only between runs trained on the same machine.
"""

from __future__ import annotations

import hashlib
import os
import platform
from functools import cache


@cache
def cpu_name() -> str:
    """The processor's model name and the cores this process may use."""
    name = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    name = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{name} ({usable_cores()} cores)"


@cache
def machine_id() -> str:
    """12 hex digits of the host name and the processor; the host name itself is never stored."""
    key = f"{platform.node()}|{cpu_name()}"
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS
        return os.cpu_count() or 1
