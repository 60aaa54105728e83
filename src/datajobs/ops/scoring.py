"""Score a user's file with a saved model: read it, predict every row, write the scored table.

:func:`score_file` reads, scores and writes a CSV in chunks of whole records, so memory stays flat
whatever the file's size, and imports nothing of scikit-learn: start-up and per-row work stay
close to a hand-written CatBoost script's.
"""

from __future__ import annotations

import contextlib
import csv
import gc
import io
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from datajobs.data import LoadedProfiles, load_profiles
from datajobs.data.chunks import SCORING_CHUNK_BYTES, load_chunks
from datajobs.model.conformal import DEFAULT_LEVEL
from datajobs.model.coverage import SET_SEPARATOR
from datajobs.model.profile_model import ProfileModel, predict_frame, probability_columns

__all__ = ["SCORING_CHUNK_BYTES", "ScoringSummary", "output_encoding", "predict_file", "score_file",
           "scored_output", "summary_csv", "written_csv"]


def scored_output(model: ProfileModel, loaded: LoadedProfiles, raw: bool = False,
                  level: float = DEFAULT_LEVEL) -> pd.DataFrame:
    """The input columns as read plus ``predicted_metier``, ``proba_<class>``, ``prediction_set`` (at
    ``level``) and ``warnings``.

    Unless ``raw``, cells a spreadsheet would execute as a formula get a leading apostrophe and
    their row a warning (OWASP's CSV-injection rule).
    """
    predictions = predict_frame(model, loaded.frame, level)
    output = loaded.raw.copy()
    for column in predictions.columns:
        output[column] = predictions[column].to_numpy()
    if not raw:
        from datajobs.data.writing import neutralise_formulas

        safe, changed = neutralise_formulas(output, skip=("warnings",))
        if any(changed):
            notes = [f"{', '.join(columns)}: cell starting like a spreadsheet formula written with a leading "
                     "apostrophe (--raw keeps it)" if columns else "" for columns in changed]
            safe["warnings"] = ["; ".join(part for part in (warning, note) if part)
                                for warning, note in zip(safe["warnings"], notes, strict=True)]
        output = safe
    return output


# A probability rounded to 4 decimals has 10,001 possible values: each one's text, as pandas writes it.
_PROBABILITY_TEXT = np.array([repr(step / 10_000) for step in range(10_001)], dtype=object)


def _probability_text(values: np.ndarray) -> np.ndarray:
    """Probabilities as the text of ``round(4)`` written by pandas (empty for a row not scored)."""
    missing = np.isnan(values)
    text = _PROBABILITY_TEXT[np.rint(np.where(missing, 0.0, values) * 10_000).astype(np.int64)]
    text[missing] = ""
    return text


def written_csv(model: ProfileModel, output: pd.DataFrame, delimiter: str, header: bool = True) -> str:
    """The output file's text: the input's delimiter, probabilities rounded to 4 decimals.

    The same bytes as pandas' ``to_csv`` of the rounded frame (what :func:`predict_file` writes),
    in half the time: the cells are turned into text column by column and written by the csv
    module, where pandas formats each float on its own.
    """
    probability = set(probability_columns(model.classes))
    columns = []
    for name in output.columns:
        values = output[name].to_numpy(dtype=float if name in probability else object)
        if name in probability:
            columns.append(_probability_text(values).tolist())
        else:
            columns.append(np.where(pd.isna(values), "", values).tolist())
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    if header:
        writer.writerow(output.columns)
    writer.writerows(zip(*columns, strict=True))
    return buffer.getvalue()


def summary_csv(output: pd.DataFrame, header: bool = True) -> str:
    """What ``datajobs predict`` prints without ``-o``: prediction, probabilities (4 decimals) and warnings."""
    columns = ["predicted_metier", *[c for c in output.columns if c.startswith("proba_")],
               *[c for c in ("prediction_set",) if c in output.columns], "warnings"]
    return output[columns].round(4).to_csv(index=False, header=header)


def output_encoding(loaded: LoadedProfiles) -> str:
    """UTF-8, with a byte-order mark unless the input was plain UTF-8: anything else came from Excel
    (a BOM, cp1252, UTF-16, a workbook), and the BOM lets Excel read the accents of the output."""
    return "utf-8" if loaded.report.encoding == "UTF-8" else "utf-8-sig"


def predict_file(model: ProfileModel, input_path: str | Path, output_path: str | Path | None = None,
                 sheet: str | None = None, raw: bool = False, level: float = DEFAULT_LEVEL) -> pd.DataFrame:
    """Score a user's batch file: every input row, in input order, with its input columns plus
    ``predicted_metier``, ``proba_<class>`` and ``warnings``.

    With ``output_path``, the table is written atomically (a failed write leaves any previous file
    intact): an ``.xlsx`` name gives an Excel workbook, any other name a CSV with the input's
    delimiter (see :func:`output_encoding`). Formula-like cells are neutralised unless ``raw``.
    The whole file is held in memory and returned; :func:`score_file` streams a CSV of any size.
    """
    from datajobs.data.writing import write_table

    loaded = load_profiles(input_path, sheet=sheet)
    output = scored_output(model, loaded, raw, level)
    if output_path is not None:
        probability = probability_columns(model.classes)
        written = output.copy()
        written[probability] = written[probability].round(4)
        write_table(written, output_path, delimiter=loaded.delimiter, encoding=output_encoding(loaded))
    return output


@dataclass
class ScoringSummary:
    """Counts of a scored file."""

    rows: int = 0
    unscored: int = 0
    flagged: int = 0
    # How many scored rows got a prediction set of each size.
    set_sizes: Counter = field(default_factory=Counter)

    def add(self, output: pd.DataFrame) -> None:
        self.rows += len(output)
        self.unscored += int((output["predicted_metier"] == "").sum())
        self.flagged += int((output["warnings"] != "").sum())
        if "prediction_set" in output.columns:
            sets = output["prediction_set"].to_numpy(dtype=object)
            sizes = np.char.count(sets[sets != ""].astype(str), SET_SEPARATOR) + 1
            self.set_sizes.update(Counter(int(size) for size in sizes))

    def merge(self, other: ScoringSummary) -> None:
        self.rows += other.rows
        self.unscored += other.unscored
        self.flagged += other.flagged
        self.set_sizes.update(other.set_sizes)

    def set_size_text(self) -> str:
        """``set sizes at 90 %: 1 label 812, 2 labels 170``, or empty without sets."""
        if not self.set_sizes:
            return ""
        return ", ".join(f"{size} label{'s' if size > 1 else ''} {count}" for size, count in sorted(self.set_sizes.items()))


def score_file(model: ProfileModel, input_path: str | Path, output_path: str | Path | None = None,
               chunk_bytes: int = SCORING_CHUNK_BYTES, stream=None, raw: bool = False,
               level: float = DEFAULT_LEVEL) -> ScoringSummary:
    """Score a CSV file of any size chunk by chunk; memory stays bounded by ``chunk_bytes``.

    With ``output_path``, writes what :func:`predict_file` writes for a CSV (same bytes), atomically;
    otherwise writes the prediction, probabilities and warnings as CSV to ``stream`` (standard
    output by default).
    """
    from datajobs.data.writing import atomic_path

    summary = ScoringSummary()
    with contextlib.ExitStack() as stack:
        temporary = stack.enter_context(atomic_path(output_path)) if output_path is not None else None
        target = None
        # The cyclic garbage collector would walk the hundreds of thousands of row lists a chunk
        # creates, again and again, tripling the time to read it; none of them form cycles, so it
        # runs once per chunk instead.
        gc.freeze()  # what is alive now (modules, the model) is never walked again
        gc.disable()
        stack.callback(gc.unfreeze)
        stack.callback(gc.enable)
        for loaded in load_chunks(input_path, chunk_bytes):
            output = scored_output(model, loaded, raw, level)
            first = summary.rows == 0
            if temporary is not None:
                if target is None:
                    target = stack.enter_context(open(temporary, "w", encoding=output_encoding(loaded), newline=""))
                target.write(written_csv(model, output, loaded.delimiter, header=first))
            else:
                (stream or sys.stdout).write(summary_csv(output, header=first))
            summary.add(output)
            del loaded, output
            gc.collect()
    return summary
