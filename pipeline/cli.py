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
