"""Where a value a talk page shows comes from: the talk's slides, or this app's choice.

The one table of the talk's settings and their origins is ``pipeline.training.config``'s
(``TALK_SETTINGS``, ``THRESHOLD_NOTE``): the training presets are built from it. The talk's
pages read it through ``marked`` to say, beside a value the slides do not give, that it is the
app's choice instead of attributing it to the talk.
"""

from __future__ import annotations

from pipeline.training.config import APP, SLIDE, THRESHOLD_NOTE, Setting, talk_settings

ORIGIN_WORDS = {SLIDE: "the talk's slides", APP: "this app's choice"}


def setting(name: str, framework: str = "keras") -> Setting:
    """One of the talk's settings (``img_size``, ``epochs``, ``augment.rotation``, ``threshold``)."""
    if name == THRESHOLD_NOTE.name:
        return THRESHOLD_NOTE
    found = next((s for s in talk_settings(framework) if s.name == name), None)
    if found is None:
        raise KeyError(f"no talk setting {name!r} for {framework}")
    return found


def _value(value) -> str:
    if value is True:
        return "on"
    return f"{value:g}" if isinstance(value, float) else str(value)


def marked(name: str, framework: str = "keras") -> str:
    """``value`` and where it comes from, for a caption: "150 (this app's choice: ...)"."""
    found = setting(name, framework)
    return f"{_value(found.value)} ({ORIGIN_WORDS.get(found.origin, found.origin)}: {found.note})"


def said(name: str, framework: str = "keras") -> str:
    """Where the setting comes from, in words: "this app's choice: not on the slides"."""
    found = setting(name, framework)
    return f"{ORIGIN_WORDS.get(found.origin, found.origin)}: {found.note}"


def augmentation(framework: str = "keras") -> str:
    """The talk preset's augmentation values that no slide gives (the app's), in words."""
    chosen = [
        s
        for s in talk_settings(framework)
        if s.name.startswith("augment.")
        and s.origin == APP
        and isinstance(s.value, (int, float))  # bool too: a flip that is on
        and s.value
    ]
    values = ", ".join(
        f"{s.name.removeprefix('augment.').replace('_', ' ')} {_value(s.value)}" for s in chosen
    )
    return f"{values} ({ORIGIN_WORDS[APP]}: the slides name the tool, not these values)"
