"""Keras vs PyTorch from the user's own runs: one named function per row of the conclusion's table.

    runs = default_runs(source)                 # {"keras": Run | None, "torch": Run | None}
    report = table_report(source, runs)         # TableReport: FrameworkRows, each naming its function

Nothing here is typed in: validation figures and training costs are read from each run's
``result.json``, test figures come from ``pipeline.evaluate`` on the test split at the run's
own threshold (chosen on validation), inference time is measured, parameters and file sizes
are read from the run, and lines of model code are counted in ``models/``. Test evaluations
are cached on disk per run, training stamp and data fingerprint, so the page and the command
line pay for scoring once.
"""

from __future__ import annotations

import ast
import hashlib
import io
import json
import shlex
import time
import tokenize
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.frameworks import FRAMEWORK_NAMES, FRAMEWORKS
from pipeline.records import EvaluationSummary, Record, RunResult
from pipeline.runs import ACTIVE, Run, all_runs, read_json
from pipeline.runs.choice import runs_to_show, settings_key
from pipeline.settings import atomic_write_bytes, cache_root

MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
MODEL_FILES = {"keras": "keras_cnn.py", "torch": "torch_cnn.py"}
SHARED_MODEL_FILE = "__init__.py"  # the architecture's constants, used by both
TEST_SPLIT = "test"
WARM_UP_IMAGES = 8  # a first call compiles (Keras) or allocates (torch): not part of the timing
TIMED_PASSES = 3
CACHE_VERSION = 5  # change when what a cached evaluation holds changes (5: the threshold rule)


# ---- which runs ----


def candidate_runs(source: str) -> dict[str, list[Run]]:
    """Each framework's runs that the page may show for ``source``, best first: the source's own,
    else those trained on other data whose labels mean the same (``pipeline.runs.choice``)."""
    return {framework: runs_to_show(source, framework).runs for framework in FRAMEWORKS}


def latest_runs(source: str) -> dict[str, Run | None]:
    """The first candidate of each framework for ``source`` (None where there is none)."""
    return {f: (runs[0] if runs else None) for f, runs in candidate_runs(source).items()}


def default_runs(source: str) -> dict[str, Run | None]:
    """The best Keras and PyTorch runs trained with the same settings on the same data (a
    like-for-like pair), or the first candidate of each framework when no such pair exists."""
    candidates = candidate_runs(source)
    torch_runs: dict[str, Run] = {}
    for run in candidates["torch"]:
        torch_runs.setdefault(settings_key(run, ("framework",)), run)  # best first wins
    for keras_run in candidates["keras"]:
        match = torch_runs.get(settings_key(keras_run, ("framework",)))
        if match is not None:
            return {"keras": keras_run, "torch": match}
    return latest_runs(source)


def active_run(framework: str, source: str) -> Run | None:
    """A queued or running run of ``framework`` on ``source``, if one is under way."""
    return next(
        (
            run
            for run in all_runs()
            if run.state in ACTIVE
            and run.config().framework == framework
            and run.config().source == source
        ),
        None,
    )


@dataclass(frozen=True)
class UnderWay(Record):
    """A queued or running run, as it stood when asked."""

    run_id: str
    status: str


@dataclass(frozen=True)
class MissingRun(Record):
    """A framework without a finished run: the command that trains one, and any run under way."""

    framework: str
    command: str
    under_way: UnderWay | None


def missing_runs(source: str, runs: dict[str, Run | None]) -> list[MissingRun]:
    """For each framework without a finished run: what to start, and any run already under way."""
    missing = []
    for framework, run in runs.items():
        if run is not None:
            continue
        under_way = active_run(framework, source)
        missing.append(
            MissingRun(
                framework,
                f"python -m pipeline.train --framework {framework} "
                f"--source {shlex.quote(source)} --preset quick",
                UnderWay(under_way.id, under_way.state) if under_way else None,
            )
        )
    return missing


# ---- rows recorded by training (result.json) ----


def validation_auc(run: Run) -> float:
    return _result(run).val.auc


def validation_accuracy(run: Run) -> float:
    """At threshold 0.5, as the training history records it."""
    return _result(run).val.accuracy


def training_seconds(run: Run) -> float:
    """From the engine's start to the saved weights (loading the framework and the data included)."""
    return _result(run).timings.total_seconds


def seconds_per_epoch(run: Run) -> float:
    return _result(run).timings.seconds_per_epoch


def images_per_second(run: Run) -> float:
    """Training images per second of training-step time."""
    return _result(run).timings.images_per_s


def parameters(run: Run) -> int:
    """Weights including BatchNorm statistics, counted alike in both frameworks by the engines."""
    return int(_result(run).parameters)


def weights_megabytes(run: Run) -> float:
    """Size of the saved weights file (``model.keras`` or ``model.pt``) in MB (10^6 bytes)."""
    return run.weights().stat().st_size / 1e6


def _result(run: Run) -> RunResult:
    result = run.result()
    if result is None:
        raise ValueError(f"run {run.id} is {run.state}; only a finished run has figures")
    return result


# ---- rows measured on the test split ----


def test_auc(run: Run, source: str) -> float:
    return test_evaluation(run, source).auc


def test_accuracy(run: Run, source: str) -> float:
    """At the run's own threshold, chosen on its validation split."""
    return test_evaluation(run, source).accuracy


def test_sensitivity(run: Run, source: str) -> float:
    """PNEUMONIA recall at the run's threshold."""
    return test_evaluation(run, source).sensitivity


def test_specificity(run: Run, source: str) -> float:
    """NORMAL recall at the run's threshold."""
    return test_evaluation(run, source).specificity


def inference_ms_per_image(run: Run, source: str) -> float:
    """Measured on the CPU over the whole test split (batches of 128), best of three passes."""
    return test_evaluation(run, source).inference_ms_per_image


Loader = Callable[
    [str], object
]  # run id -> pipeline.inference.LoadedModel (the page passes its cached one)


def test_evaluation(run: Run, source: str, loader: Loader | None = None) -> EvaluationSummary:
    """``pipeline.evaluate.evaluate`` of ``run`` on the test split of ``source``, cached on disk.

    Raises ``pipeline.inference.ModelLoadError`` for a run that cannot be used and
    ``SourceError`` / ValueError for data that cannot be scored.
    """
    path = cached_path("test", [run.id, run.status().updated, source, _fingerprint(source)])
    cached = read_json(path)
    if cached is not None:
        return EvaluationSummary.from_dict(cached)
    scored = warm_scored(run.id, source, TEST_SPLIT, loader)
    evaluation = summary_of(scored)
    atomic_write_bytes(path, json.dumps(evaluation.to_dict(), indent=2, sort_keys=True).encode())
    return evaluation


# SeedFigures' fields -> the names the seed tables and the claims show, in their order
SEED_FIGURE_NAMES = {
    "val_auc": "val AUC",
    "test_accuracy": "test accuracy",
    "test_auc": "test AUC",
    "test_normal_recall": "test NORMAL recall",
    "test_pneumonia_recall": "test PNEUMONIA recall",
    "stress_mean_auc": "stress-mean AUC",
}


@dataclass(frozen=True)
class SeedFigures:
    """One run's figures for the seed-group summary (``seed_figures``): test figures at the
    run's own threshold; the stress mean only once the stress test has run."""

    val_auc: float | None
    test_accuracy: float
    test_auc: float | None
    test_normal_recall: float | None
    test_pneumonia_recall: float | None
    stress_mean_auc: float | None

    def named(self) -> dict[str, float | None]:
        """Figure name -> value: what ``pipeline.evaluate.seeds.summarise`` spreads over seeds."""
        return {name: getattr(self, figure) for figure, name in SEED_FIGURE_NAMES.items()}


def seed_figures(run: Run, source: str, loader: Loader | None = None) -> SeedFigures:
    """One run's figures for the seed-group summary: validation AUC (its result.json), and on the
    test split at its own threshold: accuracy, AUC, NORMAL recall; the stress mean when cached.

    Scored in one pass (no inference timing, unlike ``test_evaluation``) and cached on disk, so
    a group of seeds costs one prediction of the test split per run, once."""
    from pipeline.evaluate import evaluate, score_run
    from pipeline.evaluate.stress import cached_stress
    from pipeline.inference import load_run_model

    path = cached_path("seed", [run.id, run.status().updated, source, _fingerprint(source)])
    test = read_json(path)
    if test is None or "sensitivity" not in test:  # entries from before it was kept
        scored = score_run(run.id, source, TEST_SPLIT, loaded=(loader or load_run_model)(run.id))
        metrics = evaluate(scored, with_bootstrap=False).metrics
        test = {
            key: getattr(metrics, key) for key in ("accuracy", "auc", "specificity", "sensitivity")
        }
        atomic_write_bytes(path, json.dumps(test).encode())
    stress = cached_stress(run.id, source, TEST_SPLIT)
    return SeedFigures(
        val_auc=validation_auc(run),
        test_accuracy=test["accuracy"],
        test_auc=test["auc"],
        test_normal_recall=test["specificity"],
        test_pneumonia_recall=test["sensitivity"],
        stress_mean_auc=stress.mean.auc if stress else None,
    )


def warm_scored(run_id: str, source: str, split: str, loader: Loader | None = None):
    """``pipeline.evaluate.score_run`` after a warm-up call, its inference time the best of
    ``TIMED_PASSES`` passes over the split (the least disturbed by other work on the machine)."""
    from pipeline.data import load_split
    from pipeline.evaluate import score_run
    from pipeline.inference import load_run_model, predict_proba

    loaded = (loader or load_run_model)(run_id)
    images = load_split(source, split, loaded.img_size).images
    predict_proba(loaded, images[:WARM_UP_IMAGES])
    scored = score_run(run_id, source, split, loaded=loaded)
    for _ in range(TIMED_PASSES - 1):
        started = time.perf_counter()
        predict_proba(loaded, images)
        milliseconds = 1000 * (time.perf_counter() - started) / len(images)
        scored.inference_ms_per_image = min(scored.inference_ms_per_image, milliseconds)
    return scored


def summary_of(scored) -> EvaluationSummary:
    """The evaluation at the run's threshold without curves: what the table and the pair show."""
    from pipeline.evaluate import evaluate

    return evaluate(scored, with_bootstrap=False).summary()


def cached_path(kind: str, key: list) -> Path:
    digest = hashlib.sha256(json.dumps([CACHE_VERSION, *key]).encode()).hexdigest()[:20]
    return cache_root() / "talk" / f"{kind}-{digest}.json"


def _fingerprint(source: str) -> str:
    from pipeline.data import open_source

    return open_source(source).fingerprint()


# ---- the row counted in the source code ----


def model_code_lines(framework: str) -> int:
    """Lines of code in the framework's model file: no blank lines, comments or docstrings."""
    return code_lines((MODELS_DIR / MODEL_FILES[framework]).read_text())


def code_lines(text: str) -> int:
    """Lines holding a token of code, docstrings not counted (``tokenize`` and ``ast``)."""
    docstrings = set()
    for node in ast.walk(ast.parse(text)):
        if (
            isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and node.body
        ):
            first = node.body[0]
            value = first.value if isinstance(first, ast.Expr) else None
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                docstrings.update(range(first.lineno, first.end_lineno + 1))
    skipped = {
        tokenize.COMMENT,
        tokenize.NL,
        tokenize.NEWLINE,
        tokenize.INDENT,
        tokenize.DEDENT,
        tokenize.ENCODING,
        tokenize.ENDMARKER,
    }
    lines = set()
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type not in skipped:
            lines.update(range(token.start[0], token.end[0] + 1))
    return len(lines - docstrings)


def shared_model_code_lines() -> int:
    """Lines of code in ``models/__init__.py``: the architecture's constants, shared by both."""
    return code_lines((MODELS_DIR / SHARED_MODEL_FILE).read_text())


# ---- the table ----


@dataclass(frozen=True)
class Row:
    """How one quantity of the table is computed and shown."""

    quantity: str
    function: Callable
    reads: str  # "run" (result.json or weights), "test" (run and source) or "code" (framework)
    better: str = "higher"  # "higher", "lower" or "" (neither)
    digits: int = 3  # decimals shown

    @property
    def computed_by(self) -> str:
        return f"{self.function.__module__}.{self.function.__name__}"


ROWS = (
    Row("validation AUC", validation_auc, "run"),
    Row("validation accuracy (threshold 0.5)", validation_accuracy, "run"),
    Row("test AUC", test_auc, "test"),
    Row("test accuracy (run's threshold)", test_accuracy, "test"),
    Row("test sensitivity (PNEUMONIA recall)", test_sensitivity, "test"),
    Row("test specificity (NORMAL recall)", test_specificity, "test"),
    Row("training time (s)", training_seconds, "run", "lower", 1),
    Row("seconds per epoch", seconds_per_epoch, "run", "lower", 1),
    Row("training images per second", images_per_second, "run", digits=0),
    Row("parameters", parameters, "run", "", 0),
    Row("weights file (MB)", weights_megabytes, "run", "lower", 2),
    Row("inference ms per image (CPU)", inference_ms_per_image, "test", "lower"),
    Row("lines of model code", model_code_lines, "code", "", 0),
)


def cell(row: Row, framework: str, run: Run, source: str):
    if row.reads == "code":
        return row.function(framework)
    if row.reads == "test":
        return row.function(run, source)
    return row.function(run)


# Speeds recorded by training: compared only between runs trained on the same machine, as the
# mean over the run's seed group (the seeds trained there), with their spread.
TRAINING_SPEEDS = (training_seconds, seconds_per_epoch, images_per_second)
# Quality rows: the chosen run's value, and the spread of the same figure (a SeedFigures field)
# over its seeds
SEED_FIGURE = {
    validation_auc: "val_auc",
    test_auc: "test_auc",
    test_accuracy: "test_accuracy",
    test_sensitivity: "test_pneumonia_recall",
    test_specificity: "test_normal_recall",
}


@dataclass(frozen=True)
class SeedSpread:
    """One figure's standard deviation over each framework's seed mates (None with one seed:
    unknown) and how many seeds. Not ``pipeline.evaluate.seeds.Spread``: a group of one is not
    scored again just for its mean, so there is no mean to hold."""

    spread: dict[str, float | None]  # framework -> sd
    seeds: dict[str, int]  # framework -> seeds counted


@dataclass(frozen=True)
class SpeedOverSeeds(SeedSpread):
    """A training speed over each framework's seed mates on its machine: the row shows the mean."""

    means: dict[str, float | None]  # framework -> mean (None: no run recorded it)


@dataclass(frozen=True)
class FrameworkRow:
    """One row of the Keras vs PyTorch table: a value per framework, the dotted name of the
    function that computed it, which way is better and the decimals shown. ``over_seeds``: the
    figure's spread over each run's seeds (a speed row then holds the seeds' means); ``ranked``
    (speed rows): False when the runs trained on different, or unrecorded, machines."""

    quantity: str
    values: dict[str, float | int | None]  # framework -> value
    function: str
    better: str  # "higher", "lower" or "" (neither)
    digits: int
    over_seeds: SeedSpread | None = None
    ranked: bool | None = None

    @property
    def mean(self) -> bool:
        """Whether the values are means over the seeds (the training speeds)."""
        return isinstance(self.over_seeds, SpeedOverSeeds)

    def spread(self, framework: str) -> float | None:
        return self.over_seeds.spread.get(framework) if self.over_seeds else None

    def seeds(self, framework: str) -> int:
        return self.over_seeds.seeds.get(framework, 1) if self.over_seeds else 1

    def to_dict(self) -> dict:
        """The row as ``python -m pipeline.talk table --json`` prints it."""
        data = {"quantity": self.quantity, **self.values}  # a column per framework
        data |= {"function": self.function, "better": self.better, "digits": self.digits}
        if self.over_seeds is not None:
            data |= {"spread": self.over_seeds.spread, "seeds": self.over_seeds.seeds}
        if self.mean:
            data |= {"ranked": self.ranked, "mean": True}
        return data


def framework_table(
    source: str, runs: dict[str, Run], loader: Loader | None = None
) -> list[FrameworkRow]:
    """One row per ``ROWS`` entry. ``runs`` holds a finished run for each framework. Test
    evaluations are computed first (with ``loader`` when given), so every test row then reads
    the cache. A training-speed row holds the mean over each run's seed group on its machine."""
    from pipeline.evaluate.seeds import seed_groups
    from pipeline.runs import finished_runs

    for run in runs.values():
        test_evaluation(run, source, loader)
    same = same_training_machine(runs)
    groups = seed_groups(finished_runs())  # once: every spread row reads the same groups
    mates = {f: seed_mates(run, groups, same_machine=False) for f, run in runs.items()}
    speed_mates = {f: seed_mates(run, groups) for f, run in runs.items()}
    table = []
    for row in ROWS:
        if row.function in TRAINING_SPEEDS:
            speed = speed_over_seeds(row.function, speed_mates)
            table.append(_table_row(row, speed.means, speed, ranked=same))
            continue
        values = {framework: cell(row, framework, run, source) for framework, run in runs.items()}
        table.append(_table_row(row, values, _quality_spread(row, mates, source, loader)))
    return table


def _table_row(row: Row, values: dict, over_seeds=None, ranked=None) -> FrameworkRow:
    return FrameworkRow(
        row.quantity, values, row.computed_by, row.better, row.digits, over_seeds, ranked
    )


def _quality_spread(
    row: Row, mates: dict[str, list[Run]], source: str, loader: Loader | None
) -> SeedSpread | None:
    """The spread over seeds of a quality row's figure; None for a row without one."""
    if row.function is validation_accuracy:
        return metric_spread(validation_accuracy, mates)
    figure = SEED_FIGURE.get(row.function)
    if figure is None:
        return None
    return metric_spread(lambda mate: getattr(seed_figures(mate, source, loader), figure), mates)


def metric_spread(value_of: Callable[[Run], float], mates: dict[str, list[Run]]) -> SeedSpread:
    """The sd of one figure (``value_of(run)``) over each framework's seed mates (every machine):
    a gap between the frameworks within it is not ranked. No spread with a single seed."""
    from pipeline.evaluate.seeds import spread

    return SeedSpread(
        spread={
            framework: spread([value_of(mate) for mate in group]).sd if len(group) > 1 else None
            for framework, group in mates.items()
        },
        seeds={framework: len(group) for framework, group in mates.items()},
    )


def same_training_machine(runs: dict[str, Run]) -> bool:
    """Whether every run records the same training machine (``pipeline.machine.machine_id``)."""
    machines = {run.status().machine for run in runs.values()}
    return len(machines) == 1 and None not in machines


def speed_basis(runs: dict[str, Run]) -> str:
    """What the training-speed rows compare, in one sentence."""
    from pipeline.machine import machine_id

    if not same_training_machine(runs):
        return (
            "Training speeds are not ranked: these runs trained on different machines (or one "
            "did not record its machine)."
        )
    machine = next(iter(runs.values())).status().machine
    where = "this machine" if machine == machine_id() else "one machine, not this one"
    return (
        f"Training speeds: mean ± sd over each run's seeds trained on {where}; a gap within "
        "that spread is not ranked. Inference is timed here, now."
    )


def seed_mates(run: Run, groups: list, same_machine: bool = True) -> list[Run]:
    """``run``'s seed group among ``groups`` (``pipeline.evaluate.seeds.seed_groups``, itself
    included); only the runs trained on its machine when ``same_machine`` (speeds compare only
    there)."""
    from pipeline.evaluate.seeds import group_of

    group = group_of(run.id, groups)
    mates = [Run(run_id) for run_id in group.run_ids] if group else [run]
    machine = run.status().machine
    return [m for m in mates if not same_machine or m.status().machine == machine] or [run]


def speed_over_seeds(function: Callable, mates: dict[str, list[Run]]) -> SpeedOverSeeds:
    """``function``'s mean and sd over each framework's seed mates (runs that did not record
    it left out): ``pipeline.evaluate.seeds.spread`` of each framework's values."""
    from pipeline.evaluate.seeds import spread

    found = {}
    for framework, group in mates.items():
        values = [value for value in map(function, group) if value is not None]
        found[framework] = spread(values) if values else None
    return SpeedOverSeeds(
        spread={f: (s.sd if s else None) for f, s in found.items()},
        seeds={f: (s.n if s else 0) for f, s in found.items()},
        means={f: (s.mean if s else None) for f, s in found.items()},
    )


def better_framework(row: FrameworkRow) -> str | None:
    """The framework ahead on one ``framework_table`` row (its id), when the gap shows at the
    row's precision and the row says which way is better; None otherwise. A speed row from
    different machines is never ranked, and one whose gap is within the seeds' spread neither."""
    values = {f: row.values.get(f) for f in FRAMEWORKS}
    if not row.better or any(v is None for v in values.values()) or row.ranked is False:
        return None
    spreads = [s for s in (row.spread(f) for f in FRAMEWORKS) if s is not None]
    if spreads and abs(values["keras"] - values["torch"]) <= max(spreads):
        return None  # within the seed-to-seed spread: noise
    keras, torch = (round(values[f], row.digits) for f in FRAMEWORKS)
    if keras == torch:
        return None
    higher = "keras" if keras > torch else "torch"
    return higher if row.better == "higher" else ("torch" if higher == "keras" else "keras")


def differing_settings(runs: dict[str, Run]) -> dict[str, list]:
    """Settings other than the framework that differ between the runs: the comparison's caveats."""
    configs = {framework: run.config().to_dict() for framework, run in runs.items()}
    keys = sorted(set().union(*configs.values()) - {"framework"})
    return {
        key: [configs[f].get(key) for f in runs]
        for key in keys
        if len({json.dumps(configs[f].get(key), sort_keys=True) for f in runs}) > 1
    }


def summary_sentences(rows: list[FrameworkRow]) -> list[str]:
    """What the measured table says, in words: speed and size ratios, metric gaps."""
    by_quantity = {row.quantity: row for row in rows}
    sentences = [
        _speed_sentence(by_quantity[quantity], noun)
        for quantity, noun in (
            ("seconds per epoch", "an epoch"),
            ("inference ms per image (CPU)", "inference"),
        )
    ]
    sentences = [sentence for sentence in sentences if sentence]
    sentences.append(_auc_sentence(by_quantity["test AUC"]))
    lines = by_quantity["lines of model code"].values
    sentences.append(
        f"The same network takes {lines['keras']} lines of Keras and {lines['torch']} lines of PyTorch "
        f"(plus {shared_model_code_lines()} shared lines of constants in `models/{SHARED_MODEL_FILE}`)."
    )
    return sentences


def _speed_sentence(row: FrameworkRow, noun: str) -> str | None:
    if row.ranked is False:
        return (
            "Training speeds are not compared: the two runs trained on different machines "
            "(or did not record theirs)."
        )
    if better_framework(row) is None and row.over_seeds is not None:
        return (
            f"Time per epoch: within the seed-to-seed spread on the machine that trained "
            f"them ({_with_spread(row, 'keras')} s Keras, {_with_spread(row, 'torch')} s PyTorch)."
        )
    values, digits = row.values, row.digits
    faster, slower = sorted(FRAMEWORKS, key=lambda f: values[f])
    if not values[faster] or values[slower] == values[faster]:
        return None
    return (
        f"{FRAMEWORK_NAMES[faster]} was {values[slower] / values[faster]:.2f}x faster at {noun} "
        f"({values[faster]:.{digits}f} against {values[slower]:.{digits}f} "
        f"{'s' if noun == 'an epoch' else 'ms per image'})."
    )


def _auc_sentence(auc: FrameworkRow) -> str:
    keras, torch = auc.values["keras"], auc.values["torch"]
    gap = round(torch, 3) - round(keras, 3)
    leader = FRAMEWORK_NAMES["torch" if gap > 0 else "keras"]
    spreads = [s for s in (auc.spread(f) for f in FRAMEWORKS) if s is not None]
    if gap and spreads and better_framework(auc) is None:
        ending = (
            f": a gap of {abs(gap):.3f}, within the spread over seeds ({max(spreads):.3f}), so "
            "neither framework is ahead."
        )
    elif gap:
        ending = (
            f" ({leader} ahead by {abs(gap):.3f}; the Evaluation page's paired bootstrap says whether "
            "that gap is larger than the test split's noise)."
        )
    else:
        ending = ": the same to three decimals."
    return f"Test AUC: Keras {keras:.3f}, PyTorch {torch:.3f}{ending}"


def _with_spread(row: FrameworkRow, framework: str) -> str:
    spread = row.spread(framework)
    text = f"{row.values[framework]:.{row.digits}f}"
    return text + (f" ± {spread:.{row.digits}f}" if spread is not None else "")


@dataclass(frozen=True)
class TableReport(Record):
    """What the page's first section and ``python -m pipeline.talk table`` show: the runs
    compared, or the frameworks still missing one; the rows and what they say in words."""

    source: str
    runs: dict[str, str | None]  # framework -> run id
    missing: list[MissingRun]
    rows: list[FrameworkRow] = field(default_factory=list)
    sentences: list[str] = field(default_factory=list)
    differing_settings: dict[str, list] = field(default_factory=dict)


def table_report(
    source: str, runs: dict[str, Run | None] | None = None, loader: Loader | None = None
) -> TableReport:
    """Everything the page's first section and ``python -m pipeline.talk table`` show."""
    from pipeline.data import open_source

    # SourceError for a source that cannot be read, before "no runs"
    open_source(source).fingerprint()
    runs = default_runs(source) if runs is None else runs
    ids = {f: (run.id if run else None) for f, run in runs.items()}
    missing = missing_runs(source, runs)
    if missing:
        return TableReport(source, ids, missing)
    rows = framework_table(source, runs, loader)
    return TableReport(
        source, ids, missing, rows, summary_sentences(rows), differing_settings(runs)
    )
