"""The data commands, parser and handler: ``validate`` (load a file, report) and ``synth`` (a synthetic sample)."""

from __future__ import annotations

import argparse
import json

from datajobs import config
from datajobs.cli.parsing import UsageError, add_command, add_sheet_option


def handle_validate(args: argparse.Namespace) -> int:
    from datajobs.data.loading import load_profiles

    loaded = load_profiles(args.input, sheet=args.sheet)
    if args.json:
        print(json.dumps(loaded.report.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(loaded.report.to_text(max_warnings=args.max_warnings))
    return 0


def handle_synth(args: argparse.Namespace) -> int:
    from datajobs.data.synth import generate_profiles, write_profiles_csv

    if args.rows < 1:
        raise UsageError("--rows must be at least 1")
    path = write_profiles_csv(generate_profiles(args.rows, args.seed), args.output)
    print(f"wrote {args.rows} synthetic profiles (seed {args.seed}) to {path}")
    return 0


def add_validate(commands) -> None:
    validate = add_command(commands, "validate", "load a profile file and report what was normalised",
                           ["datajobs validate data/sample/profiles_sample.csv",
                            "datajobs validate export.xlsx --sheet Feuil1 --json | head"], handle_validate)
    validate.add_argument("input", help="CSV file (';', ',' or tab separated, any Excel encoding) or .xlsx")
    add_sheet_option(validate)
    validate.add_argument("--json", action="store_true", help="print the report as JSON (every warning)")
    validate.add_argument("--max-warnings", type=int, default=20, help="warnings shown in the text report")


def add_synth(commands) -> None:
    synth = add_command(commands, "synth", "write a synthetic sample drawn from the shipped frequency tables",
                        ["datajobs synth --rows 500 --seed 7 -o /tmp/synthetic.csv"], handle_synth)
    synth.add_argument("--rows", type=int, default=config.SYNTHETIC_SAMPLE_ROWS, help="rows to draw")
    synth.add_argument("--seed", type=int, default=config.SYNTHETIC_SAMPLE_SEED, help="random seed")
    synth.add_argument("-o", "--output", required=True, help="CSV file to write")
