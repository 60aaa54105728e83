"""Load a profile file as delivered into a canonical, typed frame and a report that counts every step
(:func:`load_profiles`); also check a canonical frame and write it back in the reference header."""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from datajobs.config import DIPLOMA_LEVELS, EXPERIENCE_MAX_YEARS, EXPERIENCE_MIN_YEARS
from datajobs.data.labels import ordered_labels
from datajobs.data.normalise import NORMALISERS, Normalised, clean_text, split_technologies
from datajobs.data.reading import Records, map_header, read_table
from datajobs.data.schema import (
    CANONICAL_COLUMNS,
    RAW_HEADER,
    SCHEMA,
    DataFileError,
    LoadedProfiles,
    NormalisationReport,
    RowWarning,
)
from datajobs.data.vocabulary import TECHNOLOGY_LOOKUP, make_key

# Notes of the rows that have any (row index -> notes); most rows have none.
RowNotes = dict[int, list[str]]


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes, the identity of a data set in caches and model metadata."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_profiles(path: str | Path, sheet: str | None = None) -> LoadedProfiles:
    """Load a profile file into a canonical, typed frame and a normalisation report.

    Odd values inside a usable file are kept and flagged per row, never dropped.

    Parameters
    ----------
    path : str or Path
        A CSV file in the reference format or any of the variants users send: UTF-8 with or
        without BOM, Windows-1252/Latin-1 (detected), UTF-16 with BOM (Excel's "Texte Unicode"),
        CRLF or LF, ``;``, ``,`` or tab delimiter, Excel's ``sep=;`` first line, decimal comma or
        point, ``Metier`` empty or absent, extra columns, header names in another case or with
        spaces; or an Excel workbook (``.xlsx``).
    sheet : str, optional
        The worksheet of a workbook, by name or 1-based position; the first sheet by default.

    Returns
    -------
    LoadedProfiles
        ``frame`` has one row per input record, in input order, with the columns of
        :data:`SCHEMA` plus ``line`` (the line an editor or Excel shows; the header is line 1)
        and ``warnings``; ``raw`` holds the input cells as read; ``report`` counts what was
        normalised.

    Raises
    ------
    DataFileError
        When the file cannot be used: missing, empty, binary, in no recognisable encoding, not a
        CSV, or a required column absent. The message names the file, line and column, and
        what the file is when it is not a CSV (an old Excel workbook, a PDF ...).
    """
    path = Path(path)
    source, parsed, delimiter, line_endings = read_table(path, sheet)
    header, records = parsed.header, parsed.records
    positions, found, ignored = map_header(path, header, parsed.header_line)

    report = NormalisationReport(
        path=str(path), sha256=hashlib.sha256(source.content).hexdigest(), encoding=source.encoding,
        delimiter=delimiter, line_endings=line_endings, rows_read=len(records),
        blank_lines_skipped=parsed.blank, columns_found=found, columns_ignored=ignored,
        columns_absent=[RAW_HEADER[column.name] for column in SCHEMA
                        if column.name not in positions.values()],
        physical_lines=parsed.physical_lines,
    )
    if source.declared_delimiter:
        report.steps["Excel 'sep=' first line read and skipped"] += 1

    lines = [line for line, _ in records]
    row_warnings: RowNotes = {}
    raw_rows = _even_rows(parsed, lines, report, row_warnings)
    raw = _raw_frame(header, raw_rows)
    frame = _normalise_columns(positions, raw_rows, len(header), lines, report, row_warnings)
    frame = _canonical_frame(frame, lines, row_warnings)
    report.rows_out = len(frame)
    counts = frame["profile"].value_counts()
    report.labels = {label: int(counts[label]) for label in ordered_labels(counts.index)}
    check_frame(frame, path)
    return LoadedProfiles(frame=frame, raw=raw, report=report)


def _even_rows(parsed: Records, lines: list[int], report: NormalisationReport,
               row_warnings: RowNotes) -> list[list[str]]:
    """The records' cells, each row padded or cut to the header's width; stray quotes and uneven
    rows are noted on the row and in the report."""
    width = len(parsed.header)
    raw_rows: list[list[str]] = [cells for _, cells in parsed.records]
    stray_quotes = dict(parsed.stray_quotes)
    if stray_quotes:
        for index, line in enumerate(lines):
            if line in stray_quotes:
                report.steps["unmatched quote (lines re-read one by one)"] += 1
                note = (f'unmatched quote (") in this line: it would have merged lines {line}-'
                        f"{stray_quotes[line]} into one cell, so each line was read on its own "
                        "and the quote dropped; check this row")
                row_warnings.setdefault(index, []).append(note)
                report.warnings.append(RowWarning(line, "*", "", note))
    for index in [index for index, cells in enumerate(raw_rows) if len(cells) != width]:
        cells = raw_rows[index]
        if len(cells) < width:
            report.steps["row with too few cells (padded empty)"] += 1
            note = f"row has {len(cells)} cells, header has {width}; missing cells left empty"
            raw_rows[index] = cells + [""] * (width - len(cells))
        else:
            report.steps["row with too many cells (extra ignored)"] += 1
            note = f"row has {len(cells)} cells, header has {width}; extra cells ignored"
            raw_rows[index] = cells[:width]
        row_warnings.setdefault(index, []).append(note)
        report.warnings.append(RowWarning(lines[index], "*", "", note))
    return raw_rows


def _raw_frame(header: list[str], raw_rows: list[list[str]]) -> pd.DataFrame:
    """The input cells as read, under the file's own header (duplicate names made unique)."""
    raw_names = [name.strip() or f"column_{index + 1}" for index, name in enumerate(header)]
    raw = pd.DataFrame(raw_rows, columns=pd.Index(raw_names), dtype=object)
    if raw.columns.duplicated().any():
        raw.columns = [f"{name}.{index}" if duplicated else name for index, (name, duplicated)
                       in enumerate(zip(raw_names, raw.columns.duplicated(), strict=True))]
    return raw


def _normalise_columns(positions: dict[int, str], raw_rows: list[list[str]], width: int, lines: list[int],
                       report: NormalisationReport, row_warnings: RowNotes) -> pd.DataFrame:
    """Normalise each mapped column with its normaliser, counting steps and noting warnings."""
    frame = pd.DataFrame(index=range(len(lines)))
    raw_columns = list(zip(*raw_rows, strict=True)) if raw_rows else [()] * width
    for position, name in sorted(positions.items(), key=lambda item: CANONICAL_COLUMNS.index(item[1])):
        cells = raw_columns[position]
        normaliser = NORMALISERS[name]
        # Each distinct raw value is normalised once; rows only look their value up, and only the
        # rows holding a value with a warning are visited one by one.
        counts = Counter(cells)
        results = {value: normaliser(value) for value in counts}
        canonical = {value: result.value for value, result in results.items()}
        frame[name] = list(map(canonical.__getitem__, cells))
        for value, count in counts.items():
            for step in results[value].steps:
                report.steps[step] += count
        warned = {value for value, result in results.items() if result.warning}
        if warned:
            for row_number, value in enumerate(cells, start=1):
                if value in warned:
                    warning = results[value].warning
                    row_warnings.setdefault(row_number - 1, []).append(f"{RAW_HEADER[name]}: {warning}")
                    report.warnings.append(RowWarning(lines[row_number - 1], RAW_HEADER[name], value, warning))
        summarise = COLUMN_SUMMARIES.get(name)
        if summarise is not None:
            summarise(report, cells, counts, results)
    return frame


def _summarise_diplomas(report: NormalisationReport, cells: tuple[str, ...], counts: Counter,
                        results: dict[str, Normalised]) -> None:
    """The report's diploma spellings: each cleaned spelling of a level and its rows, most frequent first."""
    spelling_counts: Counter = Counter()
    for value, count in counts.items():
        if cleaned := clean_text(value):
            spelling_counts[cleaned] += count
    levels = {clean_text(value): result.value for value, result in results.items()}
    report.diploma_spellings = {
        spelling: {"level": levels[spelling], "rows": count}
        for spelling, count in spelling_counts.most_common() if levels[spelling] in DIPLOMA_LEVELS
    }


def _summarise_technologies(report: NormalisationReport, cells: tuple[str, ...], counts: Counter,
                            results: dict[str, Normalised]) -> None:
    """The report's technology counts: distinct raw items, canonical names, and the aliases mapped."""
    raw_items = {item for value in set(cells) for item in split_technologies(value) if item}
    report.raw_technology_items = len(raw_items)
    report.technology_aliases = {
        item: "/".join(TECHNOLOGY_LOOKUP[make_key(item)]) for item in sorted(raw_items)
        if make_key(item) in TECHNOLOGY_LOOKUP and TECHNOLOGY_LOOKUP[make_key(item)] != (item,)
    }
    report.canonical_technologies = len(
        {item for result in results.values() for item in result.value.split("/") if item})


# What the report keeps about a column beyond its steps and warnings (most columns: nothing more).
COLUMN_SUMMARIES: dict[str, Callable[[NormalisationReport, tuple[str, ...], Counter, dict[str, Normalised]], None]] = {
    "diploma": _summarise_diplomas,
    "technologies": _summarise_technologies,
}


def _canonical_frame(frame: pd.DataFrame, lines: list[int], row_warnings: RowNotes) -> pd.DataFrame:
    """Every schema column in order and typed (absent ones empty), with ``line`` first and ``warnings`` last."""
    for column in SCHEMA:
        if column.name not in frame.columns:
            frame[column.name] = math.nan if column.kind == "years" else None
    frame = frame[list(CANONICAL_COLUMNS)]
    frame = _with_dtypes(frame)
    frame.insert(0, "line", np.array(lines, dtype="int64"))
    warnings = [""] * len(lines)
    for index, notes in row_warnings.items():
        warnings[index] = "; ".join(notes)
    frame["warnings"] = warnings
    return frame


def _with_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    typed = frame.copy()
    for column in SCHEMA:
        if column.kind == "years":
            typed[column.name] = pd.to_numeric(typed[column.name]).astype("float64")
        else:
            typed[column.name] = typed[column.name].astype("string")
    typed["technologies"] = typed["technologies"].fillna("")
    return typed


def check_frame(frame: pd.DataFrame, path: str | Path = "<frame>") -> None:
    """Check a canonical frame against :data:`SCHEMA` (columns, types, ranges).

    Raises
    ------
    DataFileError
        Naming the first offending line and column.
    """
    for column in SCHEMA:
        if column.name not in frame.columns:
            raise DataFileError(path, "column missing from the canonical frame", column=column.name)
        series = frame[column.name]
        if column.kind == "years":
            if not pd.api.types.is_float_dtype(series):
                raise DataFileError(path, f"expected float years, got {series.dtype}", column=column.name)
            outside = series.notna() & ~series.between(EXPERIENCE_MIN_YEARS, EXPERIENCE_MAX_YEARS)
            if outside.any():
                line = int(frame["line"][outside].iloc[0]) if "line" in frame else None
                raise DataFileError(path, "experience outside the allowed range", line=line,
                                    column=column.name)
        elif not pd.api.types.is_string_dtype(series):
            raise DataFileError(path, f"expected text, got {series.dtype}", column=column.name)


def profiles_to_raw_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Write canonical profiles back in the reference header (for files other tools read)."""
    out = pd.DataFrame({RAW_HEADER[name]: frame[name] for name in CANONICAL_COLUMNS})
    return out
