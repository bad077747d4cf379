"""Augmentation studio: one spec, previewed through ImageDataGenerator and torchvision side by side.

The sidebar's parameter widgets are generated from ``pipeline.augment.spec.FIELDS`` (the same
declaration that validates a spec), so the page, the JSON files and the training page can never
disagree about a parameter's name or range. The spec lives in session state as an
``AugmentSpec``: widgets are refilled from it whenever Streamlit dropped them (after visiting
another page) or a preset or an uploaded file replaced it.

Below the studio, the Search section (``dashboard.widgets.search``) runs an Optuna search of the
spec outside this script and follows it; it previews a trial with the studio's own drawing
(``show_trial_samples``) and hands the best spec to the studio through ``load_into_widgets``.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import streamlit as st

from dashboard.cache.datasets import cached_arrays, source_fingerprint
from dashboard.context.deployment import with_frameworks
from dashboard.context.source import active_source
from dashboard.widgets.common import stop_unreadable_source
from dashboard.widgets.search import search_section
from dashboard.widgets.slide import Slide
from pipeline.augment.balance import MIX_COLUMNS, batch_mix, keras_class_weights
from pipeline.augment.codegen import balance_code, keras_code, torch_code
from pipeline.augment.differences import differences
from pipeline.augment.draws import COLUMNS
from pipeline.augment.preview import MAX_SAMPLES, Preview, Rendered
from pipeline.augment.spec import (
    FIELDS,
    PRESETS,
    AugmentSpec,
    SpecError,
    load_for_training,
    save_for_training,
    training_spec_path,
)
from pipeline.augment.stats import DatasetStats, agreement
from pipeline.data import CLASS_NAMES, SourceError, load_image
from pipeline.data.images import (
    IMAGE_EXTENSIONS,
    ImageError,
    code_span,
    escape_markdown,
    printable_name,
    read_upload,
)
from pipeline.talk import notes

PREVIEW_SIZES = (128, 150, 224)
SPEC_KEY = "aug_spec"  # the current AugmentSpec (not a widget: survives page changes)
MESSAGE_KEY = "aug_message"  # (kind, text) left by a callback for the next run to show
# the difference view multiplies grey-level differences by this to make them visible
DIFFERENCE_GAIN = 8
STATUS_BADGES = {  # how "What differs" marks each parameter
    "same": ":green-badge[same]",
    "close": ":blue-badge[close]",
    "differs": ":orange-badge[differs]",
    "not expressible": ":red-badge[not expressible]",
}


# ---- the spec <-> the sidebar widgets ----


def widget_key(name: str) -> str:
    return f"aug_field_{name}"


def load_into_widgets(spec: AugmentSpec) -> None:
    """Set every parameter widget to ``spec`` (only from callbacks or before the widgets exist)."""
    for field in FIELDS:
        value = getattr(spec, field.name)
        if field.kind == "range":
            st.session_state[widget_key(field.name) + "_on"] = value is not None
            value = value or (
                1 - field.step * 4,
                1 + field.step * 4,
            )  # a sensible range to start from
        st.session_state[widget_key(field.name)] = value
    st.session_state[SPEC_KEY] = spec


def initial_spec() -> AugmentSpec:
    """The spec saved for training, else the talk's settings."""
    try:
        return load_for_training() or PRESETS["talk"]
    except (SpecError, OSError):
        return PRESETS["talk"]


def apply_preset() -> None:
    load_into_widgets(PRESETS[st.session_state["aug_preset"]])


def apply_uploaded_spec() -> None:
    upload = st.session_state.get("aug_spec_upload")
    if upload is None:
        return
    try:
        spec = AugmentSpec.from_json(upload.getvalue())
    except SpecError as error:
        st.session_state[MESSAGE_KEY] = (
            "error",
            f"{code_span(printable_name(upload.name))} was not applied. {error}",
        )
        return
    load_into_widgets(spec)
    st.session_state[MESSAGE_KEY] = (
        "success",
        f"Applied {code_span(printable_name(upload.name))} (spec {spec.stable_hash()}).",
    )


def parameter_widget(field) -> object:
    """One sidebar widget for ``field``, chosen by its kind; returns the spec value."""
    key, sidebar = widget_key(field.name), st.sidebar
    if field.kind == "bool":
        return sidebar.checkbox(field.label, key=key, help=field.help)
    if field.kind == "choice":
        return sidebar.selectbox(field.label, field.choices, key=key, help=field.help)
    if field.kind == "range":
        on = sidebar.checkbox(field.label, key=key + "_on", help=field.help)
        pair = sidebar.slider(
            f"{field.label}: min, max",
            float(field.low),
            float(field.high),
            step=field.step,
            key=key,
            disabled=not on,
            label_visibility="collapsed",
        )
        return tuple(pair) if on else None
    if field.step is None:  # rescale: any positive multiplier, typed
        return sidebar.number_input(
            field.label,
            float(field.low),
            float(field.high),
            key=key,
            format="%.8f",
            help=field.help,
        )
    number = int if field.kind == "int" else float  # the slider's type follows its bounds'
    return sidebar.slider(
        field.label,
        number(field.low),
        number(field.high),
        step=number(field.step),
        key=key,
        help=field.help,
    )


def spec_from_sidebar() -> AugmentSpec | None:
    if SPEC_KEY not in st.session_state:
        load_into_widgets(initial_spec())
    keys = [widget_key(f.name) for f in FIELDS] + [
        widget_key(f.name) + "_on" for f in FIELDS if f.kind == "range"
    ]
    if any(key not in st.session_state for key in keys):
        load_into_widgets(st.session_state[SPEC_KEY])  # Streamlit drops widget state on other pages
    if "aug_preset" not in st.session_state:
        st.session_state["aug_preset"] = next(
            (n for n, p in PRESETS.items() if p == st.session_state[SPEC_KEY]), "talk"
        )
    sidebar = st.sidebar
    sidebar.header("Augmentation")
    sidebar.selectbox(
        "Preset",
        list(PRESETS),
        key="aug_preset",
        on_change=apply_preset,
        help="none: identity · talk: an ImageDataGenerator as in the talk, with values of the "
        "app's choice (the slides give none: rotation 30, zoom 0.2, shifts 0.1, horizontal flip) "
        "· light: small moves, brightness ±10 %, no flip · strong: larger moves, shear 10, "
        "brightness ±30 %, flip",
    )
    values = {field.name: parameter_widget(field) for field in FIELDS}
    try:
        spec = AugmentSpec(**values)
    except SpecError as error:
        sidebar.error(str(error))
        return None
    st.session_state[SPEC_KEY] = spec
    preset = st.session_state["aug_preset"]
    if PRESETS[preset] == spec:
        sidebar.caption(f"Spec `{spec.stable_hash()}`")
    else:
        sidebar.caption(f"Spec `{spec.stable_hash()}`, changed from preset *{preset}*")
        sidebar.button(f"Back to preset {preset}", key="aug_reset", on_click=apply_preset)
    return spec


# ---- cached computations ----


@st.cache_data(show_spinner="Computing the training split's mean and std...", max_entries=16)
def split_statistics(
    source: str, fingerprint: str, size: int, rescale: float, method: str
) -> DatasetStats:
    """``pipeline.augment.stats.split_stats``. The training split at ``size`` is read for it and
    let go after (the page holds the source at 128 px only); both ways import a framework."""
    return with_frameworks("pipeline.augment.stats", "split_stats", source, size, rescale, method)


@st.cache_data(show_spinner=False, max_entries=64)
def one_image(source: str, fingerprint: str, origin: str, size: int) -> np.ndarray:
    """One image at the preview size, decoded alone (``pipeline.data.load_image``)."""
    return load_image(source, origin, size)


@st.cache_data(
    show_spinner="Augmenting (the first time loads Keras and PyTorch, which takes a while)...",
    max_entries=32,
)
def render(args: tuple) -> Rendered:
    """``pipeline.augment.preview.rendered(*args)``, which imports both frameworks; the
    arguments as one tuple, so that its parameters are listed once, there."""
    return with_frameworks("pipeline.augment.preview", "rendered", *args)


def rendered_for(
    spec: AugmentSpec, image: np.ndarray, count: int, source: str, size: int, difference: bool
) -> tuple[Rendered, DatasetStats | None]:
    """``spec``'s samples of ``image`` at the studio's seed, and the split statistics that
    per-dataset normalisation needs (None otherwise): the studio and a search trial's preview
    are drawn the same way."""
    stats = None
    if spec.normalization == "per_dataset":
        stats = split_statistics(
            source, source_fingerprint(source), size, spec.rescale, "precomputed"
        )
    seed = st.session_state["aug_seed"]
    return render((spec, image, count, seed, stats, difference, DIFFERENCE_GAIN)), stats


# ---- sections ----


def choose_image(arrays, source: str, size: int) -> tuple[np.ndarray, str] | None:
    """The image to augment and a caption for it, or None (with a message) when there is none.
    ``arrays`` (the source at 128 px) says which images there are; the chosen one is decoded at
    ``size``."""
    how = st.radio(
        "Image",
        ["By class", "Random", "Upload"],
        horizontal=True,
        key="aug_pick",
        label_visibility="collapsed",
    )
    if how == "Upload":
        return uploaded_image(size)
    train = np.flatnonzero(arrays.splits == "train")
    if how == "Random":
        index = random_index(train)
        if index is None:
            st.warning("The training split of this source is empty.")
            return None
    else:
        index = index_by_class(arrays, train)
        if index is None:
            return None
    return image_at(arrays, index, source, size)


def uploaded_image(size: int) -> tuple[np.ndarray, str] | None:
    """An uploaded X-ray, converted as training images are, or None (with a message)."""
    upload = st.file_uploader(
        "An X-ray image",
        type=sorted(e.lstrip(".") for e in IMAGE_EXTENSIONS),
        key="aug_image_upload",
    )
    if upload is None:
        st.info(
            "Upload an image to augment it (it is converted as training images are: grayscale, square)."
        )
        return None
    name = printable_name(upload.name)
    try:
        converted = read_upload(upload.getvalue(), size)
    except ImageError as error:
        st.error(f"{code_span(name)} cannot be used: {error}. Upload a PNG or JPEG X-ray.")
        return None
    if converted.notes:
        st.caption(f"{code_span(name)}: " + "; ".join(converted.notes))
    return converted.pixels, f"uploaded: {escape_markdown(name)}"  # image captions are Markdown


def random_index(train: np.ndarray) -> int | None:
    """A training image drawn at random; the button draws another (a new seed, so it repeats)."""
    draw = st.session_state.get("aug_random_draw", 0)
    st.button(
        "Another random image",
        icon=":material/casino:",
        key="aug_random",
        on_click=lambda: st.session_state.update(aug_random_draw=draw + 1),
    )
    return int(np.random.default_rng(draw).choice(train)) if len(train) else None


def index_by_class(arrays, train: np.ndarray) -> int | None:
    """The n-th training image of a chosen class, or None (with a message) when it has none."""
    left, right = st.columns(2)
    label = CLASS_NAMES.index(left.selectbox("Class", CLASS_NAMES, key="aug_class"))
    of_class = train[arrays.labels[train] == label]
    if not len(of_class):
        st.warning(f"The training split has no {CLASS_NAMES[label]} image.")
        return None
    if st.session_state.get("aug_number", 0) >= len(of_class):
        st.session_state["aug_number"] = len(of_class) - 1  # another class or source has fewer
    number = right.number_input(
        f"Image (0-{len(of_class) - 1})", 0, len(of_class) - 1, key="aug_number"
    )
    return int(of_class[number])


def image_at(arrays, index: int, source: str, size: int) -> tuple[np.ndarray, str] | None:
    """Training image ``index`` at ``size`` px and its caption (origin and class)."""
    origin = str(arrays.origins[index])
    if arrays.images.shape[1] == size:
        pixels = arrays.images[index]
    else:
        try:
            pixels = one_image(source, source_fingerprint(source), origin, size)
        except (SourceError, OSError) as error:
            st.error(f"This image cannot be shown at {size} px: {error}")
            return None
    return pixels, f"{origin} ({CLASS_NAMES[arrays.labels[index]]})"


def sample_controls() -> int:
    """Samples per framework, the seed and the re-draw button; returns the sample count."""
    count_column, seed_column, redraw_column = st.columns([2, 1, 1])
    st.session_state.setdefault("aug_count", 8)
    st.session_state.setdefault("aug_seed", 0)
    count = count_column.slider("Samples per framework", 1, MAX_SAMPLES, key="aug_count")
    seed_column.number_input("Seed", 0, 2**31 - 1, key="aug_seed")
    redraw_column.button(
        "Re-draw",
        icon=":material/refresh:",
        key="aug_redraw",
        on_click=lambda: st.session_state.update(aug_seed=st.session_state["aug_seed"] + 1),
    )
    return count


def show_samples(rendered: Rendered) -> None:
    preview = rendered.preview
    keras_side, torch_side = st.columns(2)
    captions = [f"#{i}" for i in range(len(rendered.keras))]
    width = 110 if len(captions) > 4 else 160
    keras_side.markdown("**Keras** `ImageDataGenerator`")
    keras_side.image(rendered.keras, caption=captions, width=width)
    torch_side.markdown("**PyTorch** `torchvision.transforms.v2`")
    torch_side.image(rendered.torch, caption=captions, width=width)
    st.caption(
        f"Both from seed {st.session_state['aug_seed']} (each library draws its own numbers). "
        f"Computed in {preview.seconds['keras'] * 1000:.0f} ms (Keras) and "
        f"{preview.seconds['torch'] * 1000:.0f} ms (torchvision)."
    )


def show_trial_samples(
    spec: AugmentSpec, image: np.ndarray, count: int, source: str, size: int
) -> None:
    """A search trial's spec on the studio's image, drawn as the studio draws its own."""
    show_samples(rendered_for(spec, image, count, source, size, difference=False)[0])


def show_drawn(preview: Preview) -> None:
    rows = [
        {"sample": i, "framework": name, **draw.to_dict()}
        for i, pair in enumerate(zip(preview.keras_draws, preview.torch_draws))
        for name, draw in zip(("Keras", "torchvision"), pair)
    ]
    st.dataframe(pd.DataFrame(rows).rename(columns=COLUMNS), hide_index=True, width="stretch")
    st.caption(
        "One convention for both: angles counter-clockwise, shifts in pixels (right, down), shear "
        "moving the top to the right, scale > 1 = zoomed in. Keras draws its x and y zoom separately."
    )


def show_difference(rendered: Rendered) -> None:
    st.markdown(
        "Each torchvision sample next to **Keras applying the same drawn parameters**: what is left "
        f"is the libraries, not the dice. Differences are multiplied by {DIFFERENCE_GAIN}."
    )
    if not st.toggle("Show the difference view", key="aug_difference"):
        return
    shown = range(min(len(rendered.torch), 8))
    st.image(
        [rendered.torch[i] for i in shown],
        caption=[f"torchvision #{i}" for i in shown],
        width=110,
    )
    st.image(
        [rendered.replay[i] for i in shown],
        caption=[f"Keras, same draw #{i}" for i in shown],
        width=110,
    )
    st.image(
        [rendered.gaps[i] for i in shown],
        caption=[rendered.gap_captions[i] for i in shown],
        width=110,
    )


def show_differences(spec: AugmentSpec) -> None:
    st.markdown(
        "\n".join(
            f"- **{d.parameter}** {STATUS_BADGES[d.status]} {d.text}" for d in differences(spec)
        )
    )


def show_normalisation(preview: Preview, spec: AugmentSpec, source: str, size: int) -> None:
    st.markdown(
        "**Keras fits the statistics, PyTorch makes you compute them.** Both over the training split, "
        "streamed in chunks, after rescale:"
    )
    if st.button("Compute mean and std both ways", key="aug_compute_stats"):
        st.session_state["aug_stats_wanted"] = True
    if st.session_state.get("aug_stats_wanted"):
        fingerprint = source_fingerprint(source)
        fitted = split_statistics(source, fingerprint, size, spec.rescale, "fit")
        computed = split_statistics(source, fingerprint, size, spec.rescale, "precomputed")
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "way": "Keras: ImageDataGenerator.fit (per chunk, pooled)",
                        "mean": fitted.mean,
                        "std": fitted.std,
                        "images": fitted.images,
                        "seconds": round(fitted.seconds, 2),
                    },
                    {
                        "way": "PyTorch: sums computed beforehand -> Normalize",
                        "mean": computed.mean,
                        "std": computed.std,
                        "images": computed.images,
                        "seconds": round(computed.seconds, 2),
                    },
                ]
            ),
            hide_index=True,
            width="stretch",
        )
        st.caption(f"They agree to a relative {agreement(fitted, computed):.1e}.")
    outputs = [
        {
            "framework": name,
            "min": float(np.min(xs)),
            "max": float(np.max(xs)),
            "mean": float(np.mean(xs)),
            "std": float(np.std(xs)),
        }
        for name, xs in (("Keras", preview.keras), ("torchvision", preview.torch))
    ]
    st.markdown(
        f"What the model is fed now (normalisation **{spec.normalization}**, rescale {spec.rescale:.6g}), "
        "over the samples above:"
    )
    st.dataframe(pd.DataFrame(outputs), hide_index=True, width="stretch")


def show_balance(arrays) -> None:
    labels = arrays.labels[arrays.splits == "train"]
    if not len(labels):
        st.warning("The training split is empty.")
        return
    batch = st.select_slider("Batch size", [8, 16, 32, 64, 128], value=32, key="aug_batch")
    table = pd.DataFrame(batch_mix(labels, batch)).rename(columns=MIX_COLUMNS)
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            "share": st.column_config.NumberColumn(format="percent"),
            "share of the loss, class weights": st.column_config.NumberColumn(format="percent"),
            "per batch, plain": st.column_config.NumberColumn(format="%.1f"),
            "per batch, WeightedRandomSampler": st.column_config.NumberColumn(format="%.1f"),
            "Keras class weight": st.column_config.NumberColumn(format="%.3f"),
        },
    )
    st.caption(
        "Keras keeps the batches and weighs each class's loss; PyTorch's WeightedRandomSampler redraws "
        "the batches (with replacement) so both classes come about equally often."
    )
    st.code(balance_code(keras_class_weights(labels)), language="python")


def show_code(spec: AugmentSpec, stats) -> None:
    keras_side, torch_side = st.columns(2)
    keras_side.markdown("**Keras**")
    keras_side.code(keras_code(spec, stats), language="python")
    torch_side.markdown("**PyTorch**")
    torch_side.code(torch_code(spec, stats), language="python")


def show_spec_files(spec: AugmentSpec) -> None:
    """Use for training, download, upload: the spec's way out of and into this page."""
    use, download, upload = st.columns([1, 1, 2])
    if use.button("Use for training", icon=":material/check:", key="aug_use", type="primary"):
        save_for_training(spec)
        st.session_state[MESSAGE_KEY] = (
            "success",
            f"Saved spec `{spec.stable_hash()}` for the training page ({training_spec_path()}).",
        )
    download.download_button(
        "Download spec (JSON)",
        spec.to_json(),
        file_name=f"augment-{spec.stable_hash()}.json",
        mime="application/json",
        icon=":material/download:",
        on_click="ignore",
    )
    upload.file_uploader(
        "Upload a spec (JSON)", type=["json"], key="aug_spec_upload", on_change=apply_uploaded_spec
    )
    message = st.session_state.pop(MESSAGE_KEY, None)
    if message:
        getattr(st, message[0])(message[1])
    try:
        saved = load_for_training()
    except (SpecError, OSError) as error:
        st.caption(f"The saved training spec cannot be read ({error}); saving replaces it.")
        return
    if saved is None:
        st.caption("No spec saved for training yet: the training page will say so.")
    elif saved == spec:
        st.caption(f"The training page uses this spec (`{saved.stable_hash()}`).")
    else:
        st.caption(f"The training page uses another spec (`{saved.stable_hash()}`).")


def show_details(
    rendered: Rendered, spec: AugmentSpec, arrays, stats, source: str, size: int
) -> None:
    """Everything past the samples, one tab each."""
    tabs = st.tabs(
        [
            "Drawn parameters",
            "Difference view",
            "What differs",
            "Normalisation",
            "Class balance",
            "Code",
        ]
    )
    with tabs[0]:
        show_drawn(rendered.preview)
    with tabs[1]:
        show_difference(rendered)
    with tabs[2]:
        show_differences(spec)
    with tabs[3]:
        show_normalisation(rendered.preview, spec, source, size)
    with tabs[4]:
        show_balance(arrays)
    with tabs[5]:
        show_code(spec, stats)


# ---- the page ----


def studio_source() -> tuple[str, int, object]:
    """The active source, the preview size and the source's arrays at 128 px (or the page stops)."""
    source = active_source()
    size = st.sidebar.selectbox(
        "Preview size (px)", PREVIEW_SIZES, index=len(PREVIEW_SIZES) - 1, key="aug_size"
    )
    try:
        arrays = cached_arrays(source)
    except (SourceError, OSError, ValueError) as error:
        stop_unreadable_source(source, error)
    return source, size, arrays


def image_and_samples(arrays, source: str, size: int) -> tuple[np.ndarray, int]:
    """The image and sample controls, and the chosen image beside them; returns the image and
    the sample count, or stops the page when there is no image to augment."""
    picked, controls = st.columns([1, 2])
    with controls:
        chosen = choose_image(arrays, source, size)
        count = sample_controls()
    if chosen is None:
        st.stop()
    image, caption = chosen
    picked.image(image, caption=caption, width=200)
    return image, count


def main() -> None:
    st.title("Augmentation studio")
    st.caption(
        "One spec, two pipelines: Keras' ImageDataGenerator and torchvision's transforms.v2, on the same image."
    )
    slide = Slide()
    spec = spec_from_sidebar()
    if spec is None:
        st.warning("Fix the parameter named in the sidebar to see a preview.")
        st.stop()
    with slide.controls("Spec files"):
        show_spec_files(spec)
    source, size, arrays = studio_source()
    with slide.controls("Image, samples and seed"):
        image, count = image_and_samples(arrays, source, size)
    difference = st.session_state.get("aug_difference", False)
    try:
        rendered, stats = rendered_for(spec, image, count, source, size, difference)
    except (ValueError, RuntimeError) as error:
        st.error(f"The preview failed: {error}")
        st.stop()
    with slide.key():
        show_samples(rendered)
    slide.notes(notes.augmentation(spec, len(rendered.keras)))
    if not slide.more("Drawn parameters, differences, normalisation, balance, code and search"):
        return
    show_details(rendered, spec, arrays, stats, source, size)
    drawn = functools.partial(
        show_trial_samples, image=image, count=count, source=source, size=size
    )
    search_section(source, preview=drawn, load=load_into_widgets)


main()
