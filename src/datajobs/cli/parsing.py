"""What every command's parser shares: the help layout, the command factory, the shared options, UsageError."""

from __future__ import annotations

import argparse
from pathlib import Path

from datajobs import config
from datajobs.errors import DatajobsError

SHEET_HELP = "worksheet of an .xlsx file, by name or 1-based position (default: the first sheet)"
MODEL_HELP = ("model directory, or a registry reference: models:/datajobs-profile-classifier@champion "
              "(the champion) or models:/datajobs-profile-classifier/3 (version 3)")


class UsageError(DatajobsError):
    """A command-line problem explained in one line."""


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Shows each option's default (paths relative to the project) and keeps the examples' layout."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if "default" in text or default in (None, False, argparse.SUPPRESS) or not action.option_strings:
            return text
        if isinstance(default, str) and default.startswith(str(config.PROJECT_ROOT)):
            default = Path(default).relative_to(config.PROJECT_ROOT).as_posix() or "."
        return f"{text} (default: {default})"


def add_command(commands, name: str, help: str, examples: list[str], handler) -> argparse.ArgumentParser:
    """A sub-command run by ``handler``: its one-line help, the same as a sentence for its description,
    and its examples."""
    epilog = "example" + ("s" if len(examples) > 1 else "") + ":\n" + "\n".join(f"  {line}" for line in examples)
    parser = commands.add_parser(name, help=help, description=help[:1].upper() + help[1:] + ".", epilog=epilog,
                                 formatter_class=HelpFormatter)
    parser.set_defaults(handler=handler)
    return parser


def add_model_option(parser: argparse.ArgumentParser, help: str = MODEL_HELP) -> None:
    """``--model``: the model to use, the book's model by default."""
    parser.add_argument("--model", default=str(config.DEFAULT_MODEL_DIR), help=help)


def add_sheet_option(parser: argparse.ArgumentParser) -> None:
    """``--sheet``: the worksheet of an .xlsx file."""
    parser.add_argument("--sheet", help=SHEET_HELP)
