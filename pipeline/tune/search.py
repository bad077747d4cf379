"""The search itself: Optuna draws a spec, each trial trains it for real and scores it.

A trial trains one cached run per framework and seed (``pipeline.sweep.runs``: a spec
tried before costs nothing) and scores each under the shift stress on the patient-grouped
validation split. The objective is the mean of those stress-mean AUCs; the seed-to-seed spread
is kept beside it (``spread``), with the run ids (``run_ids``).

Each (framework, seed) is a step: after each, the trial reports the mean so far and the pruner
stops it when it sits in the bottom quarter of the earlier trials at that step (Optuna's
``PercentilePruner``; clearly worse, not merely below the median, since one seed is noisy). A
trial of one framework and one seed has a single step and is never pruned.

The first trial of a new study is the preset's own augmentation, so every search holds its
reference. An interrupted trial (the process killed or cancelled) is tried again, with the
same spec, when the search resumes; its finished runs are cached, so only the rest trains.
"""

from __future__ import annotations

import signal
import statistics
import time
import warnings

from pipeline.sweep.runs import TrainingFailed, finish, score, start
from pipeline.tune.space import params_of, suggest_spec
from pipeline.tune.study import SearchSettings, open_study

PRUNE_PERCENTILE = 25.0  # prune below the earlier trials' first quartile at the same step
PRUNE_AFTER = 2  # trials finished before the pruner judges
# random draws before TPE models the results (Optuna's default is 10): a 12-trial search is
# then mostly guided; the preset's own spec is the first of them
RANDOM_TRIALS = 5


def run_search(settings: SearchSettings, trials: int, executor: str | None = None, log=print):
    """Run ``settings``'s study until it holds ``trials`` finished trials; returns the study."""
    import optuna

    study = open_study(settings.name, create=True)
    _recover_interrupted(study)
    if not study.trials:
        study.enqueue_trial(params_of(settings.preset_augment()))
    # seeded by how far the study got: reproducible, and a resumed search draws new specs
    study.sampler = optuna.samplers.TPESampler(
        seed=len(study.trials), n_startup_trials=RANDOM_TRIALS
    )
    study.pruner = optuna.pruners.PercentilePruner(
        PRUNE_PERCENTILE, n_startup_trials=PRUNE_AFTER, n_min_trials=PRUNE_AFTER
    )
    remaining = trials - len(finished_trials(study))
    if remaining > 0:
        # a known spec off the declared step grid (the preset's gamma 1.33) is used as it is
        warnings.filterwarnings("ignore", message="Fixed parameter .* is out of range")
        previous = signal.signal(signal.SIGTERM, _interrupt)  # cancel_search: end like Ctrl-C
        try:
            study.optimize(
                lambda trial: objective(trial, settings, executor, log),
                n_trials=remaining,
                catch=(TrainingFailed,),
            )
        finally:
            signal.signal(signal.SIGTERM, previous)
    return study


def finished_trials(study) -> list:
    """Trials that count towards the target: complete, pruned, or failed for a reason of their
    own (an interrupted one is tried again instead)."""
    from optuna.trial import TrialState

    return [
        trial
        for trial in study.get_trials(deepcopy=False)
        if trial.state in (TrialState.COMPLETE, TrialState.PRUNED)
        or (trial.state == TrialState.FAIL and "error" in trial.user_attrs)
    ]


def objective(trial, settings: SearchSettings, executor: str | None, log=print) -> float:
    import optuna

    spec = suggest_spec(trial, settings.preset_augment())
    trial.set_user_attr("augment", spec.to_dict())
    units, run_ids, values = settings.units(), [], {}
    for step, (framework, seed) in enumerate(units):
        try:
            value = _unit(trial, settings.config(framework, seed, spec), executor, run_ids)
        except TrainingFailed as error:
            trial.set_user_attr("error", str(error))
            raise
        except (KeyboardInterrupt, Exception):
            trial.study.enqueue_trial(trial.params)  # the same spec, first, when resumed
            raise
        values.setdefault(framework, []).append(value)
        mean = statistics.mean(v for per in values.values() for v in per)
        log(f"trial {trial.number} {framework} seed {seed}: stress AUC {value:.4f}")
        trial.report(mean, step)
        if step < len(units) - 1 and trial.should_prune():
            raise optuna.TrialPruned(f"mean stress AUC {mean:.4f} after {step + 1} of {len(units)}")
    trial.set_user_attr("spread", seed_spread(values))
    return mean


def seed_spread(values: dict[str, list[float]]) -> float | None:
    """The seed-to-seed sd of the stress AUC, averaged over frameworks; None for one seed."""
    sds = [statistics.stdev(per) for per in values.values() if len(per) > 1]
    return statistics.mean(sds) if sds else None


def _unit(trial, config, executor: str | None, run_ids: list[str]) -> float:
    """Train ``config`` (or find it cached) and score it: its stress-mean AUC on validation.
    The run id is recorded on the trial at once, so the app can follow the run as it trains."""
    from pipeline.training.queue import cancel, wait

    outcome = start(config, executor)
    run_ids.append(outcome.run.id)
    trial.set_user_attr("run_ids", list(run_ids))
    try:
        finish(outcome, config)
    except KeyboardInterrupt:
        # a cancelled search leaves no training behind; waiting for the run to stop (at its
        # next step) means a resumed search trains it again instead of attaching to it
        cancel(outcome.run.id)
        wait(outcome.run)
        raise
    value = score(outcome.run.id, config.source).stress_auc
    if value is None:
        raise TrainingFailed(
            f"run {outcome.run.id} has no AUC: the validation split of {config.source} holds "
            "one class; search on a source whose validation split has both"
        )
    return value


def _recover_interrupted(study) -> None:
    """Trials left running by a search process that died: failed, and their spec tried again.
    Called under the search's lock, so no live process owns them."""
    from optuna.trial import TrialState

    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        study.tell(trial.number, state=TrialState.FAIL)
        if trial.params:
            study.enqueue_trial(trial.params)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


# ---- reading a study back (pipeline.tune.search_state) ----


def trial_record(frozen, running: bool):
    """``frozen`` (an ``optuna.trial.FrozenTrial``) as a ``Trial``; None for one not begun.

    A pruned or running trial's objective is its mean so far; a trial left running by a
    search that no longer runs was interrupted, and reads as failed."""
    from optuna.trial import TrialState

    from pipeline.tune.records import Trial

    states = {
        TrialState.RUNNING: "running" if running else "failed",
        TrialState.COMPLETE: "complete",
        TrialState.PRUNED: "pruned",
        TrialState.FAIL: "failed",
    }
    if frozen.state not in states or frozen.datetime_start is None:
        return None
    so_far = frozen.intermediate_values
    objective = frozen.value if frozen.state == TrialState.COMPLETE else None
    if frozen.state in (TrialState.PRUNED, TrialState.RUNNING) and so_far:
        objective = so_far[max(so_far)]
    ended = frozen.datetime_complete
    cost = (ended.timestamp() if ended else time.time()) - frozen.datetime_start.timestamp()
    return Trial(
        number=frozen.number,
        augment=frozen.user_attrs.get("augment", {}),
        run_ids=tuple(frozen.user_attrs.get("run_ids", ())),
        objective=objective,
        spread=frozen.user_attrs.get("spread"),
        state=states[frozen.state],
        cost_s=round(cost, 1),
    )


def field_importances(study) -> dict[str, float]:
    """fANOVA importance of each spec field (its parameters summed) over the complete trials;
    {} when Optuna cannot tell (too few trials, or no parameter that varied)."""
    import optuna

    from pipeline.tune.space import field_of

    evaluator = optuna.importance.FanovaImportanceEvaluator(seed=0)
    try:
        by_param = optuna.importance.get_param_importances(study, evaluator=evaluator)
    except (RuntimeError, ValueError):
        return {}
    by_field: dict[str, float] = {}
    for param, importance in by_param.items():
        by_field[field_of(param)] = by_field.get(field_of(param), 0.0) + float(importance)
    return dict(sorted(by_field.items(), key=lambda item: item[1], reverse=True))
