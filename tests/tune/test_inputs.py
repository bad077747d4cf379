"""Bad input to the search library is refused before anything starts, saying what to do."""

import pytest


def test_a_name_that_is_no_search_is_refused_with_what_to_do():
    from pipeline.tune import SearchError, cancel_search, search_state

    for name in ("augment-nothing", "../../etc/passwd", ""):
        with pytest.raises(SearchError, match="list_searches"):
            search_state(name)
    with pytest.raises(SearchError, match="list_searches"):
        cancel_search("augment-nothing")


def test_impossible_search_settings_say_what_is_wrong():
    from pipeline.tune import SearchError, start_search

    cases = [
        ({"frameworks": ("jax",)}, "give one or both"),
        ({"frameworks": ()}, "give one or both"),
        ({"seeds": (0, 0)}, "distinct"),
        ({"preset": "huge"}, "unknown preset"),
        ({"trials": 0}, "trials"),
        ({"executor": "slurm"}, "local, ray"),
        ({"overrides": {"augment": "none"}}, "draws the augmentation"),
        ({"overrides": {"img_size": 8}}, "img_size"),
    ]
    for change, words in cases:
        arguments = {"source": "synthetic", "frameworks": ("torch",), "trials": 1} | change
        with pytest.raises(SearchError, match=words):
            start_search(**arguments)
