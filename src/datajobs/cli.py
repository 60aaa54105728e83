"""The ``datajobs`` command: validate, synth, train, predict, evaluate, book, app, monitor.

Every sub-command turns a :class:`~datajobs.data.DataFileError` (or any other expected failure)
into one line on stderr and exit status 2: users see what is wrong with their file, not a
traceback.
"""

from __future__ import annotations

import argparse
import json
import sys

from datajobs import config
from datajobs.data import DataFileError


class UsageError(Exception):
    """A command-line problem explained in one line."""


def _command_validate(args: argparse.Namespace) -> int:
    from datajobs.data import load_profiles

    loaded = load_profiles(args.input)
    if args.json:
        print(json.dumps(loaded.report.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(loaded.report.to_text(max_warnings=args.max_warnings))
    return 0


def _command_synth(args: argparse.Namespace) -> int:
    from datajobs.synth import generate_profiles, write_profiles_csv

    if args.rows < 1:
        raise UsageError("--rows must be at least 1")
    path = write_profiles_csv(generate_profiles(args.rows, args.seed), args.output)
    print(f"wrote {args.rows} synthetic profiles (seed {args.seed}) to {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="datajobs",
        description="Classify data-job profiles; validate data, train, predict, build the book.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = commands.add_parser("validate", help="load a profile file and report what was normalised")
    validate.add_argument("input", help="CSV file (';' or ',' separated)")
    validate.add_argument("--json", action="store_true", help="print the report as JSON")
    validate.add_argument("--max-warnings", type=int, default=20, help="warnings shown in the text report")
    validate.set_defaults(handler=_command_validate)

    synth = commands.add_parser("synth", help="write a synthetic sample drawn from the shipped frequency tables")
    synth.add_argument("--rows", type=int, default=config.SYNTHETIC_SAMPLE_ROWS, help="rows to draw")
    synth.add_argument("--seed", type=int, default=config.SYNTHETIC_SAMPLE_SEED, help="random seed")
    synth.add_argument("-o", "--output", required=True, help="CSV file to write")
    synth.set_defaults(handler=_command_synth)

    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except (DataFileError, UsageError) as error:
        print(f"datajobs {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"datajobs {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

