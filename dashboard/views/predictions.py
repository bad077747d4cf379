"""Predictions: one X-ray, both frameworks' verdicts, and where each model looked.

The answer first: for the chosen run of each framework, side by side, the probability of
PNEUMONIA, the label at the run's threshold and a class-activation map (Grad-CAM by default),
then each map's faithfulness (ROAD) and the agreement of the two maps. Below them, the choices
that gave them: the runs, a test image (by class, outcome and confidence, or from the gallery of
mistakes) or an upload, the method, layer and overlay; they run first and the answer's container,
taken at the top, is filled after. On synthetic data the lesion is outlined and the pointing game
scores each framework's maps over the whole test split.

Models load once per process (st.cache_resource), the torch stack before TensorFlow; maps
and scores are cached per run, method, layer and image (in ``dashboard.cache.scores``, shared with
the warm-up), so moving a slider costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from dashboard.app.first_view import (
    IMAGE_FILTER,
    MAP_LAYER,
    MAP_METHOD,
    MAP_TARGET,
    map_layer,
    predictions_candidates,
)
from dashboard.cache.datasets import source_fingerprint
from dashboard.cache.scores import (
    framework_stack,
    heatmap,
    pointing,
    probability,
    test_probabilities,
    test_split,
    verdict,
)
from dashboard.cache.trained_models import model_of, updated
from dashboard.context.deployment import model_backend
from dashboard.context.source import active_source
from dashboard.widgets import robustness
from dashboard.widgets.common import (
    FRAMEWORK_NAMES,
    image_grid,
    pick_run,
    stop_unreadable_source,
    stop_without_runs,
)
from dashboard.widgets.slide import Slide, presenting
from pipeline.data import CLASS_NAMES, SourceError, open_source
from pipeline.data.images import (
    IMAGE_EXTENSIONS,
    MAX_UPLOAD_MB,
    ImageError,
    code_span,
    printable_name,
    read_upload,
)
from pipeline.evaluate.selection import OUTCOMES, ImageFilter, confident_mistakes, matching_images
from pipeline.explain import CONV_LAYERS, DEFAULT_METHOD, MIN_MAP_SIDE, default_layer
from pipeline.explain.overlay import overlay
from pipeline.explain.scores import TOP_FRACTION, agreement
from pipeline.runs import finished_runs
from pipeline.runs.provenance import provenance
from pipeline.talk import notes

DISPLAY_SIZE = 320  # small training sizes are enlarged so the maps can be read
GALLERY_SIZE = 12
GALLERY_COLUMNS = 6


# ---- choosing runs and an image ----


def choose_runs() -> dict[str, str]:
    """The finished run picked for each framework (by default ``first_view.predictions_runs``:
    the best on the active source, else the best that share its labels)."""
    if not finished_runs():
        stop_without_runs()
    chosen = {}
    candidates = predictions_candidates(active_source())
    for column, (framework, name) in zip(st.columns(len(FRAMEWORK_NAMES)), FRAMEWORK_NAMES.items()):
        runs = candidates[framework]
        if not runs:
            column.caption(f"No finished {name} run.")
            continue
        chosen[framework] = pick_run(
            f"{name} run",
            runs,
            f"predictions_run_{framework}",
            prefer_source=active_source(),
            container=column,
            with_framework=False,
        )
    return chosen


def load_models(chosen: dict[str, str]) -> dict:
    """Loaded models by framework; a run that cannot be loaded gets a message, not a traceback."""
    from pipeline.inference import ModelLoadError

    loaded = {}
    for framework, run_id in chosen.items():
        try:
            loaded[framework] = model_of(run_id)
        except ModelLoadError as error:
            st.error(f"{FRAMEWORK_NAMES[framework]} run {run_id} cannot be used: {error}")
    if not loaded:
        st.stop()
    return loaded


def pick_test_image(models: dict, source: str, fingerprint: str) -> dict:
    """Per framework: the chosen test image at its run's size, with its mask; and its truth."""
    splits = {fw: test_split(source, fingerprint, m.img_size) for fw, m in models.items()}
    by = st.radio(
        "Filter by the predictions of",
        list(models),  # the first framework's by default, as ``first_view.first_image``
        format_func=FRAMEWORK_NAMES.get,
        horizontal=True,
        key="predictions_filter_by",
    )
    reference, threshold = splits[by], models[by].threshold
    if len(reference) == 0:
        st.warning(f"The test split of {source} is empty: upload an image instead.")
        st.stop()
    scores = test_probabilities(models[by].run_id, updated(models[by].run_id), source, fingerprint)
    matching = matching_images(reference.labels, scores, threshold, choose_filter())
    gallery(reference, scores, threshold, FRAMEWORK_NAMES[by])
    if len(matching) == 0:
        st.warning(
            "No test image matches these filters: widen the band or change the class or outcome."
        )
        st.stop()
    index = st.selectbox(
        f"Test image ({len(matching)} match)",
        matching.tolist(),
        key="predictions_image",
        format_func=lambda i: (
            f"#{i} · {CLASS_NAMES[reference.labels[i]]} · "
            f"P(PNEUMONIA) {scores[i]:.2f} by {FRAMEWORK_NAMES[by]}"
        ),
    )
    origin = reference.origins[index]
    images = {}
    for framework, split in splits.items():
        position = int(np.flatnonzero(split.origins == origin)[0])
        images[framework] = {
            "pixels": split.images[position],
            "mask": split.masks[position] if split.masks is not None else None,
        }
    return {
        "images": images,
        "truth": CLASS_NAMES[reference.labels[index]],
        "name": f"test image #{index}",
    }


def choose_filter() -> ImageFilter:
    """Class, outcome and probability band in one row, starting at ``first_view.IMAGE_FILTER``."""
    class_column, outcome_column, band_column = st.columns(3)
    classes, outcomes = ("all", *CLASS_NAMES), OUTCOMES
    return ImageFilter(
        wanted_class=class_column.selectbox(
            "Class",
            classes,
            index=classes.index(IMAGE_FILTER.wanted_class),
            key="predictions_class",
        ),
        outcome=outcome_column.selectbox(
            "Outcome",
            outcomes,
            index=outcomes.index(IMAGE_FILTER.outcome),
            key="predictions_outcome",
        ),
        band=band_column.slider(
            "P(PNEUMONIA) between", 0.0, 1.0, IMAGE_FILTER.band, 0.05, key="predictions_band"
        ),
    )


def gallery(split, scores: np.ndarray, threshold: float, name: str) -> None:
    shown, wrong = confident_mistakes(split.labels, scores, threshold, GALLERY_SIZE)
    with st.expander(f"Gallery: the {wrong} test images {name} gets wrong"):
        if wrong == 0:
            st.write("None.")
            return
        image_grid(
            [split.images[i] for i in shown],
            [f"#{i} {CLASS_NAMES[split.labels[i]]}, P {scores[i]:.2f}" for i in shown],
            GALLERY_COLUMNS,
        )
        st.caption(
            "Most confident mistakes first; pick one by its number in the list below "
            "(Outcome: wrong)."
        )


def upload_image(models: dict) -> dict:
    upload = st.file_uploader(
        f"Chest X-ray (PNG, JPEG or another image; up to {MAX_UPLOAD_MB} MB)",
        type=sorted(e.lstrip(".") for e in IMAGE_EXTENSIONS),
        key="predictions_upload",
    )
    if upload is None:
        st.info(
            "Upload an image: it is converted exactly as training images are (grayscale, "
            "EXIF orientation applied, the run's size)."
        )
        st.stop()
    name = code_span(printable_name(upload.name))  # a file name is shown as text, whatever it holds
    images, notes = {}, ()
    for framework, loaded in models.items():
        try:
            converted = read_upload(upload.getvalue(), loaded.img_size)
        except ImageError as error:
            st.error(f"{name} cannot be used: {error}. Upload a PNG or JPEG chest X-ray.")
            st.stop()
        images[framework], notes = {"pixels": converted.pixels, "mask": None}, converted.notes
    st.caption(f"{name}: " + "; ".join(notes) if notes else name)
    return {"images": images, "truth": None, "name": upload.name}


# ---- choosing the map ----


@dataclass(frozen=True)
class MapSettings:
    """How the maps are drawn: the method, each framework's layer, the class and the overlay."""

    method: str
    layers: dict[str, str]
    target: int
    target_name: str
    opacity: float
    outline: bool
    measure_road: bool


def choose_image(models: dict, source: str, fingerprint: str) -> dict:
    """A test image (filtered, or from the gallery of mistakes) or an upload."""
    mode = st.radio(
        "Image", ("From the test split", "Upload"), horizontal=True, key="predictions_mode"
    )
    if mode == "Upload":
        return upload_image(models)
    try:
        return pick_test_image(models, source, fingerprint)
    except (SourceError, OSError, ValueError) as error:
        stop_unreadable_source(source, error, "At this run's size, the test split of")


def choose_map(models: dict, available: dict, picked: dict) -> MapSettings:
    """Method, target layer, class and opacity in one row; the lesion outline and ROAD below."""
    method_keys = list(
        dict.fromkeys(key for fw in ("torch", "keras") if fw in models for key in available[fw])
    )
    method_column, layer_column, target_column, opacity_column = st.columns(4)
    method = method_column.selectbox(
        "Method",
        method_keys,
        index=method_keys.index(MAP_METHOD),
        key="predictions_method",
        format_func=lambda key: next(m[key].label for m in available.values() if key in m),
    )
    layers = (MAP_LAYER, *CONV_LAYERS)
    layer_choice = layer_column.selectbox(
        "Target layer",
        layers,
        key="predictions_layer",
        format_func=lambda name: (
            "auto: "
            + ", ".join(
                f"{FRAMEWORK_NAMES[fw]} {default_layer(m.img_size)}" for fw, m in models.items()
            )
            if name == "auto"
            else name
        ),
        help=f"auto: the last conv layer whose map has at least {MIN_MAP_SIDE} x {MIN_MAP_SIDE} cells (conv5 from "
        "96 px up, conv4 at 64 px). A coarser map cannot point at a lesion; earlier layers give finer, "
        "less class-specific maps.",
    )
    targets = ("PNEUMONIA", "NORMAL")
    target_name = target_column.selectbox(
        "Evidence for", targets, index=targets.index(MAP_TARGET), key="predictions_target"
    )
    opacity = opacity_column.slider(
        "Heatmap opacity", 0.0, 1.0, 0.5, 0.05, key="predictions_opacity"
    )
    return MapSettings(
        method=method,
        layers={fw: map_layer(m.img_size, layer_choice) for fw, m in models.items()},
        target=CLASS_NAMES.index(target_name),
        target_name=target_name,
        opacity=opacity,
        outline=choose_outline(picked),
        measure_road=choose_road(),
    )


def choose_outline(picked: dict) -> bool:
    """The synthetic lesion's outline, offered only when the image has one."""
    has_mask = any(
        image["mask"] is not None and image["mask"].any() for image in picked["images"].values()
    )
    return has_mask and st.toggle(
        "Outline the lesion (synthetic ground truth)", value=True, key="predictions_outline"
    )


def choose_road() -> bool:
    """Whether to measure each map's faithfulness (ROAD); never under ONNX Runtime."""
    if model_backend() == "onnx":  # ROAD runs pytorch-grad-cam's metric: it needs torch loaded
        st.caption(
            "Faithfulness (ROAD) is not measured on this shared deployment: it needs PyTorch "
            "loaded in the app, which does not fit its memory. The maps come from each run's ONNX "
            "graph (the same maps as the frameworks', tested)."
        )
        return False
    return st.toggle(
        "Faithfulness (ROAD: a few seconds per new map)", value=True, key="predictions_road"
    )


# ---- the verdicts and maps ----


def basis_caption(models: dict, source: str) -> str:
    """Which runs gave the verdicts, and what they trained on: one line under them."""
    parts = []
    for framework, loaded in models.items():
        basis = provenance(loaded.run_id, source, "test")
        parts.append(f"{FRAMEWORK_NAMES[framework]} run {loaded.run_id[:8]}: {basis.label}")
    return "; ".join(parts)


def show_verdicts(picked: dict, models: dict, available: dict, settings: MapSettings) -> dict:
    """Each framework's verdict and map side by side; returns the maps by framework."""
    if picked["truth"]:
        st.markdown(f"**{picked['name']}**, true class **{picked['truth']}**")
    maps = {}
    for column, (framework, loaded) in zip(st.columns(len(models)), models.items()):
        with column:
            maps[framework] = show_verdict(
                framework, loaded, picked["images"][framework], available, settings
            )
    return maps


def show_verdict(
    framework: str, loaded, image: dict, available: dict, settings: MapSettings
) -> np.ndarray:
    """One framework's column: P(PNEUMONIA), the label at its threshold, the map and its ROAD."""
    on_slide, methods = presenting(), available[framework]
    used = settings.method if settings.method in methods else DEFAULT_METHOD
    stamp, layer = updated(loaded.run_id), settings.layers[framework]
    p, cam, road = verdict(
        loaded.run_id, stamp, used, layer, settings.target, image["pixels"], settings.measure_road
    )
    caption = f"{methods[used].label}, {layer}, evidence for {settings.target_name}"
    if on_slide and road is not None:  # one line under the map, not a metric below it
        caption += f" · faithfulness (ROAD) {road:+.3f}"
    st.subheader(FRAMEWORK_NAMES[framework])
    label = "PNEUMONIA" if p >= loaded.threshold else "NORMAL"
    st.metric("P(PNEUMONIA)", f"{p:.3f}")
    st.markdown(f"Label **{label}** at threshold {loaded.threshold:.3f}")
    st.image(
        overlay(
            image["pixels"],
            cam,
            settings.opacity,
            image["mask"] if settings.outline else None,
            size=max(DISPLAY_SIZE, loaded.img_size),
        ),
        caption=caption,
        width="stretch",
    )
    if not on_slide:  # under the map, which comes first; on a slide it would push the map off
        st.caption(f"The threshold's rule: {loaded.threshold_origin}")
    if used != settings.method:
        st.caption(
            f"{available['torch'][settings.method].label} has no Keras version here: Grad-CAM shown."
        )
    if road is not None and not on_slide:
        st.metric(
            "Faithfulness (ROAD)",
            f"{road:+.3f}",
            help="Logit kept when the least relevant pixels are removed minus logit kept when "
            "the most relevant are removed, halved, averaged over 20-80% removed. "
            "Higher is more faithful; about 0 is no better than a random map.",
        )
    return cam


def show_agreement(maps: dict) -> None:
    if len(maps) == 2:
        score = agreement(maps["keras"], maps["torch"])
        st.metric(
            f"Agreement: IoU of the two maps' top {TOP_FRACTION:.0%} regions",
            "no hot region in a map" if np.isnan(score) else f"{score:.2f}",
            help="1: both models single out the same pixels; 0: disjoint regions.",
        )


def show_pointing_game(models: dict, layers: dict, source: str, fingerprint: str) -> None:
    """On synthetic data only: how often each framework's map peaks inside the lesion."""
    if open_source(source).kind != "synthetic":  # the one source whose lesions are known
        return
    st.subheader("Pointing game over the test split")
    st.caption(
        "Does the hottest pixel of Grad-CAM (evidence for PNEUMONIA) fall inside the synthetic lesion? "
        "Over every PNEUMONIA test image. Chance is where a random point lands; the best fixed point is a "
        "map that only knows where lesions usually are; a map from a layer's g x g grid can only peak at "
        "g x g places, which bounds its hit rate."
    )
    rows = {
        FRAMEWORK_NAMES[fw]: pointing(
            loaded.run_id, updated(loaded.run_id), layers[fw], source, fingerprint
        )
        for fw, loaded in models.items()
    }
    table = pd.DataFrame.from_dict(rows, orient="index")
    percent = (
        "hit rate",
        "chance (random point)",
        "best fixed point",
        "best on this layer's grid",
    )
    st.dataframe(table.style.format(dict.fromkeys(percent, "{:.1%}")), width="stretch")


def show_shortcuts(models: dict, source: str, fingerprint: str) -> None:
    """Grad-CAM mass on borders, markers and off the lungs over the test split, per framework."""
    st.subheader("Shortcut check over the test split")
    st.caption(
        "Does each model look at the lungs, or at what marks the hospital: the borders and "
        "corners, burned-in letters, the neck above the lungs? Found without hand-drawn masks."
    )

    def show_image(framework: str, run_id: str, origin: str, predicted: int) -> None:
        loaded = models[framework]
        split = test_split(source, fingerprint, loaded.img_size)
        index = int(np.flatnonzero(split.origins == origin)[0])
        pixels = split.images[index]
        layer = default_layer(loaded.img_size)
        cam = heatmap(run_id, updated(run_id), DEFAULT_METHOD, layer, predicted, pixels)
        st.image(
            overlay(pixels, cam, 0.5, size=max(160, loaded.img_size)),
            caption=f"{printable_name(origin.rsplit('/', 1)[-1], 28)}: "
            f"{CLASS_NAMES[split.labels[index]]}, called {CLASS_NAMES[predicted]}",
            width="stretch",
        )

    robustness.shortcuts_panel(
        {fw: loaded.run_id for fw, loaded in models.items()}, source, show_image
    )


# ---- the page ----


def main() -> None:
    st.title("Predictions and Grad-CAM")
    source = active_source()
    try:
        fingerprint = source_fingerprint(source)
    except (SourceError, OSError, ValueError) as error:
        stop_unreadable_source(source, error)

    slide = Slide()
    answer = slide.key()  # both verdicts and maps lead the page, in and out of presenter mode
    after_answer = st.container()
    if not presenting():  # on a slide they are folded into the controls' expanders
        st.subheader("Runs, image and map")
        st.caption(
            "Both frameworks' verdict on one X-ray, and where each model looked: the runs, the "
            "X-ray and the map chosen here give the verdicts above."
        )
    with slide.controls("Runs"):
        chosen = choose_runs()
    available = framework_stack(tuple(sorted(chosen)))
    models = load_models(chosen)
    with slide.controls("Image, method and layer"):
        picked = choose_image(models, source, fingerprint)
        settings = choose_map(models, available, picked)

    with answer:
        maps = show_verdicts(picked, models, available, settings)
        st.caption(basis_caption(models, source))
    with after_answer:
        show_agreement(maps)
    show_pointing_game(models, settings.layers, source, fingerprint)
    probabilities = {
        FRAMEWORK_NAMES[fw]: probability(
            m.run_id, updated(m.run_id), picked["images"][fw]["pixels"]
        )
        for fw, m in models.items()
    }
    thresholds = {FRAMEWORK_NAMES[fw]: m.threshold for fw, m in models.items()}
    slide.notes(notes.predictions(picked, probabilities, thresholds))

    show_shortcuts(models, source, fingerprint)


main()
