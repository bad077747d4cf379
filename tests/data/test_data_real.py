"""The real training images (../shared/data/chest_xray): counts, .DS_Store, no patient overlap."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_real_data_summary(real_data):
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.data", "summary", "--source", str(real_data), "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["totals"] == {"NORMAL": 1341, "PNEUMONIA": 3875}
    assert report["images"] == 5216
    assert report["patient_overlap"] == 0
    assert all(report["patients"][s] > 0 for s in ("train", "val", "test"))
    assert [Path(s["path"]).name for s in report["skipped"]] == [".DS_Store"]
    assert report["image_size"]["width"] == {"min": 224, "median": 224.0, "max": 224}
