"""Take a run away and bring it back: a zip with everything needed to use it elsewhere, and ONNX.

    python -m pipeline.runs export RUN_ID --out run.zip   # weights, config, metrics, curves,
                                                          # model card, predict.py, manifest
    python -m pipeline.runs import run.zip                # verified, then added to the store
    python -m pipeline.runs onnx RUN_ID --out model.onnx  # checked against the framework

The zip holds the run's own files unchanged (config.json, data.json, result.json, progress.json,
status.json, weights/), so an import restores the run bit for bit; and beside them what a
person needs: ``curves.csv`` (the training history), ``MODEL_CARD.md`` (data, intended use, the
not-a-medical-device statement, the external-data caveat, metrics with intervals),
``preprocessing.json`` (how to feed the model: ``pipeline.preprocessing``), ``predict.py``
(runs with only the run's framework, plus NumPy and Pillow, installed), the ``models`` package
for a torch run (its architecture), and ``manifest.json`` (sha256 of every file). Zips are
written deterministically: exporting the same run twice gives the same bytes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from pipeline.legal import ATTRIBUTION, NOT_A_MEDICAL_DEVICE
from pipeline.records import Intervals
from pipeline.runs import Progress, Run, RunConfig, RunError, runs_root, store_lock, write_json

RUN_FILES = ("config.json", "data.json", "result.json", "progress.json", "status.json")
MANIFEST = "manifest.json"
ORIGIN_FILE = "origin.json"  # where an imported or shipped run came from; not exported
ZIP_TIME = (2020, 1, 1, 0, 0, 0)  # fixed timestamps: the same run always zips to the same bytes
MAX_IMPORT_BYTES = 200 * 1024 * 1024  # a run is a few MB; refuse zip bombs
ONNX_FILE = "model.onnx"
ONNX_TOLERANCE = 1e-4  # largest |probability difference| accepted between ONNX and the framework
EXTERNAL_DATA_CAVEAT = (
    "**Data from elsewhere.** The metrics below were measured on a validation split carved from "
    "the training source (grouped by patient), which flatters: the project's `full` runs score "
    "AUC 0.994-0.996 there. On X-rays from elsewhere, the official external test split, the same "
    "runs (seeds 0-2 per framework, threshold 0.5 by the project's rule) scored accuracy "
    "0.917-0.928 (mean 0.920 PyTorch, 0.925 Keras), AUC 0.964-0.973 (means 0.968 and 0.970) and "
    "NORMAL recall 0.86-0.92 (docs/cloud.md cites the figures). Another hospital, scanner or age "
    "group can do worse still: measure it on your own data before relying on any number here."
)


class ExportError(ValueError):
    """A run or a zip that cannot be exported or imported; the message says why and what to do."""


# ---- ONNX ----


def onnx_from_weights(framework: str, weights: Path, img_size: int, width: float = 1.0) -> bytes:
    """The ONNX graph of a saved model (loads ``framework``), checked against the framework's own
    probabilities on random and constant inputs; ExportError when they disagree."""
    from pipeline.onnx_model import OnnxCNN, build_model, weights_from_keras, weights_from_torch

    rng = np.random.default_rng(0)
    x = np.concatenate(
        [rng.normal(size=(4, 1, img_size, img_size)), np.zeros((1, 1, img_size, img_size))]
    ).astype(np.float32)
    if framework == "torch":
        from pipeline.frameworks import import_torch

        torch = import_torch()
        from models.torch_cnn import load

        model = load(weights, img_size, width=width)
        with torch.no_grad():
            expected = torch.sigmoid(model(torch.from_numpy(x))).numpy().ravel()
        onnx_bytes = build_model(weights_from_torch(model))
    else:
        from pipeline.frameworks import import_keras

        keras = import_keras()
        model = keras.models.load_model(weights, compile=False, safe_mode=True)
        expected = np.asarray(model(x.transpose(0, 2, 3, 1), training=False)).ravel()
        onnx_bytes = build_model(weights_from_keras(model))
    got = OnnxCNN.from_bytes(onnx_bytes).probability(x)
    difference = float(np.max(np.abs(got - expected)))
    if difference > ONNX_TOLERANCE:
        raise ExportError(
            f"the ONNX graph disagrees with {framework} by {difference:.2e} (more than "
            f"{ONNX_TOLERANCE}): the model code no longer matches pipeline/onnx_model.py"
        )
    return onnx_bytes


def run_onnx(run_id: str) -> bytes:
    """Finished run ``run_id`` as ONNX: its recorded file, else converted from its weights."""
    from pipeline.inference import load_run_model  # checks state and checksums

    run = Run(run_id)
    result = run.result()
    if result is not None and result.onnx:
        load_run_model(run_id, backend="onnx")  # verifies the recorded sha256
        return (run.path / "weights" / result.onnx).read_bytes()
    config = run.config()
    loaded = load_run_model(run_id)
    return onnx_from_weights(
        config.framework, loaded.weights_path, config.img_size, config.model_width
    )


# ---- export ----


def export_run(run_id: str, out: Path) -> Path:
    """Write run ``run_id`` to the zip ``out``; ExportError if it is not a usable finished run."""
    out = Path(out)
    data = export_bytes(run_id)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return out


def check_exportable(run_id: str):
    """``(run, config, prep)`` of a run that can be exported; ExportError says why not.
    Cheap (no framework, no scoring): the weights are checked against their sha256, the
    preprocessing read. Pages call it to offer the download, which builds the zip on click."""
    from pipeline.inference import ModelLoadError, check_file, finished_run, run_preprocessing

    try:
        run = finished_run(run_id)
        config, result = run.config(), run.result()
        weights = run.weights()
        if weights is None or not weights.is_file():
            raise ModelLoadError(f"run {run_id}: the weights file is missing")
        check_file(run_id, weights, result.weights_sha256)
        prep = run_preprocessing(run_id, config, result)
    except ModelLoadError as error:
        raise ExportError(str(error)) from None
    return run, config, prep


def export_bytes(run_id: str) -> bytes:
    """Run ``run_id`` as a zip, built in memory (the pages offer it as a download). No framework
    is loaded; the model card's validation intervals may score the validation split (ONNX)."""
    run, config, prep = check_exportable(run_id)
    files: dict[str, bytes] = {}
    for name in RUN_FILES:
        if (run.path / name).is_file():
            files[name] = (run.path / name).read_bytes()
    for path in sorted((run.path / "weights").iterdir()):
        files[f"weights/{path.name}"] = path.read_bytes()
    files["preprocessing.json"] = json.dumps(prep.to_record(), indent=2).encode()
    files["curves.csv"] = curves_csv(run.progress())
    files["MODEL_CARD.md"] = model_card(run, config.framework, prep).encode()
    # a script for the receiving machine, which has one framework and not this project: a folder
    # without __init__.py keeps it out of the package, and so out of the import contracts
    files["predict.py"] = (Path(__file__).parent / "templates" / "predict.py").read_bytes()
    if config.framework == "torch":  # the architecture travels with the weights: the package
        models = Path(__file__).resolve().parent.parent / "models"  # whole, as it imports itself
        for path in sorted(models.glob("*.py")):
            files[f"models/{path.name}"] = path.read_bytes()
    files[MANIFEST] = _manifest(run_id, files)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(f"{run_id}/{name}", ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name])
    return buffer.getvalue()


def curves_csv(progress: Progress) -> bytes:
    """The per-epoch history as CSV: one row per epoch, one column per recorded number."""
    epochs = progress.epochs
    columns = [key for key in (epochs[0] if epochs else {}) if key != "time"]
    text = io.StringIO()
    writer = csv.DictWriter(text, columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(epochs)
    return text.getvalue().encode()


def model_card(run: Run, framework: str, prep) -> str:
    """The model card: what the model is, what it was trained on, what it is for and not for."""
    config, data, result = run.config(), run.data(), run.result()
    val = result.val.to_dict()
    intervals, how = validation_intervals(run, config, result, prep)
    lines = [
        f"# Model card: PneumoLab run {run.id}",
        "",
        NOT_A_MEDICAL_DEVICE,
        "",
        "## Model",
        f"- The talk's CNN (5 conv blocks), trained with **{framework}**; "
        f"{result.parameters or '?'} weights; file `weights/{result.weights}` "
        f"(sha256 `{result.weights_sha256 or '?'}`).",
        f"- Input: {prep.img_size} x {prep.img_size} grayscale, pixels x {prep.rescale:.6g}, "
        f"normalisation `{prep.normalization}`"
        + (f" (mean {prep.mean:.6g}, std {prep.std:.6g})" if prep.mean is not None else "")
        + ".",
        f"- Output: probability of **{prep.class_names[1]}** (class 1; class 0 is "
        f"{prep.class_names[0]}). Threshold {prep.threshold:.4f}: {prep.threshold_rule}.",
        "",
        "## Data",
        f"- Source: `{config.source}` (fingerprint `{data.fingerprint or '?'}`).",
        "- Pediatric chest X-rays, NORMAL vs PNEUMONIA (Kermany et al. 2018, CC BY 4.0), or the "
        "project's synthetic demo images when the source is `synthetic`: a synthetic model has "
        "never seen a real X-ray.",
        f"- Training settings: `{json.dumps(config.to_dict(), sort_keys=True)}`",
        "",
        "## Intended use",
        "- Teaching: how Keras and PyTorch train and explain the same network; comparing runs.",
        "- Not for: diagnosis, triage, screening, or any use on patients.",
        "",
        EXTERNAL_DATA_CAVEAT,
        "",
        "## Metrics (validation split)",
        f"At the recorded threshold {prep.threshold:.4f}; 95% intervals {how}.",
        "",
        "| metric | value | 95% interval |",
        "|---|---|---|",
    ]
    for key in ("auc", "accuracy", "sensitivity", "specificity"):
        interval = intervals.of(key) if intervals else None
        value = interval.estimate if interval else (val.get(key) if key == "auc" else None)
        low, high = (interval.low, interval.high) if interval else (None, None)
        shown = f"{low:.3f} to {high:.3f}" if low is not None and high is not None else "-"
        lines.append(f"| {key} | {'-' if value is None else f'{value:.4f}'} | {shown} |")
    lines += [
        "",
        "## Use it",
        "```",
        "pip install numpy pillow " + ("torch" if framework == "torch" else "keras tensorflow"),
        "python predict.py image.png [more.png ...]",
        "```",
        "",
        "## Licence and attribution",
        ATTRIBUTION,
    ]
    return "\n".join(lines) + "\n"


def validation_intervals(run: Run, config: RunConfig, result, prep) -> tuple[Intervals | None, str]:
    """Bootstrap intervals of the validation metrics: as training recorded them, else computed
    now on the run's validation split (ONNX scoring, resampled by patient), else none."""
    recorded = result.extra.get("val_intervals") or result.val.extra.get("intervals")
    if recorded:
        return Intervals.from_dict(recorded), "as recorded by training"
    from pipeline.evaluate.bootstrap import bootstrap_intervals
    from pipeline.evaluate.scoring import score_run
    from pipeline.inference import load_run_model

    try:
        loaded = load_run_model(run.id, backend="onnx")
        scored = score_run(run.id, config.source, "val", loaded=loaded)
    except Exception as error:  # the source is not on this machine, or cannot be read
        return None, f"not computable here (the validation data is unavailable: {error})"
    intervals = bootstrap_intervals(
        scored.labels, scored.probabilities, prep.threshold, groups=scored.patients
    )
    return intervals, (
        f"from {scored.n} validation images at export, bootstrap resampling patients"
    )


def _manifest(run_id: str, files: dict[str, bytes]) -> bytes:
    checksums = {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())}
    return json.dumps({"run_id": run_id, "format": 1, "sha256": checksums}, indent=2).encode()


# ---- import ----


def import_run(path: Path, origin: str = "imported") -> Run:
    """Add the run in zip ``path`` to the store, after checking every file against the manifest
    and the weights against result.json; ExportError says what is wrong. A run already in the
    store with the same files is left as it is; one that differs is refused."""
    files = _read_zip(Path(path))
    manifest = json.loads(files.pop(MANIFEST))
    run_id = manifest.get("run_id", "")
    Run(run_id)  # RunError for a malformed id
    for name, digest in manifest["sha256"].items():
        if hashlib.sha256(files.get(name, b"")).hexdigest() != digest:
            raise ExportError(f"{path}: {name} does not match its checksum; the zip is damaged")
    result = json.loads(files["result.json"])
    weights = f"weights/{result.get('weights')}"
    if hashlib.sha256(files.get(weights, b"")).hexdigest() != result.get("weights_sha256"):
        raise ExportError(f"{path}: {weights} does not match the sha256 its training recorded")
    run_files = {
        name: data
        for name, data in files.items()
        if name in RUN_FILES or name.startswith("weights/")
    }
    target = runs_root() / run_id
    with store_lock():
        if target.exists():
            if all(
                (target / n).is_file() and (target / n).read_bytes() == d
                for n, d in run_files.items()
                if n != "status.json"
            ):
                return Run(run_id)
            raise ExportError(
                f"run {run_id} is already in the store with other files; delete it first "
                f"(`python -m pipeline.runs delete {run_id}`)"
            )
        staging = Path(tempfile.mkdtemp(prefix=f".import-{run_id}-", dir=runs_root()))
        try:
            for name, data in run_files.items():
                (staging / name).parent.mkdir(parents=True, exist_ok=True)
                (staging / name).write_bytes(data)
            status = _read_json_bytes(run_files.get("status.json", b"")) or {}
            if status.get("status") != "finished":
                raise ExportError(f"{path}: run {run_id} is not a finished run")
            write_json(staging / ORIGIN_FILE, {"origin": origin, "zip": Path(path).name})
            os.replace(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return Run(run_id)


def _read_zip(path: Path) -> dict[str, bytes]:
    """The files of an exported run, by name inside the run's folder."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if sum(info.file_size for info in infos) > MAX_IMPORT_BYTES:
                raise ExportError(f"{path}: unpacks to more than {MAX_IMPORT_BYTES >> 20} MB")
            files = {}
            for info in infos:
                _, _, name = info.filename.partition("/")
                if not name or ".." in Path(name).parts or name.startswith("/"):
                    raise ExportError(f"{path}: unexpected entry {info.filename!r}")
                files[name] = archive.read(info)
    except (zipfile.BadZipFile, OSError) as error:
        raise ExportError(f"{path}: not a readable zip ({error})") from None
    if MANIFEST not in files:
        raise ExportError(
            f"{path}: no {MANIFEST}; export runs with `python -m pipeline.runs export`"
        )
    return files


def zip_run_id(path: Path) -> str | None:
    """The run id a zip holds, from its manifest (None if unreadable)."""
    try:
        return (_read_json_bytes(_read_zip(Path(path))[MANIFEST]) or {}).get("run_id")
    except (ExportError, RunError):
        return None


def _read_json_bytes(data: bytes) -> dict | None:
    """The JSON in ``data``, or None where it is not JSON."""
    try:
        return json.loads(data)
    except ValueError:
        return None
