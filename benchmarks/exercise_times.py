"""How long each exercise of the book takes to run: the durations papermill recorded for its cells.

Run the book first (``make book PROFILE=quick`` for the classroom profile), then::

    .venv/bin/python benchmarks/exercise_times.py [--outputs outputs]

It prints one line per exercise (chapter, label, level, time estimate for a student, number of
code cells, seconds of all its cells, seconds of its slowest cell) and the profile and data of
the run, from the run manifest. It measures; the book test asserts the one-minute limit.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import nbformat
import pandas as pd

from datajobs import config
from datajobs.publishing.student import exercise_durations


def level_and_time(notebook, label: str) -> tuple[str, str]:
    text = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    match = re.search(rf":label: {re.escape(label)}\n```\s*\*\*Level:\*\* (\w+) · \*\*Time:\*\* (\d+ minutes)", text)
    return (match[1], match[2]) if match else ("?", "?")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outputs", default=str(config.OUTPUTS_DIR), help="outputs folder of a book run")
    args = parser.parse_args(argv)
    outputs = Path(args.outputs)
    executed = sorted((outputs / "notebooks").glob("*.ipynb"))
    if not executed:
        print(f"no executed notebook in {outputs / 'notebooks'}: run `make book PROFILE=quick` first", file=sys.stderr)
        return 2
    manifest = json.loads((outputs / "run_manifest.json").read_text())
    print(f"profile {manifest['profile']}, data {manifest['data_path']} (sha256 {manifest['data_sha256'][:12]})")
    rows = []
    for path in executed:
        notebook = nbformat.read(path, as_version=4)
        for row in exercise_durations(notebook, path.stem).to_dict("records"):
            level, minutes = level_and_time(notebook, row["label"])
            rows.append({"chapter": path.stem, **row, "level": level, "student time": minutes})
    table = pd.DataFrame(rows)[["chapter", "label", "level", "student time", "cells", "seconds",
                                "slowest_cell_seconds"]]
    print(table.round(2).to_string(index=False))
    print(f"slowest exercise: {table['seconds'].max():.1f} s; all exercises: {table['seconds'].sum():.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
