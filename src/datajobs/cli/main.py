"""The ``datajobs`` command: assembles the command groups into one parser, runs a command, and turns
every :class:`~datajobs.errors.DatajobsError` into one line on stderr and exit status 2.

Users see what is wrong with their file or option, not a traceback; anything else is a bug and keeps its
traceback.
"""

from __future__ import annotations

import argparse
import os
import sys

from datajobs.cli import book_commands, data_commands, model_commands
from datajobs.cli.parsing import HelpFormatter, UsageError
from datajobs.errors import DatajobsError

__all__ = ["UsageError", "build_parser", "main"]

# The commands in the order `datajobs --help` lists them.
COMMANDS = (
    data_commands.add_validate, data_commands.add_synth,
    model_commands.add_train, model_commands.add_predict, model_commands.add_evaluate,
    book_commands.add_book, book_commands.add_pdf, book_commands.add_publish,
    model_commands.add_monitor, model_commands.add_export_web, model_commands.add_promote,
    book_commands.add_student, book_commands.add_mlflow_ui, book_commands.add_app,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="datajobs", formatter_class=HelpFormatter,
        description="Classify data-job profiles; validate data, train, predict, build the book.",
        epilog="Run `datajobs COMMAND --help` for a command's options, defaults and an example.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in COMMANDS:
        add(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except DatajobsError as error:
        print(f"datajobs {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"datajobs {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`datajobs validate --json | head`): stop quietly, as `cat` does.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
