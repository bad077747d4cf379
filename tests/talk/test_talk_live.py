"""The talk's live slides without Streamlit: the perceptron, the vanishing gradient, the software
table and popularity figures with their sources, both pipelines on real image files, the
"in a nutshell" summary and the speaker notes."""

import csv
import io
from pathlib import Path

import numpy as np
import pytest

from pipeline.augment.spec import AugmentSpec
from pipeline.data import load_all
from pipeline.talk import gradients, notes, perceptron, pipelines, popularity, software_table
from pipeline.talk.nutshell import nutshell, transform_words
from pipeline.talk.processing_pair import PairResult
from tests.helpers.imagetree import kaggle_tree

# ---- the perceptron ----


def test_the_perceptron_converges_on_separable_points_and_separates_them():
    points = perceptron.dataset("separable")
    trace = perceptron.learn(points, epochs=100)
    assert trace.converged_at is not None and trace.updates > 1
    assert trace.errors_of(points, -1) == 0
    assert trace.mistakes_per_epoch[-1] == 0


@pytest.mark.parametrize("name", ["not separable", "xor"])
def test_the_perceptron_never_settles_when_no_line_separates(name):
    points = perceptron.dataset(name)
    trace = perceptron.learn(points, epochs=50)
    assert trace.converged_at is None
    assert (trace.mistakes_per_epoch > 0).all()
    best = min(trace.errors_of(points, i) for i in range(len(trace.weights)))
    assert best > 0, "some line it visited separated the points"


def test_the_perceptron_moves_its_line_by_the_rule():
    points = perceptron.dataset("xor", n=8)
    trace = perceptron.learn(points, epochs=1)
    for before, after in zip(trace.weights[:-1], trace.weights[1:]):
        step = after - before
        # w += y x, b += y for one point: the bias moves by exactly +-1
        assert abs(step[2]) == 1
        assert any(np.allclose(step[:2], y * x) for x, y in zip(points.x, points.y))


def test_an_unknown_data_set_is_named():
    with pytest.raises(ValueError, match="separable"):
        perceptron.dataset("circles")


# ---- gradients ----


def test_sigmoid_gradients_vanish_through_depth_and_relu_ones_do_not():
    sigmoid = gradients.gradient_profile("sigmoid", depth=20)
    relu = gradients.gradient_profile("relu", depth=20)
    assert sigmoid.max_slope == pytest.approx(0.25, abs=1e-3)
    assert relu.max_slope == 1.0
    assert sigmoid.gradient_norm[0] < 1e-6 * sigmoid.gradient_norm[-1]
    assert 0.1 < relu.gradient_norm[0] / relu.gradient_norm[-1] < 10
    # each sigmoid layer shrinks the gradient: monotone from the output back to the input
    assert (np.diff(sigmoid.gradient_norm) > 0).all()


def test_the_backward_pass_matches_a_numerical_derivative():
    """The hand-written backpropagation is checked against finite differences on a tiny net."""
    rng = np.random.default_rng(1)
    depth, width = 3, 4
    weights = [rng.normal(0, 0.5, (width, width)) for _ in range(depth)]
    x, target = rng.normal(size=(2, width)), rng.normal(size=(2, width))

    def loss(ws):
        a = x
        for w in ws:
            a = gradients.activate("sigmoid", a @ w)[0]
        return np.mean((a - target) ** 2)

    inputs, slopes, a = [], [], x
    for w in weights:
        inputs.append(a)
        a, slope = gradients.activate("sigmoid", a @ w)
        slopes.append(slope)
    delta = 2 * (a - target) / a.size
    delta = delta * slopes[-1]
    analytic = inputs[-1].T @ delta
    bumped = [w.copy() for w in weights]
    bumped[-1][0, 0] += 1e-6
    numeric = (loss(bumped) - loss(weights)) / 1e-6
    assert analytic[0, 0] == pytest.approx(numeric, rel=1e-3)


# ---- the comparison table and the popularity figures ----


def test_every_cell_of_the_software_table_has_a_source():
    names = [row["Software"] for row in software_table.table_rows()]
    for wanted in (
        "BigDL",
        "Caffe",
        "Chainer",
        "Deeplearning4j",
        "Dlib",
        "Flux",
        "Keras",
        "PyTorch",
        "TensorFlow",
    ):
        assert wanted in names
    for software in software_table.SOFTWARE:
        assert set(software.cells) == set(software_table.COLUMNS), software.name
        for column in software_table.COLUMNS:
            assert software.cells[column].strip(), (software.name, column)
            assert software.source_of(column).startswith(("https://", "http://")), (
                software.name,
                column,
            )
    assert len(software_table.source_rows()) == len(names) * len(software_table.COLUMNS)


def test_popularity_figures_are_the_published_ones():
    assert popularity.leader(popularity.ARXIV_2017).name == "TensorFlow"
    shares = {share.name: share for share in popularity.ARXIV_2017}
    assert shares["PyTorch"].percent == 0.2 and shares["Caffe"].percent == 7.1
    cvpr = popularity.CONFERENCES_2019[0]
    assert (cvpr.name, cvpr.percent, cvpr.at_least) == ("CVPR 2019", 69.0, False)
    assert all(share.at_least for share in popularity.CONFERENCES_2019[1:])
    assert "karpathy" in popularity.KARPATHY_2017 and "thegradient.pub" in popularity.HE_2019


# ---- the pipelines ----


def test_normalisation_adds_the_channel_and_rescales_to_unit_range():
    images = np.array([[[0, 255], [128, 64]]] * 3, dtype=np.uint8)
    result = pipelines.normalise(images)
    assert result.shape_before == (3, 2, 2) and result.shape_after == (3, 2, 2, 1)
    assert result.range_after == (0.0, 1.0) and result.batch_range == (0.0, 1.0)
    batch = pipelines.normalise_batch(images)
    assert batch.dtype == np.float32 and batch[0, 1, 0, 0] == pytest.approx(128 / 255)


def test_the_pytorch_stages_on_a_kaggle_folder(tmp_path: Path):
    root = kaggle_tree(tmp_path / "xray", splits=("train", "test"), per_class=(4, 8), broken=False)
    scan, arrays = load_all(str(root), 32)
    stages = pipelines.torch_stages(scan, arrays)
    train = [r for r in scan.records if r.split == "train"]
    assert stages.total == len(train) == stages.dataset_length
    assert stages.nested[0].startswith("train/NORMAL/") and stages.nested[-1].startswith(
        "train/PNEUMONIA/"
    )
    assert stages.flat[0].startswith("train-NORMAL-") and stages.flat[0].endswith(
        Path(stages.nested[0]).suffix
    )
    rows = list(csv.DictReader(io.StringIO(stages.csv_head)))
    assert [r["filename"] for r in rows] == stages.flat and {r["label"] for r in rows} == {"0", "1"}
    assert stages.item_shape == (1, 32, 32) and stages.item_dtype == "float32"
    # flat names are unique over the whole split: one folder can hold them all
    assert len({pipelines.flat_name(r) for r in train}) == len(train)


def test_the_dataset_reads_what_the_csv_names():
    images = {"a.png": np.full((4, 4), 255, np.uint8), "b.png": np.zeros((4, 4), np.uint8)}
    dataset = pipelines.XrayCsvDataset("filename,label\nb.png,0\na.png,1\n", images)
    assert len(dataset) == 2
    image, label = dataset[1]
    assert label == 1 and image.shape == (1, 4, 4) and image.max() == 1.0


# ---- in a nutshell, notes ----


def _comparison(outside: bool) -> PairResult:
    def row(quantity, a, b):
        return {
            "quantity": quantity,
            "a": a,
            "b": b,
            "difference": a - b,
            "low": a - b - 0.05,
            "high": a - b + 0.05,
            "outside": outside,
        }

    rows = [
        row("AUC", 0.9, 0.88),
        row("specificity", 0.8, 0.3),
        row("sensitivity", 0.9, 0.99),
        row("accuracy", 0.85, 0.8),
    ]
    return PairResult.from_dict(
        {
            "settings": {
                "with": {
                    "augment": AugmentSpec.preset("talk").to_dict(),
                    "class_balancing": "class_weight",
                },
                "without": {
                    "augment": AugmentSpec.preset("none").to_dict(),
                    "class_balancing": "none",
                },
            },
            "at_validation_threshold": {"rows": rows, "images": 300},
            "at_fixed_threshold": {"rows": rows},
            "verdict": "mixed",
            "conclusion": ["On this data, processing traded one for the other."],
            "framework": "torch",
            "runs": {"with": "a", "without": "b"},
        }
    )


def test_the_nutshell_is_read_from_the_measured_pair():
    summary = nutshell(_comparison(outside=True))
    assert summary.transform == transform_words(
        AugmentSpec.preset("talk").to_dict(), AugmentSpec.preset("none").to_dict()
    )
    assert "Rotation (degrees): 30" in summary.transform and "class weights" in summary.balancing
    normal = next(e for e in summary.effects if e.label.startswith("NORMAL recall at"))
    assert (normal.with_processing, normal.without, normal.beyond_noise) == (0.8, 0.3, True)
    said = notes.nutshell(summary).say
    assert "0.300 → 0.800" in said[1]
    assert (
        "nothing moved beyond the noise"
        in notes.nutshell(nutshell(_comparison(outside=False))).say[1]
    )


def test_notes_follow_the_numbers_they_are_given():
    trace = perceptron.learn(perceptron.dataset("xor"), epochs=5)
    said = " ".join(notes.perceptron("xor", 60, trace.updates, None, 17, 5).say)
    assert f"{trace.updates} updates" in said and "17 wrong" in said
    said = " ".join(notes.gradients(20, 4.8e-14, 0.25, 3e12).say)
    assert "4.8e-14" in said and "2.5e-01" in said


def test_the_command_line_prints_the_live_slides_numbers(capsys, monkeypatch):
    import json

    from pipeline.talk import architecture
    from pipeline.talk.__main__ import main

    # building the two models imports both frameworks: tests/talk/test_talk_slides.py does it in
    # a child process; here the slide's other numbers are checked without them
    monkeypatch.setattr(architecture, "architecture", lambda: _no_models())
    assert main(["slides", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["perceptron"]["separable"]["converged_at_epoch"] is not None
    assert report["perceptron"]["xor"]["wrong_at_the_end"] > 0
    assert (
        report["gradient_norm_layer_1"]["sigmoid"] < 1e-6 < report["gradient_norm_layer_1"]["relu"]
    )
    assert report["normalisation"]["after"][-1] == 1
    assert report["software_table_cells_with_sources"] == 66


def _no_models():
    from pipeline.talk.architecture import Architecture, BuiltModel

    return Architecture(150, 1, 1.0, "none", {f: BuiltModel(f, ()) for f in ("keras", "torch")})
