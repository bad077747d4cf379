"""The run history's filter (pipeline/runs/listing.py) over summaries shaped as ``Run.summary()``."""

from pipeline.runs.listing import RunFilter

SUMMARIES = [
    {"run_id": "aaaa1111", "framework": "keras", "status": "finished", "source": "synthetic"},
    {"run_id": "bbbb2222", "framework": "torch", "status": "running", "source": "/data/xrays"},
    {"run_id": "cccc3333", "framework": "torch", "status": "failed", "source": None},
]


def ids(chosen: RunFilter) -> list[str]:
    return [summary["run_id"] for summary in chosen.apply(SUMMARIES)]


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
