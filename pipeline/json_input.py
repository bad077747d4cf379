"""Settings that people write as JSON (an augmentation spec, a training config), read strictly.

A hand-edited or uploaded file may be huge, not UTF-8, not JSON, nested without end or hold a
key twice. Both settings types read it here, so each of those gets the same check and a message
that says what is wrong. Each caller passes its own ``SettingError`` class (``SpecError``,
``ConfigError``) and the noun its messages use ("spec", "config").
"""

from __future__ import annotations

import json
import math

MAX_JSON_BYTES = 64_000  # a spec is a few hundred bytes, a config about 1 kB: far larger is neither


class SettingError(ValueError):
    """A setting that cannot be used; ``field`` names it, the message says what is allowed."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def parse_settings(
    text: str | bytes, error: type[SettingError], noun: str, *, allow_nan: bool = True
):
    """The JSON value in ``text``; ``error("json", message)`` when it cannot be one.

    ``allow_nan=False`` refuses NaN and Infinity while parsing, for callers whose own checks would
    not notice them; with True they reach the caller's range checks, which name the field.
    """
    if isinstance(text, bytes):
        if len(text) > MAX_JSON_BYTES:
            raise error(
                "json",
                f"file too large ({len(text):,} bytes; a {noun} is under {MAX_JSON_BYTES:,})",
            )
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as problem:
            raise error(
                "json",
                f"not UTF-8 text (byte {problem.object[problem.start]:#04x} at position "
                f"{problem.start}); save the file as UTF-8",
            ) from None
    if not isinstance(text, str):
        raise error("json", f"expected JSON text, got {type_name(text)}")
    if len(text) > MAX_JSON_BYTES:
        raise error(
            "json",
            f"text too large ({len(text):,} characters; a {noun} is under {MAX_JSON_BYTES:,})",
        )

    def no_duplicates(
        pairs: list,
    ) -> dict:  # json.loads would silently keep a repeated key's last value
        seen = {}
        for key, value in pairs:
            if key in seen:
                raise error(str(key)[:40], "given twice")
            seen[key] = value
        return seen

    def refuse_constant(name: str):
        raise error("json", f"{name} is not a number a {noun} can hold")

    try:
        return json.loads(
            text,
            object_pairs_hook=no_duplicates,
            parse_constant=None if allow_nan else refuse_constant,
        )
    except json.JSONDecodeError as problem:
        where = f"line {problem.lineno} column {problem.colno}"
        raise error("json", f"not valid JSON ({problem.msg} at {where})") from None
    except RecursionError:
        raise error("json", f"nested too deeply to be a {noun}") from None


def type_name(value) -> str:
    """What a JSON value is, in words: "an object", "a list", "null"..."""
    return {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "true/false",
        int: "a number",
        float: "a number",
        type(None): "null",
    }.get(type(value), type(value).__name__)


def show_value(value) -> str:
    """A value as a message quotes it: JSON spelling for text, true/false and null; shortened."""
    text = json.dumps(value) if isinstance(value, (str, bool, type(None))) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# ---- one value against its declared range: shared by AugmentSpec and TrainConfig ----


def choice_problem(value, allowed) -> str | None:
    """What is wrong with ``value`` as one of ``allowed``; None when nothing is."""
    if value not in allowed:
        return f"expected one of {', '.join(allowed)}, got {show_value(value)}"
    return None


def number_problem(value, low: float, high: float, whole: bool = False) -> str | None:
    """What is wrong with ``value`` as a finite number in [low, high] (an int when ``whole``);
    None when nothing is. Booleans are not numbers here, whatever Python says."""
    if whole:  # an int of any size: compared exactly, shown shortened
        if isinstance(value, bool) or not isinstance(value, int):
            return f"expected a whole number, got {show_value(value)}"
        if not low <= value <= high:
            return f"{show_value(value)} is outside the allowed range [{low}, {high}]"
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"expected a number, got {show_value(value)}"
    try:
        number = float(value)
    except OverflowError:
        return "number too large"
    if not math.isfinite(number):
        return f"expected a finite number, got {number}"
    if not low <= number <= high:
        return f"{number:g} is outside the allowed range [{low:g}, {high:g}]"
    return None
