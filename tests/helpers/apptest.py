"""Home in Streamlit's AppTest, in a fresh Python: which frameworks a page imports shows only in a
process that has not imported one already (pytest's own has, once any test trained or scored)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOME = str(ROOT / "dashboard" / "Home.py")
FRAMEWORKS = ("torch", "tensorflow", "keras")

_START = f"""\
import json, sys
from streamlit.testing.v1 import AppTest
app = AppTest.from_file({HOME!r}, default_timeout=120).run()
report = {{}}
"""
_END = f"""
report["loaded"] = [m for m in {FRAMEWORKS!r} if m in sys.modules]
print(json.dumps(report))
"""


def app_in_child(steps: str, timeout: float = 300) -> dict:
    """Run Home in AppTest in a fresh Python on the demo data (PNEUMOLAB_DATA unset), then
    ``steps``: Python that drives ``app`` and puts what the test checks in the dict ``report``.
    Returns ``report`` with ``loaded``: the frameworks the child had imported at the end."""
    script = _START + textwrap.dedent(steps) + _END
    env = {k: v for k, v in os.environ.items() if k != "PNEUMOLAB_DATA"}
    child = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert child.returncode == 0, child.stderr[-3000:]
    return json.loads(child.stdout.strip().splitlines()[-1])
