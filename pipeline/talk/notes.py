"""Speaker notes: what to say on each talk page and the figure to point at, from the page's own data.

Each function takes what its page has just computed (a summary, an evaluation, a trace) and
returns ``Notes``; the page hands them to the speaker view. No number here is typed in: every
figure in a note is read from its argument, so the notes follow the data on the projector.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the pages' records, named for the reader; nothing is imported to run them
    from pipeline.talk.conclusion import FrameworkRow
    from pipeline.talk.data_description import DataDescription

from pipeline.data.summary import DataSummary


@dataclass(frozen=True)
class Notes:
    say: tuple[str, ...]  # a few short lines, in order
    point_at: str  # the figure or number on the slide to point at


def _pct(value: float) -> str:
    return f"{value:.1%}"


def perceptron(
    name: str, points: int, updates: int, converged_at: int | None, wrong: int, epochs: int
) -> Notes:
    from pipeline.talk.history import span, winter

    if converged_at is not None:
        outcome = f"On these {points} points it found a separating line after {updates} updates, epoch {converged_at}."
    else:
        outcome = (
            f"On these {points} points it made {updates} updates in {epochs} epochs and still has "
            f"{wrong} wrong: no line separates them, so it never stops."
        )
    return Notes(
        (
            "Rosenblatt 1958: one neuron, one line, a rule that learns from its mistakes.",
            outcome,
            "Switch to XOR: Minsky and Papert 1969 proved one layer cannot do it; funding dried up, "
            f"the first AI winter ({span(winter(1))}).",
        ),
        "the black line: press Play and let it move; then the bars of mistakes per epoch",
    )


def gradients(depth: int, sigmoid_first: float, relu_first: float, sigmoid_ratio: float) -> Notes:
    from pipeline.talk.history import span, winter

    return Notes(
        (
            "Backpropagation (1986) trains several layers, but deep sigmoid networks barely learned.",
            f"Here, through {depth} layers, the gradient reaching layer 1 is {sigmoid_first:.1e} with "
            f"sigmoids and {relu_first:.1e} with ReLU: the sigmoid's slope is at most 1/4, so each "
            "layer shrinks it.",
            f"The last sigmoid layer gets {sigmoid_ratio:.0e} times what the first gets: the early "
            f"layers stay random: the second winter ({span(winter(2))}). Layer-wise pre-training "
            "(2006) ended it; ReLU, better initialisation and GPUs made deep nets train directly.",
        ),
        "the red line falling to the left of the chart, against the flat blue one",
    )


def landscape(names: list[str], rows: list[dict[str, str]]) -> Notes:
    no_cuda = [row["Software"] for row in rows if row["CUDA GPUs"].startswith("No")]
    jvm = ("Python", "Java", "Scala", "Kotlin")
    other = [
        f"{row['Software']} ({row['Interfaces']})"
        for row in rows
        if not any(word in row["Interfaces"] for word in jvm)
    ]
    return Notes(
        (
            f"{len(names)} projects, from Dlib (C++) and Caffe to Flux (Julia) and BigDL on Apache Spark.",
            (
                f"All but {', '.join(other)} have Python or JVM interfaces"
                if other
                else "Every framework here has Python or JVM interfaces"
            )
            + "; most run on CUDA GPUs"
            + (f" (not {', '.join(no_cuda)}: CPU clusters)." if no_cuda else "."),
            "Keras sits on top of a backend; PyTorch and TensorFlow are where research and industry went.",
        ),
        "the Interfaces and CUDA GPUs columns; the source list under the table",
    )


def popularity(arxiv, conferences) -> Notes:
    top = max(arxiv, key=lambda share: share.percent)
    pytorch = next(share for share in arxiv if share.name == "PyTorch")
    cvpr = conferences[0]
    return Notes(
        (
            f"March 2017: {top.name} was mentioned in {top.percent:g}% of ML papers on arXiv, "
            f"PyTorch in {pytorch.percent:g}% (one month old).",
            f"2019: {cvpr.name} had {cvpr.percent:g}% PyTorch among PyTorch-or-TensorFlow papers; "
            "every large conference a majority.",
            "Counts by Karpathy (2017) and Horace He (2019); He interned on the PyTorch team and did not "
            "count Keras separately: say so. The talk's own chart was October 2017: no published "
            "count for that month, so March 2017 stands in.",
        ),
        "the tiny PyTorch bar on the left, then the bars above the half line on the right",
    )


def keras_pipeline(summary: DataSummary, normalised) -> Notes:
    return Notes(
        (
            "Keras: four steps. Describe the data, explore it, preprocess it, implement the model.",
            f"Here: {summary.images:,} images; preprocessing turns {normalised.shape_before} uint8 "
            f"into {normalised.shape_after} float32 between {normalised.range_after[0]:.2f} and "
            f"{normalised.range_after[1]:.2f}.",
            "Each card links to the page that does the step: we walk through them next.",
        ),
        "the two shapes under 'Normalisation': the extra channel axis and the [0, 1] range",
    )


def torch_pipeline(stages) -> Notes:
    return Notes(
        (
            "The talk's PyTorch version does more work before training: it reads a CSV through a "
            "Dataset of its own (torchvision's ImageFolder could read the nested folders too).",
            f"Nested class folders become one flat folder ({stages.flat[0] if stages.flat else '-'}), "
            "a filename,label CSV, and a Dataset class with __len__ and __getitem__.",
            f"On this data: {stages.dataset_length:,} items, each a {stages.item_shape} float32 image "
            "and its label.",
        ),
        "the four columns left to right, ending at len(dataset)",
    )


def nutshell(summary) -> Notes:
    if summary is None:
        return Notes(
            (
                "No measured pair on this data yet: do not state the slide's claim.",
                "Go back to the Conclusion and start the pair, or say it is untested here.",
            ),
            "the link to the Conclusion page",
        )
    changed = [e for e in summary.effects if e.beyond_noise]
    said = (
        "; ".join(f"{e.label} {e.without:.3f} → {e.with_processing:.3f}" for e in changed)
        if changed
        else "nothing moved beyond the noise"
    )
    return Notes(
        (
            "Two ingredients: a transform (augmentation) and class balancing.",
            f"Measured on {summary.images} test images: {said}.",
            summary.headline,
        ),
        "the coloured changes under the metrics (grey ones are noise)",
    )


def introduction(timeline, winters, ilsvrc, human) -> Notes:
    deep = next(r for r in ilsvrc if r.deep)
    last = ilsvrc[-1]
    return Notes(
        (
            f"From the perceptron ({timeline[0].year}) to networks that read X-rays: {len(timeline)} "
            f"events, {len(winters)} AI winters ("
            + ", ".join(f"{w.start}-{w.end}" for w in winters)
            + ").",
            f"ImageNet top-5 error: {ilsvrc[0].top5_error:g}% in {ilsvrc[0].year}, {deep.top5_error:g}% "
            f"with {deep.winner} in {deep.year}, {last.top5_error:g}% in {last.year}, below the "
            f"{human.top5_error:g}% human estimate.",
            "Deep networks, data and GPUs: the same three ingredients as today's demo.",
        ),
        f"the shaded winters on the timeline; then the {deep.year} bar in the ImageNet chart below",
    )


def insights(frameworks: list[str], versions: dict, workflow) -> Notes:
    installed = [f"{name} {versions[name]}" for name in frameworks if versions.get(name)]
    return Notes(
        (
            f"What a framework must have, for {len(frameworks)} frameworks: GPUs, distribution, "
            "languages, pre-trained models, autodiff, community.",
            "Installed on this machine: "
            + (", ".join(installed) if installed else "none of them")
            + ".",
            f"Keras in {len(workflow)} calls: "
            + ", ".join(name for name, _ in workflow)
            + "; then press Train now for the live demo.",
        ),
        "the table's rows one by one; then the code block, then the live accuracy curve",
    )


def problem(data: DataDescription) -> Notes:
    quantity = data.quantity
    totals = quantity.totals
    ratio = quantity.pneumonia_per_normal
    warnings = [f.text for f in data.quality.findings if f.level == "warning"]
    return Notes(
        (
            "The task: PNEUMONIA or NORMAL on a child's chest X-ray (Kermany et al., Cell 2018).",
            f"This data: {quantity.images:,} images, {totals['NORMAL']:,} NORMAL and "
            f"{totals['PNEUMONIA']:,} PNEUMONIA"
            + (f", {ratio:.2f} PNEUMONIA per NORMAL: accuracy alone flatters." if ratio else "."),
            (f"Quality: {warnings[0]}" if warnings else "Quality: no warning on this data."),
        ),
        "the PNEUMONIA per NORMAL figure, then the split table",
    )


def explorer(summary: DataSummary) -> Notes:
    totals = summary.totals
    share = totals["PNEUMONIA"] / max(summary.images, 1)
    return Notes(
        (
            f"{summary.images:,} images: {totals['NORMAL']:,} NORMAL, {totals['PNEUMONIA']:,} PNEUMONIA.",
            f"Always answering PNEUMONIA would score {share:.0%} accuracy here: that is why we look at "
            "recall per class and AUC.",
            "Scroll down for samples, pixel histograms and the patients behind the images.",
        ),
        "the PNEUMONIA per NORMAL figure and the bars per split",
    )


EVALUATION_METRICS = ("accuracy", "auc", "sensitivity", "specificity")


def evaluation(metrics: dict[str, float | None], framework: str, split: str) -> Notes:
    """``metrics``: EVALUATION_METRICS -> the page's figures at its threshold."""

    def number(key: str) -> str:
        value = metrics.get(key)
        return "-" if value is None else f"{value:.3f}"

    return Notes(
        (
            f"{framework} on the {split} split, which played no part in training or in choosing the threshold.",
            f"Accuracy {number('accuracy')}, AUC {number('auc')}; sensitivity (PNEUMONIA recall) "
            f"{number('sensitivity')}, specificity (NORMAL recall) {number('specificity')}.",
            "The talk's model: 91% test accuracy, NORMAL recall 0.84. Compare NORMAL recall first: it "
            "is what the imbalance hurts.",
        ),
        "the Specificity metric, then the NORMAL row of the report and the confusion matrix",
    )


def training(runs) -> Notes:
    finished = [run for run in runs if run.state == "finished"]
    frameworks = sorted({run.config().framework or "?" for run in finished})
    return Notes(
        (
            "The same CNN in Keras and in PyTorch, trained in a process of its own; the page can be "
            "left at any time.",
            f"{len(finished)} finished runs here ({', '.join(frameworks) or 'none'}); a config that "
            "trained once is never trained again.",
            "Keras hides the loop in fit(); PyTorch writes it: the training step is in "
            "pipeline/training/engines.",
        ),
        "the run history table: framework, validation AUC and device columns",
    )


def augmentation(spec, samples: int) -> Notes:
    from pipeline.augment.spec import AugmentSpec
    from pipeline.talk.nutshell import transform_words

    words = transform_words(spec.to_dict(), AugmentSpec.preset("none").to_dict())
    return Notes(
        (
            "One spec, two libraries: Keras' ImageDataGenerator on the left, torchvision on the right.",
            f"This spec: {', '.join(words).lower() if words else 'no augmentation'}; {samples} "
            "random draws per library from the same image.",
            "Same ranges, different random draws and interpolation: the 'What differs' tab lists it.",
        ),
        "a Keras sample and a PyTorch sample side by side",
    )


def predictions(
    picked: dict, probabilities: dict[str, float], thresholds: dict[str, float]
) -> Notes:
    verdicts = [
        f"{name} P(PNEUMONIA) {p:.3f} -> {'PNEUMONIA' if p >= thresholds[name] else 'NORMAL'}"
        for name, p in probabilities.items()
    ]
    truth = picked.get("truth")
    return Notes(
        (
            f"One X-ray{f', truly {truth}' if truth else ''}: " + "; ".join(verdicts) + ".",
            "Grad-CAM: where each model found evidence for PNEUMONIA. Two models can agree on the "
            "label and still look at different places.",
            "The faithfulness score says whether the map is better than a random one.",
        ),
        "the two heatmaps: do they light up the same region?",
    )


def conclusion(rows: list[FrameworkRow] | None) -> Notes:
    if not rows:
        return Notes(
            (
                "No finished run of each framework on this data yet: train them first (Training page).",
            ),
            "the message saying which run to start",
        )
    lines = []
    for row in rows[:4]:
        keras, torch = row.values.get("keras"), row.values.get("torch")
        if keras is None or torch is None:
            continue
        lines.append(
            f"{row.quantity}: Keras {keras:,.{row.digits}f}, PyTorch {torch:,.{row.digits}f}"
        )
    return Notes(
        (
            "Keras vs PyTorch, the same model and settings, from the runs on this machine.",
            "; ".join(lines) + ".",
            "Then the pair: the same model with and without processing. That is where the difference is.",
        ),
        "the table's rows where one framework is marked better",
    )


# ---- the slides of issue 20: frame, MLP, DLBench, MNIST, model, report, bullets ----


def title(title_text: str, claim: str) -> Notes:
    return Notes(
        (
            f"{title_text}: two frameworks, one task, measured rather than asserted.",
            f"The claim to test today: {claim}",
            "Everything on the next slides is computed live from data on this machine.",
        ),
        "the claim under the title",
    )


def agenda(parts, pages_per_part: dict[int, int]) -> Notes:
    return Notes(
        tuple(
            f"Part {part.number}, {part.name}: {part.what} ({pages_per_part.get(part.number, 0)} slides)."
            for part in parts
        ),
        "the four parts, left to right",
    )


def mlp_xor(
    points: int, hidden: int, trace, perceptron_wrong: int, perceptron_epochs: int
) -> Notes:
    solved = (
        f"it has every point right from epoch {trace.solved_at}"
        if trace.solved_at is not None
        else f"{trace.wrong_at_the_end} of {points} are still wrong after {trace.epochs} epochs"
    )
    return Notes(
        (
            f"The same {points} XOR points: the perceptron still has {perceptron_wrong} wrong after "
            f"{perceptron_epochs} epochs, because no line separates them.",
            f"Add one hidden layer of {hidden} units and train it by backpropagation (1986): {solved}.",
            "Minsky and Papert's proof was about one layer. Several layers were the answer; training "
            "them took until 1986.",
        ),
        "the curved boundary on the right: press Play and watch it bend around the corners",
    )


def breakthrough(releases, citation: str) -> Notes:
    first, last = releases[0], releases[-1]
    after_2012 = [r.name for r in releases if r.year > 2012]
    return Notes(
        (
            f"The frameworks DLBench names, by first release: {first.name} {first.year} to "
            f"{last.name} {last.year}.",
            f"{len(after_2012)} of {len(releases)} came after AlexNet (2012): "
            + ", ".join(after_2012)
            + ".",
            f"Source: {citation}.",
        ),
        "the cluster of releases between 2013 and 2017",
    )


def frameworks_compared(results) -> Notes:
    fastest = min(results, key=lambda r: r.seconds)
    slowest = max(results, key=lambda r: r.seconds)
    keras = next(r for r in results if r.framework == "Keras")
    torch = next(r for r in results if r.framework == "PyTorch")
    return Notes(
        (
            f"DLBench trained one CNN on MNIST in {len(results)} frameworks on the same CPU machine.",
            f"Accuracy is nearly the same everywhere; time is not: {fastest.framework} "
            f"{fastest.minutes:.0f} min, {slowest.framework} {slowest.minutes:.0f} min.",
            f"Keras (on TensorFlow) {keras.minutes:.1f} min against PyTorch {torch.minutes:.1f} min: "
            "'Keras is slow' is not what this benchmark found on a CPU.",
        ),
        "the time bars: the accuracy column barely changes",
    )


def mnist_example(talk_log, comparison) -> Notes:
    said = (
        f"The code asks for {talk_log.code_epochs} epochs; the log shows {talk_log.log_epochs}.",
        f"val_loss {talk_log.val_loss[0]:g}-{talk_log.val_loss[1]:g} with val_accuracy about "
        f"{talk_log.val_accuracy:g}: the validation images were not divided by 255.",
    )
    if comparison is None:
        live = "Press Run: the same code with and without the fix, side by side."
    else:
        bug, fixed = comparison.as_in_the_talk, comparison.fixed
        live = (
            f"Live on {comparison.data}: val_loss {bug.last('val_loss'):.2f} unscaled against "
            f"{fixed.last('val_loss'):.2f} scaled, val_accuracy {bug.last('val_accuracy'):.3f} "
            f"against {fixed.last('val_accuracy'):.3f}."
        )
    return Notes((*said, live), "the val_loss column of the left log, then the right one")


def architecture(found, slide_counts) -> Notes:
    keras, torch = found.models["keras"], found.models["torch"]
    return Notes(
        (
            f"The MODEL slide: {slide_counts.conv} Conv, {slide_counts.batchnorm} BatchNorm, "
            f"{slide_counts.maxpool} MaxPooling2D, {slide_counts.dropout} Dropout.",
            f"Both models, built here at {found.img_size} px: Keras {keras.parameters:,} weights, "
            f"PyTorch {torch.parameters:,}"
            + (", layer for layer the same." if not found.differences() else ", and they differ."),
            "Keras counts BatchNorm's running statistics as weights; PyTorch keeps them as buffers: "
            "counted alike here.",
        ),
        "the two parameter totals, then the layer table",
    )


def talk_report(talk, measured: dict) -> Notes:
    pneumonia, normal = talk.row("PNEUMONIA"), talk.row("NORMAL")
    lines = [
        f"The talk's model: accuracy {talk.accuracy:.2f}, PNEUMONIA recall {pneumonia.recall:.2f}, "
        f"NORMAL recall {normal.recall:.2f} on {talk.images} test images.",
    ]
    for framework, report in measured.items():
        if report is not None:
            lines.append(
                f"Here, {framework}: accuracy {report.accuracy:.2f}, NORMAL recall "
                f"{report.row('NORMAL').recall:.2f} on {report.images} images."
            )
    lines.append("Its report calls Pneumonia class 0; its CSV, and this app, call it 1.")
    return Notes(tuple(lines), "the NORMAL recall in both tables")


def questions(title_text: str) -> Notes:
    return Notes(
        (
            f"{title_text}: thank the audience, take questions.",
            "Every slide stays live: go back to any page to answer with the data.",
        ),
        "the page list, to jump back",
    )


def bullets(report) -> Notes:
    """The talk's conclusion bullets against the measurements (``talk_bullets.check``)."""
    return Notes(
        tuple(
            f"{topic.topic}: the talk says Keras '{topic.keras_bullet.lower()}', PyTorch "
            f"'{topic.torch_bullet.lower()}'; measured: {topic.verdict}."
            for topic in report.topics
        ),
        "the verdict column: where the measurements agree, and where they say the opposite",
    )
