"""The Conclusion's three comparisons over seeds (``pipeline.talk.claims``): on tiny real runs
trained here (32 px, width 0.25, one epoch, the synthetic data), each figure a mean over seeds
judged by the one noise rule (``pipeline.evaluate.seeds.compare_spreads``); missing seed
groups name the command that trains them, and the page never offers training where it is off."""

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipeline.commands.train import _parser as train_parser
from pipeline.commands.train import build_config
from pipeline.evaluate.seeds import compare_spreads, spread
from pipeline.runs import Run
from pipeline.talk import claims, conclusion, framework_gap
from pipeline.training.config import TALK_PIPELINES, TrainConfig
from tests.helpers.configs import tiny_settings

ROOT = Path(__file__).resolve().parents[2]
TINY = tiny_settings(source=None, augment=None)  # overrides of the talk preset
SEEDS = (0, 1)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def tiny_talk(framework: str, seed: int) -> TrainConfig:
    return TrainConfig.from_preset(
        "talk", framework=framework, source="synthetic", seed=seed, **TINY
    )


@pytest.fixture(scope="module")
def as_given() -> dict[str, list[Run]]:
    """Both pipelines as the talk gives them, seeds 0 and 1, trained through the queue."""
    from pipeline.training.queue import trigger, wait

    outcomes = {
        framework: [trigger(tiny_talk(framework, seed)) for seed in SEEDS]
        for framework in ("keras", "torch")
    }
    for framework, started in outcomes.items():
        for outcome in started:
            assert wait(outcome.run, poll_s=0.3).status == "finished", framework
    return {f: [o.run for o in started] for f, started in outcomes.items()}


# ---- the words follow the rule (no training) ----


def verdict(name: str, keras: list[float], torch: list[float]):
    return compare_spreads(name, spread(keras), spread(torch))


def test_the_headline_follows_the_noise_rule():
    within = verdict("test AUC", [0.90, 0.92, 0.91], [0.905, 0.915, 0.90])
    beyond = verdict("test accuracy", [0.90, 0.91, 0.92], [0.80, 0.81, 0.80])
    one_seed = verdict("val AUC", [0.9], [0.8])
    assert within.within_noise is True and beyond.within_noise is False
    assert one_seed.within_noise is None
    as_given = claims._headline(claims.AS_GIVEN, (within,))
    assert "every figure is within the seed-to-seed spread" in as_given
    assert "Keras pipeline from the PyTorch pipeline" in as_given
    said = claims._headline(claims.SAME_PROCESSING, (within, beyond))
    assert "Keras ahead on test accuracy (+0.107, spread 0.010)" in said
    assert "the other 1 figure(s) within it" in said
    assert "spread is unknown" in claims._headline(claims.AS_GIVEN, (within, one_seed))
    assert "within the seed-to-seed spread" in claims._verdict_words(claims.AS_GIVEN, within)
    assert "beyond the seed-to-seed spread (0.010)" in claims._verdict_words(
        claims.SAME_PROCESSING, beyond
    )


def test_with_no_runs_every_side_names_its_command(monkeypatch, tmp_path):
    monkeypatch.setenv("PNEUMOLAB_CACHE", str(tmp_path))  # an empty store
    found = claims.claims("synthetic")
    assert [c.key for c in found.claims] == ["as_given", "same_processing", "framework_gap"]
    as_given, same, gap = found.claims
    assert as_given.status == same.status == "missing" and not as_given.verdicts
    assert [s.command for s in as_given.sides] == [
        f"python -m pipeline.train --framework {f} --source synthetic --preset talk --seeds 0,1,2"
        for f in ("keras", "torch")
    ]
    assert {s.preset for s in same.sides} == {"full"} and same.differences == ()
    assert {row["setting"] for row in as_given.differences} == {
        "augment.normalization",
        "class_balancing",
    }
    finding = framework_gap.load_finding()
    assert gap.status == ("missing" if finding is None else "measured")
    if finding is not None:
        assert list(gap.sentences[:-1]) == finding.sentences() and gap.gap == finding
    assert json.loads(json.dumps(found.to_dict()))["claims"][0]["sides"][0]["missing"] == [0, 1, 2]


def test_a_command_trains_exactly_the_missing_side(monkeypatch, tmp_path):
    monkeypatch.setenv("PNEUMOLAB_CACHE", str(tmp_path))
    keras = claims.side("synthetic", "keras", "talk", (0, 1), TINY)
    args = train_parser().parse_args(shlex.split(keras.command)[3:])
    configs = [build_config(args, seed) for seed in args.seeds]
    assert configs == [tiny_talk("keras", seed) for seed in (0, 1)]


# ---- on tiny real runs ----


@pytest.mark.slow
@pytest.mark.usefixtures("no_run_left_behind")
def test_the_pipelines_as_given_over_seeds_by_the_noise_rule(as_given):
    found = claims.claims("synthetic", seeds=SEEDS, overrides=TINY)
    claim = found.of(claims.AS_GIVEN)
    assert claim.status == "measured"
    keras, torch = claim.sides
    assert keras.run_ids == tuple(run.id for run in as_given["keras"]) and keras.seeds == SEEDS
    assert torch.run_ids == tuple(run.id for run in as_given["torch"]) and torch.command is None
    assert Run(torch.run_ids[0]).config().class_balancing == "sampler"
    # every figure: the mean over seeds of what the Conclusion's seed table scores, and the rule
    figures = {
        f: [conclusion.seed_figures(run, "synthetic").named() for run in runs]
        for f, runs in as_given.items()
    }
    names = [name for name in figures["keras"][0] if figures["keras"][0][name] is not None]
    assert [v.quantity for v in claim.verdicts] == names
    for found_verdict in claim.verdicts:
        name = found_verdict.quantity
        expected = verdict(
            name, [f[name] for f in figures["keras"]], [f[name] for f in figures["torch"]]
        )
        assert found_verdict == expected
        assert found_verdict.within_noise == (abs(expected.difference) <= expected.noise)
    assert claim.sentences[0] == claims._headline(claims.AS_GIVEN, claim.verdicts)
    # nothing of `full` at this size: the page says what to run
    same = found.of(claims.SAME_PROCESSING)
    assert same.status == "missing" and all("--preset full" in s.command for s in same.sides)

    # a third seed asked for: measured on two, the third named
    partial = claims.group_claim(claims.AS_GIVEN, "synthetic", seeds=(0, 1, 2), overrides=TINY)
    assert partial.status == "incomplete" and partial.verdicts == claim.verdicts
    assert [s.missing for s in partial.sides] == [(2,), (2,)]
    assert all(s.command.endswith("--seeds 2") for s in partial.sides)
    assert TALK_PIPELINES["keras"].class_balancing == Run(keras.run_ids[0]).config().class_balancing


# ---- the command line and the page ----


@pytest.mark.app
def test_cli_prints_the_claims(monkeypatch, tmp_path):
    environment = {**os.environ, "PNEUMOLAB_CACHE": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "pipeline.talk", "claims", "--source", "synthetic", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=environment,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    printed = json.loads(done.stdout)
    monkeypatch.setenv("PNEUMOLAB_CACHE", str(tmp_path))
    assert printed == json.loads(json.dumps(claims.claims("synthetic").to_dict()))


@pytest.mark.app
@pytest.mark.parametrize("allowed", ["1", "0"])
def test_the_section_says_what_to_train_only_where_training_is_on(monkeypatch, tmp_path, allowed):
    monkeypatch.setenv("PNEUMOLAB_CACHE", str(tmp_path))
    monkeypatch.setenv("PNEUMOLAB_ALLOW_TRAINING", allowed)
    app = AppTest.from_function(_draw_section, default_timeout=60).run()
    assert not app.exception, [e.value for e in app.exception]
    said = "\n".join(e.value for e in [*app.warning, *app.info])
    assert "preset `talk`: seed(s) 0, 1, 2 not trained on this source" in said
    assert [h.value for h in app.subheader] == [
        "1 · The two pipelines as given",
        "2 · The same processing in both",
        "3 · The framework gap",
    ]
    if allowed == "1":
        assert "python -m pipeline.train --framework keras --source synthetic --preset talk" in said
    else:
        assert "python -m pipeline.train" not in said and "training is off" in said


def _draw_section():
    from dashboard.widgets.claims import claims_section

    claims_section("synthetic")
