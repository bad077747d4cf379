"""What every command line shares: its parser's layout, ``--verbose``, and quiet TensorFlow
without it.

    parser = cli.parser("pipeline.data", __doc__)   # python -m pipeline.data; the docstring as help
    args = cli.parse(parser, argv)

TensorFlow prints oneDNN notices and, on a machine without a GPU, "failed call to cuInit" at
start-up: lines that alarm a user and say nothing about the command. They are hidden unless
``--verbose`` (accepted before or after a subcommand); the training workers a command starts
inherit the choice through ``TF_CPP_MIN_LOG_LEVEL``.
"""

from __future__ import annotations

import argparse

from pipeline.frameworks import quiet_tensorflow

VERBOSE_HELP = "show TensorFlow's own log lines on stderr (hidden by default)"


def parser(module: str, doc: str | None) -> argparse.ArgumentParser:
    """The parser of ``python -m module``: the module's docstring as its description, laid out
    as written."""
    return argparse.ArgumentParser(
        prog=f"python -m {module}",
        description=doc,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def argument_type(parse_text):
    """An argparse ``type=`` from a parser of text that raises ``ValueError`` with the reason:
    the reason becomes argparse's message, with the usage line."""

    def convert(text: str):
        try:
            return parse_text(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return convert


def seed_list(value: str) -> list[int]:
    """``--seeds 0,1,2``: one run per seed, none twice."""
    try:
        seeds = [int(part) for part in value.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected whole numbers separated by commas, e.g. 0,1,2; got {value!r}"
        ) from None
    if len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError(f"a seed is repeated in {value!r}")
    return seeds


def parse(parser: argparse.ArgumentParser, argv: list[str] | None = None) -> argparse.Namespace:
    """``parser.parse_args(argv)`` with ``--verbose`` added to it and its subcommands."""
    parser.add_argument("--verbose", action="store_true", help=VERBOSE_HELP)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                sub.add_argument(
                    "--verbose", action="store_true", default=argparse.SUPPRESS, help=VERBOSE_HELP
                )
    args = parser.parse_args(argv)
    quiet_tensorflow(getattr(args, "verbose", False))
    return args
