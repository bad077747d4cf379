"""The slides and facts of issue 20 without Streamlit: the MLP on XOR, DLBench's figure and
comparison, the MODEL slide's counts, the talk's MNIST example, the talk's report and its
conclusion bullets, the talk's frame; and every corrected fact against its source."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pipeline.records import EvaluationSummary
from pipeline.talk import (
    architecture,
    dlbench,
    history,
    kermany,
    mlp,
    mnist_example,
    notes,
    origins,
    outline,
    perceptron,
    popularity,
    software_table,
    talk_bullets,
    talk_report,
)
from tests.helpers.mnist import write_mnist

ROOT = Path(__file__).resolve().parents[2]

# ---- the MLP on XOR ----


def test_the_mlp_solves_the_xor_points_the_perceptron_cannot():
    points = perceptron.dataset("xor")
    trace = mlp.learn(points)
    assert trace.wrong_at_the_end == 0 and trace.solved_at is not None
    assert trace.wrong_per_epoch[0] > 0  # it starts wrong, and learns
    assert trace.loss_per_epoch[-1] < trace.loss_per_epoch[0] / 10
    line = perceptron.learn(points, epochs=trace.epochs)
    assert line.errors_of(points, -1) > 0
    # the snapshots the animation plays: the first before any update, the last the final network
    assert trace.snapshot_epochs[0] == 0 and trace.snapshot_epochs[-1] == trace.epochs
    assert len(trace.snapshots) == len(trace.snapshot_epochs) <= mlp.SNAPSHOTS
    assert mlp.wrong(trace.snapshots[-1], points) == 0


def test_the_mlp_backward_pass_matches_a_numerical_derivative():
    points = perceptron.dataset("xor", n=12)
    weights = mlp._initial(3, seed=1)
    loss, grad = mlp._gradients(weights, points)
    bumped = mlp.Weights(weights.w1.copy(), weights.b1, weights.w2, weights.b2)
    bumped.w1[1, 2] += 1e-6
    numeric = (mlp._gradients(bumped, points)[0] - loss) / 1e-6
    assert grad.w1[1, 2] == pytest.approx(numeric, rel=1e-3)


def test_the_mlp_boundary_grid_and_bad_settings():
    trace = mlp.learn(perceptron.dataset("xor"), epochs=20)
    grid = mlp.probabilities(trace.snapshots[-1], (-2, 2), steps=11)
    assert grid.shape == (11, 11) and ((grid >= 0) & (grid <= 1)).all()
    with pytest.raises(ValueError, match="at least 1"):
        mlp.learn(perceptron.dataset("xor"), hidden=0)


# ---- DLBench: the figure and the comparison, from the paper and its logs ----


def test_dlbench_is_cited_as_published():
    assert dlbench.CITATION == (
        "R. Elshawi, A. Wahab, A. Barnawi, S. Sakr, DLBench: a comprehensive experimental "
        "evaluation of deep learning frameworks, Cluster Computing 24, 2021"
    )
    assert dlbench.DOI == "https://doi.org/10.1007/s10586-021-03240-4"
    assert "UNSOURCED" not in vars(popularity)  # the figure is sourced now


def test_the_breakthrough_figure_places_the_frameworks_dlbench_names():
    names = {r.name.removeprefix("Apache ") for r in dlbench.RELEASES}
    assert names == set(dlbench.FIGURE_1_NAMES)
    years = {r.name: r.year for r in dlbench.RELEASES}
    assert years == {
        "Theano": 2008,  # arXiv:1605.02688: "developed since 2008"
        "Torch": 2011,  # Torch7, BigLearn NIPS workshop 2011
        "Caffe": 2013,
        "Chainer": 2015,
        "Keras": 2015,
        "Apache MXNet": 2015,
        "TensorFlow": 2015,
        "CNTK": 2016,  # open-sourced on GitHub in January 2016
        "PyTorch": 2017,  # its paper: January 2017
    }
    assert [r.year for r in dlbench.RELEASES] == sorted(r.year for r in dlbench.RELEASES)
    assert all(r.url.startswith(("https://", "http://")) and r.source for r in dlbench.RELEASES)


def test_the_comparison_is_dlbench_published_mnist_logs():
    found = {r.framework: (r.test_accuracy, r.seconds) for r in dlbench.MNIST_CPU}
    assert found == {  # the last lines of CPU Experiment/CPU logs/MNIST/<framework>/log.txt
        "TensorFlow": (0.985, 425.95),  # 0:07:05.95
        "Keras": (0.9828, 449.13),  # 0:07:29.13
        "PyTorch": (0.9840, 1655.93),  # 0:27:35.93
        "Theano": (0.9837, 4033.32),  # 1:07:13.32
        "MXNet": (0.9813, 4155.58),  # 1:09:15.58
        "Chainer": (0.9644, 5281.65),  # 1:28:01.65
    }
    assert dlbench.fastest().framework == "TensorFlow"
    assert all(
        dlbench.REPOSITORY in r.log_url and r.log_url.endswith("/log.txt")
        for r in dlbench.MNIST_CPU
    )
    said = " ".join(notes.frameworks_compared(dlbench.MNIST_CPU).say)
    assert "Keras (on TensorFlow) 7.5 min against PyTorch 27.6 min" in said


# ---- facts corrected ----


def test_pytorch_first_release_and_creator_follow_its_paper():
    pytorch = next(s for s in software_table.SOFTWARE if s.name == "PyTorch")
    assert pytorch.cells["First release"] == "2017 (January)"
    assert pytorch.cells["Creator"] == "Facebook AI Research"
    assert pytorch.source_of("First release") == "https://arxiv.org/abs/1912.01703"
    assert (
        next(e for e in history.TIMELINE if e.title == "PyTorch").year == 2017
    )  # one year everywhere


def test_the_chainer_licence_correction_is_named():
    (correction,) = software_table.CORRECTIONS
    assert (correction.software, correction.column, correction.talk_said) == (
        "Chainer",
        "Licence",
        "BSD",
    )
    assert correction.shown() == "MIT"
    assert "Chainer's licence is MIT, not BSD" in software_table.corrections_text()


def test_the_landscape_notes_name_the_framework_without_python_or_jvm():
    assert software_table.without_python_or_jvm() == ["Flux"]
    said = " ".join(notes.landscape([], software_table.table_rows()).say)
    assert "All but Flux (Julia) have Python or JVM interfaces" in said
    assert "Every framework here has Python or JVM interfaces" not in said


def test_the_winters_are_dated_once_and_every_note_uses_those_dates():
    first, second = history.winter(1), history.winter(2)
    assert (first.start, first.end, second.start, second.end) == (1969, 1980, 1995, 2006)
    assert "late 1980s" not in second.why  # no third dating
    trace = perceptron.learn(perceptron.dataset("xor"), epochs=3)
    assert "(1969-1980)" in " ".join(notes.perceptron("xor", 60, trace.updates, None, 9, 3).say)
    assert "(1995-2006)" in " ".join(notes.gradients(20, 1e-14, 0.2, 1e12).say)
    said = " ".join(
        notes.introduction(
            history.TIMELINE, history.WINTERS, history.ILSVRC_TOP5, history.HUMAN_TOP5
        ).say
    )
    assert "1969-1980, 1995-2006" in said


def test_the_perceptron_claim_is_qualified():
    why = history.TIMELINE[0].why
    assert why.startswith("Among the first machines") and "The first machine" not in why


def test_the_dataset_counts_say_which_is_which():
    assert kermany.PUBLISHED_IMAGES == 5_863
    assert kermany.files_total() == 5_856 == sum(kermany.PNEUMONIAMNIST_SPLITS.values())
    assert kermany.FILES["test"] == sum(kermany.TEST_CLASSES.values()) == 624
    sentence = kermany.counts_sentence()
    assert (
        "5,863 images by the data set's own description" in sentence and "5,856 files" in sentence
    )


def test_the_october_2017_chart_is_named_and_march_stands_in():
    assert "October 2017" in popularity.OCTOBER_2017 and "March 2017" in popularity.OCTOBER_2017


def test_values_the_slides_do_not_give_are_marked_as_the_apps():
    assert origins.marked("img_size").startswith("150 (this app's choice")
    assert origins.marked("epochs").startswith("12 (this app's choice")
    assert "predict > 0.5" in origins.said("threshold")
    words = origins.augmentation()
    assert "rotation 30" in words and words.endswith(
        "(this app's choice: the slides name the tool, not these values)"
    )
    assert origins.setting("img_size").value == architecture.DEFAULT_SIZE


# ---- the MODEL slide ----


def _fake_architecture() -> architecture.Architecture:
    def model(framework: str, extra_weights: int = 0) -> architecture.BuiltModel:
        layers = [
            architecture.Layer(f"conv{i}", "conv", (8, 8, 4), 40 + extra_weights, 0)
            for i in range(5)
        ]
        layers += [architecture.Layer(f"bn{i}", "batchnorm", (8, 8, 4), 8, 8) for i in range(4)]
        layers += [architecture.Layer(f"pool{i}", "maxpool", (4, 4, 4), 0, 0) for i in range(5)]
        layers += [architecture.Layer(f"dropout{i}", "dropout", (4,), 0, 0) for i in range(2)]
        return architecture.BuiltModel(framework, tuple(layers))

    return architecture.Architecture(
        32, 1, 1.0, "test", {"keras": model("keras"), "torch": model("torch")}
    )


def test_the_architecture_counts_and_compares_layers():
    found = _fake_architecture()
    assert found.models["keras"].counts.of("conv") == 5 and found.matches_slide("keras")
    assert found.models["keras"].parameters == 5 * 40 + 4 * 16 and not found.differences()
    assert architecture.summary(found)["torch"].to_dict() == {
        "conv": 5,
        "batchnorm": 4,
        "maxpool": 5,
        "dropout": 2,
        "parameters": 264,
    }
    again = architecture.Architecture.from_dict(json.loads(json.dumps(found.to_dict())))
    assert again == found
    said = " ".join(notes.architecture(found, architecture.SLIDE).say)
    assert "5 Conv, 4 BatchNorm, 5 MaxPooling2D, 2 Dropout" in said and "the same" in said


def test_the_cache_holds_one_description_per_model_code_and_size(tmp_path, monkeypatch):
    monkeypatch.setenv("PNEUMOLAB_CACHE", str(tmp_path))
    assert architecture.cached(32) is None
    from pipeline.settings import write_cache_entry

    write_cache_entry(
        architecture.cache_path(32), json.dumps(_fake_architecture().to_dict()).encode()
    )
    assert architecture.cached(32) == _fake_architecture()
    assert architecture.cached(64) is None


@pytest.mark.app  # builds both models in a child process (imports torch, then Keras)
def test_both_built_models_match_the_model_slide(tmp_path):
    script = (
        "import json, sys; from pipeline.talk import architecture as a; f = a.architecture(); "
        "summary = {name: s.to_dict() for name, s in a.summary(f).items()}; "
        "print(json.dumps({'summary': summary, 'differences': f.differences()}))"
    )
    child = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PNEUMOLAB_CACHE": str(tmp_path)},
    )
    assert child.returncode == 0, child.stderr[-3000:]
    found = json.loads(child.stdout.strip().splitlines()[-1])
    for framework in ("keras", "torch"):  # models/__init__.py: 950,465 weights at 150 px
        assert found["summary"][framework] == {
            "conv": 5,
            "batchnorm": 4,
            "maxpool": 5,
            "dropout": 2,
            "parameters": 950_465,
        }
    assert found["differences"] == []
    # a second process reads the description from the cache without importing a framework
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from pipeline.talk import architecture as a; "
            "assert a.cached() is not None; print([m for m in ('torch', 'tensorflow') if m in sys.modules])",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PNEUMOLAB_CACHE": str(tmp_path)},
    )
    assert child.returncode == 0, child.stderr[-2000:]
    assert child.stdout.strip() == "[]"


# ---- the talk's MNIST example ----


def test_the_talks_log_is_recorded_as_the_slide_shows_it():
    log = mnist_example.TALK_LOG
    assert (log.code_epochs, log.log_epochs, log.val_loss, log.val_accuracy) == (
        10,
        5,
        (12.0, 19.0),
        0.97,
    )
    assert not log.validation_scaled


def test_the_stand_in_has_mnists_grey_levels(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    data = mnist_example.load_digits_as_mnist(seed=0)
    assert data.name == "scikit-learn digits (stand-in)" and "a stand-in ran instead" in data.note
    assert (
        data.x_train.dtype == np.uint8 and data.x_train.max() == 255 and data.x_train.shape[1] == 64
    )
    write_mnist(tmp_path, train=100, test=30)
    data = mnist_example.load_digits_as_mnist(seed=0)
    assert data.name == "MNIST" and data.x_val.shape == (30, 784) and data.x_train.dtype == np.uint8


@pytest.mark.slow  # trains the example twice in Keras, in its own process
def test_the_missing_scaling_shows_in_val_loss_not_in_val_accuracy(tmp_path):
    child = subprocess.run(
        [sys.executable, "-m", "pipeline.talk.mnist_example", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "KERAS_HOME": str(tmp_path)},
    )
    assert child.returncode == 0, child.stderr[-3000:]
    found = json.loads(child.stdout.strip().splitlines()[-1])
    assert found["data"] == "scikit-learn digits (stand-in)" and found["epochs"] == 5
    talk, fixed = found["as_in_the_talk"]["history"], found["fixed"]["history"]
    assert talk["loss"] == fixed["loss"]  # the same training: only the validation data differ
    assert talk["val_loss"][-1] > 5 and talk["val_loss"][-1] > 10 * fixed["val_loss"][-1]
    assert abs(talk["val_accuracy"][-1] - fixed["val_accuracy"][-1]) < 0.05
    assert found["as_in_the_talk"]["log"].startswith("Epoch 1/5\n")


# ---- the talk's report ----


def test_the_talks_report_is_the_slides_and_is_self_consistent():
    report = talk_report.TALK
    assert [(r.name, r.index, r.precision, r.recall, r.f1, r.support) for r in report.rows] == [
        ("PNEUMONIA", 0, 0.91, 0.96, 0.93, 390),
        ("NORMAL", 1, 0.92, 0.84, 0.88, 234),
    ]
    assert (report.accuracy, report.images) == (0.91, 624)
    # some confusion matrix reproduces every printed figure, to two decimals: the slide is coherent
    fits = [
        (tp, tn)
        for tp in range(391)
        for tn in range(235)
        if _printed(tp, tn) == (0.91, 0.96, 0.93, 0.92, 0.84, 0.88, 0.91)
    ]
    assert fits and all(372 <= tp <= 376 and 195 <= tn <= 198 for tp, tn in fits)


def _printed(tp: int, tn: int) -> tuple:
    fp, fn = 234 - tn, 390 - tp
    if tp == 0 or tn == 0:  # a class never called right: no report like the slide's
        return ()
    p_prec, p_rec, n_prec, n_rec = tp / (tp + fp), tp / 390, tn / (tn + fn), tn / 234
    f1 = lambda p, r: 2 * p * r / (p + r)  # noqa: E731
    return tuple(
        round(v, 2)
        for v in (
            p_prec,
            p_rec,
            f1(p_prec, p_rec),
            n_prec,
            n_rec,
            f1(n_prec, n_rec),
            (tp + tn) / 624,
        )
    )


def test_a_measured_report_keeps_this_apps_class_indices():
    row = lambda p, r, f, s: {"precision": p, "recall": r, "f1": f, "support": s}  # noqa: E731
    evaluation = {
        "run_id": "abc123456789",
        "framework": "keras",
        "split": "test",
        "threshold": 0.42,
        "accuracy": 0.8,
        "n": 100,
        "per_class": {"NORMAL": row(0.7, 0.6, 0.65, 40), "PNEUMONIA": row(0.85, 0.9, 0.87, 60)},
    }
    report = talk_report.from_evaluation(EvaluationSummary.from_dict(evaluation))
    assert [(r.name, r.index) for r in report.rows] == [("PNEUMONIA", 1), ("NORMAL", 0)]
    assert report.row("NORMAL").recall == 0.6 and report.threshold == 0.42
    assert "class 0" in talk_report.CLASS_FLIP and "PNEUMONIA 1" in talk_report.CLASS_FLIP
    said = " ".join(notes.talk_report(talk_report.TALK, {"Keras": report}).say)
    assert "NORMAL recall 0.84" in said and "Keras: accuracy 0.80, NORMAL recall 0.60" in said


@pytest.mark.slow  # trains a tiny run and scores it
def test_the_measured_report_is_cached_after_the_first_scoring():
    from pipeline.runs import Run
    from tests.helpers.runs import tiny_run

    run = Run(tiny_run("torch"))
    # the tiny run is shared by the session: a page test may have scored it already, so start
    # from an unscored run whatever ran before (the cached scoring is the subject here)
    talk_report.cached_path(run, "synthetic").unlink(missing_ok=True)
    assert not talk_report.is_measured(run, "synthetic")
    report = talk_report.measured(run, "synthetic")
    assert talk_report.is_measured(run, "synthetic")
    assert report.images == sum(r.support for r in report.rows)


# ---- the conclusion bullets ----


def test_a_verdict_follows_the_measures():
    def topic(*pairs, favours="keras"):
        measures = tuple(talk_bullets.Measure("m", k, t, "", True, "") for k, t in pairs)
        return talk_bullets.Topic("t", "a", "b", favours, measures)

    assert topic((1, 2)).verdict == "agrees"  # lower is better: Keras ahead, as the talk says
    assert topic((2, 1)).verdict == "disagrees"
    assert topic((1, 2), (2, 1)).verdict == "mixed"
    assert topic((None, 2)).verdict == "not measured"
    assert topic((1, 2), (None, None)).verdict == "agrees"


def test_the_bullets_are_measured_from_files_runs_and_dlbench(tmp_path, monkeypatch):
    monkeypatch.setenv("PNEUMOLAB_CACHE", str(tmp_path))  # an empty run store
    report = talk_bullets.check("synthetic")
    topics = {t.topic: t for t in report.topics}
    assert [(t.keras_bullet, t.torch_bullet) for t in report.topics] == [
        ("Easy to use", "Harder to use"),
        ("High-level API", "Low-level API, flexible"),
        ("Low performance", "High performance"),
    ]
    (lines,) = topics["Ease of use"].measures
    assert lines.keras > 0 and lines.torch > 0 and topics["Ease of use"].verdict != "not measured"
    speed, dlbench_minutes = topics["Performance"].measures
    assert speed.keras is None and speed.torch is None  # no runs: not measured, not invented
    assert (dlbench_minutes.keras, dlbench_minutes.torch) == (7.5, 27.6)
    assert topics["Performance"].verdict == "disagrees"  # on DLBench's CPU, Keras was faster
    assert report.runs == {"keras": None, "torch": None}
    said = notes.bullets(report).say
    assert len(said) == 3 and "Performance" in said[2]


# ---- the frame: title, agenda, questions ----


def test_the_frame_names_no_person_and_reads_the_parts_from_titles():
    text = " ".join([outline.TITLE, outline.SUBTITLE, outline.CLAIM, outline.QUESTIONS])
    text += " ".join(f"{p.name} {p.what}" for p in outline.PARTS)
    for name in ("Chollet", "Karpathy", "Rosenblatt", "Hinton", "LeCun"):
        assert name not in text
    assert [p.name for p in outline.PARTS] == [
        "Introduction",
        "Insights",
        "Demonstration",
        "Conclusion",
    ]
    assert outline.part_of("3 · The model") == 3 and outline.part_of("Evaluation") is None


@pytest.mark.app  # builds both models in a child process the first time
def test_the_command_line_prints_the_new_slides_numbers(tmp_path):
    child = subprocess.run(
        [sys.executable, "-m", "pipeline.talk", "slides", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PNEUMOLAB_CACHE": str(tmp_path)},
    )
    assert child.returncode == 0, child.stderr[-3000:]
    report = json.loads(child.stdout)
    assert (
        report["mlp_xor"]["wrong_at_the_end"] == 0
        and report["mlp_xor"]["epochs"] == mlp.DEFAULT_EPOCHS
    )
    assert report["mlp_xor"]["perceptron_wrong_at_the_end"] > 0
    for framework in ("keras", "torch"):
        counts = report["architecture"][framework]
        assert (counts["conv"], counts["batchnorm"], counts["maxpool"], counts["dropout"]) == (
            5,
            4,
            5,
            2,
        )
    assert (
        report["architecture"]["keras"]["parameters"]
        == report["architecture"]["torch"]["parameters"]
    )
    assert report["talk_report"]["accuracy"] == 0.91
    assert [row["support"] for row in report["talk_report"]["rows"]] == [390, 234]
