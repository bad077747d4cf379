"""The dependency profiles: pinned, and the Cloud's CPU-only (no CUDA package can come in).

Reads the files only (nothing is installed): fast, and run in CI like every test.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


GPU_ONLY = re.compile(r"^(nvidia-.*|triton|tensorflow|tensorflow-gpu|.*-cu\d+)$", re.IGNORECASE)


def requirements(path) -> dict[str, list[str]]:
    """name -> the requirement lines naming it (several for per-Python-version URLs)."""
    found: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        line = line.split(" #")[0].strip()
        if not line or line.startswith(("#", "-")):  # -r, and -e for the project itself
            continue
        name = re.split(r"[=<>!~ @;\[]", line, maxsplit=1)[0].strip().lower()
        found.setdefault(name, []).append(line)
    return found


def test_every_requirement_is_pinned():
    for name in ("requirements.txt", "requirements-dev.txt", "dashboard/requirements.txt"):
        for lines in requirements(ROOT / name).values():
            for line in lines:
                assert "==" in line or " @ " in line, f"{name}: {line} is not pinned"


def test_the_cloud_profile_asks_for_no_gpu_package():
    cloud = requirements(ROOT / "dashboard" / "requirements.txt")
    assert not [name for name in cloud if GPU_ONLY.match(name)], sorted(cloud)
    assert "tensorflow-cpu" in cloud
    for package in ("torch", "torchvision"):
        for line in cloud[package]:
            assert "/whl/cpu/" in line and "%2Bcpu" in line, line


def test_the_cloud_profile_pins_what_the_local_one_does():
    local = requirements(ROOT / "requirements.txt")
    cloud = requirements(ROOT / "dashboard" / "requirements.txt")
    swapped = {"tensorflow": "tensorflow-cpu", "torch": "torch", "torchvision": "torchvision"}
    for name, lines in local.items():
        if name in swapped:
            assert swapped[name] in cloud, name
            continue
        assert cloud.get(name) == lines, f"{name}: {cloud.get(name)} on the Cloud, {lines} here"


def test_imported_packages_are_pinned():
    """Imported directly or by the pinned libraries: matplotlib (pipeline.explain.overlay), scipy
    (scikit-learn, grad-cam), cv2 (pipeline.explain.base), the ONNX pair (pipeline.onnx_model)."""
    local = requirements(ROOT / "requirements.txt")
    for package in ("matplotlib", "scipy", "onnx", "onnxruntime", "opencv-python-headless"):
        assert package in local, package


def test_the_cloud_profile_installs_the_project():
    """The Cloud installs only this file, then runs dashboard/Home.py: ``import pipeline`` needs the
    project installed (docs/architecture.md, "Installing"). ``..`` is the repository, as uv resolves
    a relative path against the requirements file's folder."""
    lines = (ROOT / "dashboard" / "requirements.txt").read_text().splitlines()
    assert "-e .." in [line.strip() for line in lines]
