"""The run history's filter (pipeline/runs/listing.py) over summaries shaped as ``Run.summary()``."""

from pipeline.runs.listing import RunFilter
from pipeline.runs.records import RunSummary


def summary(run_id: str, framework: str, status: str, source: str | None) -> RunSummary:
    return RunSummary(
        run_id=run_id,
        status=status,
        framework=framework,
        source=source,
        epochs=None,
        img_size=None,
        seed=None,
        created=None,
        ended=None,
        device=None,
        val=None,
        error=None,
        executor="local",
        node=None,
        origin="trained",
        dataset="?",
        identity=None,
    )


SUMMARIES = [
    summary("aaaa1111", "keras", "finished", "synthetic"),
    summary("bbbb2222", "torch", "running", "/data/xrays"),
    summary("cccc3333", "torch", "failed", None),
]


def ids(chosen: RunFilter) -> list[str]:
    return [summary.run_id for summary in chosen.apply(SUMMARIES)]


def test_an_empty_filter_keeps_every_run_in_order():
    assert ids(RunFilter()) == ["aaaa1111", "bbbb2222", "cccc3333"]


def test_frameworks_states_and_text_each_narrow_the_list():
    assert ids(RunFilter(frameworks=("torch",))) == ["bbbb2222", "cccc3333"]
    assert ids(RunFilter(states=("finished", "failed"))) == ["aaaa1111", "cccc3333"]
    assert ids(RunFilter(text="xrays")) == ["bbbb2222"]  # in the source
    assert ids(RunFilter(text="cccc")) == ["cccc3333"]  # in the run id; a run with no source
    assert ids(RunFilter(frameworks=("torch",), states=("running",), text="bbbb")) == ["bbbb2222"]
    assert ids(RunFilter(frameworks=("keras",), states=("failed",))) == []


def test_the_search_text_is_literal_and_case_sensitive():
    assert ids(RunFilter(text=".*")) == []  # not a regular expression
    assert ids(RunFilter(text="AAAA")) == []
