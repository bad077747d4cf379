"""Keras vs PyTorch from the user's own runs: one named function per row of the conclusion's table.

    runs = default_runs(source)                 # {"keras": Run | None, "torch": Run | None}
    report = table_report(source, runs)         # rows, each naming the function that computed it

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
from dataclasses import dataclass
from pathlib import Path

from pipeline.frameworks import FRAMEWORK_NAMES, FRAMEWORKS
from pipeline.records import EvaluationSummary, RunResult
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


def missing_runs(source: str, runs: dict[str, Run | None]) -> list[dict]:
    """For each framework without a finished run: what to start, and any run already under way."""
    missing = []
    for framework, run in runs.items():
        if run is not None:
            continue
        under_way = active_run(framework, source)
        missing.append(
            {
                "framework": framework,
                "command": f"python -m pipeline.train --framework {framework} "
                f"--source {shlex.quote(source)} --preset quick",
                "under_way": {"run_id": under_way.id, "status": under_way.state}
                if under_way
                else None,
            }
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


def seed_figures(run: Run, source: str, loader: Loader | None = None) -> dict:
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
    return {
        "val AUC": validation_auc(run),
        "test accuracy": test["accuracy"],
        "test AUC": test["auc"],
        "test NORMAL recall": test["specificity"],
        "test PNEUMONIA recall": test["sensitivity"],
        "stress-mean AUC": stress.mean["auc"] if stress else None,
    }


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
    quantity: str
    function: Callable
    reads: str  # "run" (result.json or weights), "test" (run and source) or "code" (framework)
    better: str  # "higher", "lower" or "" (neither)
    digits: int  # decimals shown


ROWS = (
    Row("validation AUC", validation_auc, "run", "higher", 3),
    Row("validation accuracy (threshold 0.5)", validation_accuracy, "run", "higher", 3),
    Row("test AUC", test_auc, "test", "higher", 3),
    Row("test accuracy (run's threshold)", test_accuracy, "test", "higher", 3),
    Row("test sensitivity (PNEUMONIA recall)", test_sensitivity, "test", "higher", 3),
    Row("test specificity (NORMAL recall)", test_specificity, "test", "higher", 3),
    Row("training time (s)", training_seconds, "run", "lower", 1),
    Row("seconds per epoch", seconds_per_epoch, "run", "lower", 1),
    Row("training images per second", images_per_second, "run", "higher", 0),
    Row("parameters", parameters, "run", "", 0),
    Row("weights file (MB)", weights_megabytes, "run", "lower", 2),
    Row("inference ms per image (CPU)", inference_ms_per_image, "test", "lower", 3),
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
# Quality rows: the chosen run's value, and the spread of the same figure over its seeds
SEED_FIGURE = {
    validation_auc: "val AUC",
    test_auc: "test AUC",
    test_accuracy: "test accuracy",
    test_sensitivity: "test PNEUMONIA recall",
    test_specificity: "test NORMAL recall",
}


def framework_table(source: str, runs: dict[str, Run], loader: Loader | None = None) -> list[dict]:
    """One dict per row: ``quantity``, a value per framework, ``function`` (its dotted name), ``better``.

    ``runs`` holds a finished run for each framework. Test evaluations are computed first
    (with ``loader`` when given), so every test row then reads the cache. A training-speed row
    holds the mean over each run's seed group on its machine, ``spread`` (sd per framework) and
    ``ranked``: False when the runs trained on different (or unrecorded) machines.
    """
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
        entry = {
            "quantity": row.quantity,
            **{framework: cell(row, framework, run, source) for framework, run in runs.items()},
            "function": f"{row.function.__module__}.{row.function.__name__}",
            "better": row.better,
            "digits": row.digits,
        }
        if row.function in TRAINING_SPEEDS:
            entry |= speed_over_seeds(row.function, speed_mates) | {"ranked": same, "mean": True}
        elif row.function in SEED_FIGURE:
            figure = SEED_FIGURE[row.function]
            entry |= metric_spread(
                lambda mate, figure=figure: seed_figures(mate, source, loader)[figure], mates
            )
        elif row.function is validation_accuracy:
            entry |= metric_spread(validation_accuracy, mates)
        table.append(entry)
    return table


def metric_spread(value_of: Callable[[Run], float], mates: dict[str, list[Run]]) -> dict:
    """The sd of one figure (``value_of(run)``) over each framework's seed mates (every machine):
    a gap between the frameworks within it is not ranked. No spread with a single seed."""
    import numpy as np

    spread, seeds = {}, {}
    for framework, group in mates.items():
        values = [value_of(mate) for mate in group] if len(group) > 1 else []
        spread[framework] = float(np.std(values, ddof=1)) if len(values) > 1 else None
        seeds[framework] = len(group)
    return {"spread": spread, "seeds": seeds}


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


def speed_over_seeds(function: Callable, mates: dict[str, list[Run]]) -> dict:
    """``function``'s mean and sd over each framework's seed mates:
    {framework: mean, "spread": {...}, "seeds": {...}}."""
    import numpy as np

    found, spread, seeds = {}, {}, {}
    for framework, group in mates.items():
        values = [function(mate) for mate in group]
        values = [v for v in values if v is not None]
        found[framework] = float(np.mean(values)) if values else None
        spread[framework] = float(np.std(values, ddof=1)) if len(values) > 1 else None
        seeds[framework] = len(values)
    return {**found, "spread": spread, "seeds": seeds}


def better_framework(row: dict) -> str | None:
    """The framework ahead on one ``framework_table`` row (its id), when the gap shows at the
    row's precision and the row says which way is better; None otherwise. A speed row from
    different machines is never ranked, and one whose gap is within the seeds' spread neither."""
    values = {f: row.get(f) for f in FRAMEWORKS}
    if not row["better"] or any(v is None for v in values.values()) or row.get("ranked") is False:
        return None
    spreads = [s for s in (row.get("spread") or {}).values() if s is not None]
    if spreads and abs(values["keras"] - values["torch"]) <= max(spreads):
        return None  # within the seed-to-seed spread: noise
    keras, torch = (round(values[f], row["digits"]) for f in FRAMEWORKS)
    if keras == torch:
        return None
    higher = "keras" if keras > torch else "torch"
    return higher if row["better"] == "higher" else ("torch" if higher == "keras" else "keras")


def differing_settings(runs: dict[str, Run]) -> dict[str, list]:
    """Settings other than the framework that differ between the runs: the comparison's caveats."""
    configs = {framework: run.config().to_dict() for framework, run in runs.items()}
    keys = sorted(set().union(*configs.values()) - {"framework"})
    return {
        key: [configs[f].get(key) for f in runs]
        for key in keys
        if len({json.dumps(configs[f].get(key), sort_keys=True) for f in runs}) > 1
    }


def summary_sentences(rows: list[dict]) -> list[str]:
    """What the measured table says, in words: speed and size ratios, metric gaps."""
    by_quantity = {row["quantity"]: row for row in rows}
    sentences = []
    for quantity, noun in (
        ("seconds per epoch", "an epoch"),
        ("inference ms per image (CPU)", "inference"),
    ):
        row = by_quantity[quantity]
        if row.get("ranked") is False:
            sentences.append(
                "Training speeds are not compared: the two runs trained on different machines "
                "(or did not record theirs)."
            )
            continue
        if better_framework(row) is None and row.get("spread"):
            sentences.append(
                f"Time per epoch: within the seed-to-seed spread on the machine that trained "
                f"them ({_with_spread(row, 'keras')} s Keras, {_with_spread(row, 'torch')} s PyTorch)."
            )
            continue
        faster, slower = sorted(FRAMEWORKS, key=lambda f: row[f])
        if row[faster] and row[slower] != row[faster]:
            sentences.append(
                f"{FRAMEWORK_NAMES[faster]} was {row[slower] / row[faster]:.2f}x faster at {noun} "
                f"({row[faster]:.{row['digits']}f} against {row[slower]:.{row['digits']}f} "
                f"{'s' if noun == 'an epoch' else 'ms per image'})."
            )
    auc = by_quantity["test AUC"]
    gap = round(auc["torch"], 3) - round(auc["keras"], 3)
    leader = FRAMEWORK_NAMES["torch" if gap > 0 else "keras"]
    spreads = [s for s in (auc.get("spread") or {}).values() if s is not None]
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
    sentences.append(f"Test AUC: Keras {auc['keras']:.3f}, PyTorch {auc['torch']:.3f}{ending}")
    lines = by_quantity["lines of model code"]
    sentences.append(
        f"The same network takes {lines['keras']} lines of Keras and {lines['torch']} lines of PyTorch "
        f"(plus {shared_model_code_lines()} shared lines of constants in `models/{SHARED_MODEL_FILE}`)."
    )
    return sentences


def _with_spread(row: dict, framework: str) -> str:
    value, spread = row[framework], (row.get("spread") or {}).get(framework)
    text = f"{value:.{row['digits']}f}"
    return text + (f" ± {spread:.{row['digits']}f}" if spread is not None else "")


def table_report(
    source: str, runs: dict[str, Run | None] | None = None, loader: Loader | None = None
) -> dict:
    """Everything the page's first section and ``python -m pipeline.talk table`` show, as JSON."""
    from pipeline.data import open_source

    open_source(
        source
    ).fingerprint()  # SourceError for a source that cannot be read, before "no runs"
    runs = default_runs(source) if runs is None else runs
    report = {
        "source": source,
        "runs": {f: (run.id if run else None) for f, run in runs.items()},
        "missing": missing_runs(source, runs),
        "rows": [],
        "sentences": [],
        "differing_settings": {},
    }
    if not report["missing"]:
        report["rows"] = framework_table(source, runs, loader)
        report["sentences"] = summary_sentences(report["rows"])
        report["differing_settings"] = differing_settings(runs)
    return report
