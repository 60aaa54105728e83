"""Load, validate and normalise profile files as they are delivered.

One entry point, :func:`load_profiles`, turns a raw CSV (the reference file or a user's own) into a
canonical, typed DataFrame plus a :class:`NormalisationReport` that counts every step. Unusable
files raise :class:`DataFileError` naming the file, row and column; odd values inside a usable file
are kept and flagged per row, never dropped.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from datajobs.config import (
    DIPLOMA_LEVELS,
    EXPERIENCE_MAX_YEARS,
    EXPERIENCE_MIN_YEARS,
    FREQUENCY_TABLES_PATH,
    PROFILE_LABELS,
)
from datajobs.vocabulary import (
    CITY_LOOKUP,
    DIPLOMA_FIRST_WORDS,
    PROFILE_LOOKUP,
    TECHNOLOGY_LOOKUP,
    make_key,
)


class DataFileError(ValueError):
    """A file that cannot be used, with the place that makes it unusable."""

    def __init__(self, path: str | Path, reason: str, row: int | None = None, column: str | None = None):
        self.path = str(path)
        self.reason = reason
        self.row = row
        self.column = column
        super().__init__(str(self))

    def __str__(self) -> str:
        where = [self.path]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: {self.reason}"


# ---------------------------------------------------------------------------------------------
# The declared schema of the canonical frame
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ColumnSchema:
    """One column of the canonical frame and the raw header names that map onto it."""

    name: str
    raw_names: tuple[str, ...]
    required: bool
    kind: str  # "text", "level" (a closed set), "years" (float) or "technologies" ("/"-joined)
    description: str
    levels: tuple[str, ...] = ()


SCHEMA: tuple[ColumnSchema, ...] = (
    ColumnSchema("company", ("entreprise", "company", "employer", "societe"), False, "text",
                 "employer, trimmed; missing allowed"),
    ColumnSchema("profile", ("metier", "profile", "job", "label", "target"), False, "level",
                 "target label; empty or absent in a file to predict", PROFILE_LABELS),
    ColumnSchema("technologies", ("technologies", "technology", "skills", "stack"), True,
                 "technologies", "canonical technologies joined by '/'"),
    ColumnSchema("diploma", ("diplome", "diploma", "degree"), True, "level",
                 "highest degree, one of four levels", DIPLOMA_LEVELS),
    ColumnSchema("experience", ("experience", "years", "experience_years"), True, "years",
                 f"years of experience, {EXPERIENCE_MIN_YEARS:g}-{EXPERIENCE_MAX_YEARS:g}; missing allowed"),
    ColumnSchema("city", ("ville", "city", "location"), True, "text", "city, canonically cased"),
)
CANONICAL_COLUMNS: tuple[str, ...] = tuple(column.name for column in SCHEMA)
RAW_HEADER: dict[str, str] = {
    "company": "Entreprise", "profile": "Metier", "technologies": "Technologies",
    "diploma": "Diplome", "experience": "Experience", "city": "Ville",
}
FEATURE_COLUMNS: tuple[str, ...] = ("company", "technologies", "diploma", "experience", "city")


def _header_key(name: str) -> str:
    return re.sub(r"[^a-z0-9_]", "", make_key(name).replace(" ", "_"))


HEADER_LOOKUP: dict[str, str] = {
    _header_key(raw): column.name for column in SCHEMA for raw in column.raw_names
}


# ---------------------------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------------------------
@dataclass
class RowWarning:
    """A value that was kept but is worth a look."""

    row: int
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column!r}: {self.message}"


@dataclass
class NormalisationReport:
    """What loading a file did, step by step, in counts."""

    path: str
    sha256: str
    encoding: str
    delimiter: str
    line_endings: str
    rows_read: int = 0
    rows_out: int = 0
    blank_lines_skipped: int = 0
    columns_found: dict[str, str] = field(default_factory=dict)
    columns_ignored: list[str] = field(default_factory=list)
    columns_absent: list[str] = field(default_factory=list)
    steps: Counter = field(default_factory=Counter)
    diploma_spellings: dict[str, dict[str, int]] = field(default_factory=dict)
    technology_aliases: dict[str, str] = field(default_factory=dict)
    raw_technology_items: int = 0
    canonical_technologies: int = 0
    warnings: list[RowWarning] = field(default_factory=list)

    @property
    def rows_lost(self) -> int:
        return self.rows_read - self.rows_out

    @property
    def diploma_levels(self) -> list[str]:
        levels = {entry["level"] for entry in self.diploma_spellings.values()}
        return [level for level in DIPLOMA_LEVELS if level in levels]

    def steps_frame(self) -> pd.DataFrame:
        """The normalisation steps as a tidy table (step, rows affected)."""
        return pd.DataFrame(
            [{"step": step, "rows": count} for step, count in sorted(self.steps.items())]
        )

    def to_dict(self, max_warnings: int | None = None) -> dict:
        shown = self.warnings if max_warnings is None else self.warnings[:max_warnings]
        return {
            "path": self.path,
            "sha256": self.sha256,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "line_endings": self.line_endings,
            "rows_read": self.rows_read,
            "rows_out": self.rows_out,
            "rows_lost": self.rows_lost,
            "blank_lines_skipped": self.blank_lines_skipped,
            "columns_found": self.columns_found,
            "columns_ignored": self.columns_ignored,
            "columns_absent": self.columns_absent,
            "diploma_levels": self.diploma_levels,
            "diploma_spellings": self.diploma_spellings,
            "raw_technology_items": self.raw_technology_items,
            "canonical_technologies": self.canonical_technologies,
            "technology_aliases": self.technology_aliases,
            "steps": dict(sorted(self.steps.items())),
            "warning_count": len(self.warnings),
            "warnings": [vars(warning) for warning in shown],
        }

    def to_text(self, max_warnings: int = 20) -> str:
        lines = [
            f"file:        {self.path}",
            f"sha256:      {self.sha256}",
            f"format:      {self.encoding}, delimiter {self.delimiter!r}, {self.line_endings} line ends",
            f"rows:        {self.rows_read} read, {self.rows_out} out, {self.rows_lost} lost"
            + (f" ({self.blank_lines_skipped} blank lines skipped)" if self.blank_lines_skipped else ""),
            "columns:     " + ", ".join(f"{raw} -> {name}" for raw, name in self.columns_found.items()),
        ]
        if self.columns_ignored:
            lines.append("ignored:     " + ", ".join(self.columns_ignored))
        if self.columns_absent:
            lines.append("absent:      " + ", ".join(self.columns_absent) + " (optional)")
        lines.append(f"diplomas:    {len(self.diploma_spellings)} spellings -> "
                     f"{len(self.diploma_levels)} levels ({', '.join(self.diploma_levels)})")
        lines.append(f"technologies: {self.raw_technology_items} raw items -> "
                     f"{self.canonical_technologies} canonical")
        lines.append("normalised:")
        lines.extend(f"  {step:<42} {count:>7}" for step, count in sorted(self.steps.items()))
        lines.append(f"warnings:    {len(self.warnings)}")
        lines.extend(f"  {warning}" for warning in self.warnings[:max_warnings])
        if len(self.warnings) > max_warnings:
            lines.append(f"  ... {len(self.warnings) - max_warnings} more (use --json for all)")
        return "\n".join(lines)


@dataclass
class LoadedProfiles:
    """A loaded file: the canonical frame, the raw cells as read, and the report."""

    frame: pd.DataFrame
    raw: pd.DataFrame
    report: NormalisationReport

    @property
    def delimiter(self) -> str:
        return self.report.delimiter


# ---------------------------------------------------------------------------------------------
# Reading the bytes
# ---------------------------------------------------------------------------------------------
def _read_text(path: Path) -> tuple[str, str, bytes]:
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise DataFileError(path, "file not found") from None
    except IsADirectoryError:
        raise DataFileError(path, "is a directory, not a CSV file") from None
    except OSError as error:
        raise DataFileError(path, f"cannot be read ({error.strerror})") from None
    if not content.strip():
        raise DataFileError(path, "file is empty")
    if b"\x00" in content:
        offset = content.index(b"\x00")
        raise DataFileError(path, "binary content, not a CSV text file (NUL byte)",
                            row=content[:offset].count(b"\n") + 1)
    encoding = "utf-8-sig" if content.startswith(b"\xef\xbb\xbf") else "utf-8"
    try:
        text = content.decode(encoding)
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        raise DataFileError(path, f"not UTF-8 text (undecodable byte at line {line}); "
                            "save the file as UTF-8") from None
    return text, ("UTF-8 with BOM" if encoding == "utf-8-sig" else "UTF-8"), content


def _sniff_delimiter(header_line: str) -> str:
    counts = {delimiter: header_line.count(delimiter) for delimiter in (";", ",", "\t")}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ";"


def _line_endings(text: str) -> str:
    crlf = text.count("\r\n")
    lf = text.count("\n") - crlf
    if crlf and lf:
        return "mixed"
    return "CRLF" if crlf else "LF"


def _parse_records(path: Path, text: str, delimiter: str) -> tuple[list[str], list[tuple[int, list[str]]], int]:
    """Split the text into the header and (line number, cells) records; blank lines are counted."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    records: list[tuple[int, list[str]]] = []
    blank = 0
    try:
        for cells in reader:
            if not "".join(cells).strip():
                blank += header is not None
                continue
            if header is None:
                header = cells
            else:
                records.append((reader.line_num, cells))
    except csv.Error as error:
        raise DataFileError(path, f"not a readable CSV ({error})", row=len(records) + 1) from None
    if header is None:
        raise DataFileError(path, "file is empty")
    return header, records, blank


def _map_header(path: Path, header: list[str]) -> tuple[dict[int, str], dict[str, str], list[str]]:
    positions: dict[int, str] = {}
    found: dict[str, str] = {}
    ignored: list[str] = []
    for position, raw_name in enumerate(header):
        name = HEADER_LOOKUP.get(_header_key(raw_name))
        if name is None:
            ignored.append(raw_name.strip() or f"<unnamed column {position + 1}>")
            continue
        if name in positions.values():
            raise DataFileError(path, f"two columns map to {RAW_HEADER[name]!r}", column=raw_name.strip())
        positions[position] = name
        found[raw_name.strip()] = name
    missing = [RAW_HEADER[column.name] for column in SCHEMA
               if column.required and column.name not in positions.values()]
    if missing:
        shown = ", ".join(repr(cell.strip()) for cell in header[:8])
        raise DataFileError(
            path,
            f"required column{'s' if len(missing) > 1 else ''} {', '.join(missing)} missing "
            f"(header has {shown}); expected {';'.join(RAW_HEADER.values())}",
            row=1, column=missing[0],
        )
    return positions, found, ignored


# ---------------------------------------------------------------------------------------------
# Normalising one value (each function is applied once per distinct raw value)
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Normalised:
    """The canonical value of one raw cell, the report steps it counts in, and a warning."""

    value: object
    steps: tuple[str, ...] = ()
    warning: str | None = None


def _clean_text(raw: str) -> str:
    return re.sub(r"\s+", " ", raw).strip()


def normalise_diploma(raw: str) -> Normalised:
    """Map one of the many diploma spellings onto the four levels."""
    text = _clean_text(raw)
    if not text:
        return Normalised(None, ("diploma missing",))
    first_word = re.split(r"[\s\-_/(]+", make_key(text))[0]
    level = DIPLOMA_FIRST_WORDS.get(first_word)
    if level is None:
        return Normalised(text, ("diploma unknown (kept)",),
                          f"unknown diploma {text!r} kept; expected one of {', '.join(DIPLOMA_LEVELS)}")
    return Normalised(level, () if level == text else ("diploma spelling mapped to level",))


_NO_EXPERIENCE = {"no experience", "none", "aucune", "aucune experience", "sans experience",
                  "pas d'experience", "no", "jamais", "never"}
_YEARS_PATTERN = re.compile(
    r"^(?P<number>-?\d+(?:[.,]\d+)?)\s*(?P<unit>years?|yrs?|y|ans?|annees?|months?|mois|m)?\.?$"
)


def normalise_experience(raw: str) -> Normalised:
    """Turn ``1,5``, ``2.5``, ``6 months`` or ``no experience`` into float years."""
    text = _clean_text(raw)
    if not text:
        return Normalised(math.nan, ("experience missing",))
    key = make_key(text)
    if key in _NO_EXPERIENCE:
        return Normalised(0.0, ("experience text read as 0 years",))
    match = _YEARS_PATTERN.match(key)
    if match is None:
        return Normalised(math.nan, ("experience unreadable (set missing)",),
                          f"experience {text!r} is not a number of years; treated as missing")
    number = match.group("number")
    years = float(number.replace(",", "."))
    steps = []
    if "," in number:
        steps.append("experience decimal comma read")
    unit = match.group("unit") or ""
    if unit.startswith("m"):
        years = years / 12.0
        steps.append("experience months converted to years")
    elif unit:
        steps.append("experience unit text removed")
    if not EXPERIENCE_MIN_YEARS <= years <= EXPERIENCE_MAX_YEARS:
        return Normalised(math.nan, ("experience out of range (set missing)",),
                          f"experience {text!r} outside {EXPERIENCE_MIN_YEARS:g}-"
                          f"{EXPERIENCE_MAX_YEARS:g} years; treated as missing")
    return Normalised(years, tuple(steps))


def split_technologies(raw: str) -> list[str]:
    """Split a raw technology cell on ``/``, ``,``, ``;``, ``|`` or newlines (items trimmed)."""
    # "C/C++" must not lose its "+": only these separators split.
    return [_clean_text(item) for item in re.split(r"[/,;|\n\r]", raw)]


def normalise_technologies(raw: str) -> Normalised:
    """Map a raw technology cell onto canonical names, joined by ``/`` (unknown items kept)."""
    items = split_technologies(raw)
    steps: list[str] = []
    if not any(items):
        return Normalised("", ("technologies missing",))
    if "" in items and len(items) > 1:
        steps.append("technologies empty item removed")
    if re.search(r"[\n\r]", raw):
        steps.append("technologies stray newline removed")
    canonical: list[str] = []
    unknown: list[str] = []
    aliased = False
    for item in items:
        if not item:
            continue
        mapped = TECHNOLOGY_LOOKUP.get(make_key(item))
        if mapped is None:
            unknown.append(item)
            mapped = (item,)
        elif mapped != (item,):
            aliased = True
        for name in mapped:
            if name not in canonical:
                canonical.append(name)
    if aliased:
        steps.append("technologies alias or case variant mapped")
    warning = None
    if unknown:
        steps.append("technologies unknown item (kept)")
        warning = "unknown technolog" + ("ies " if len(unknown) > 1 else "y ") + ", ".join(
            repr(item) for item in unknown) + " kept"
    return Normalised("/".join(canonical), tuple(steps), warning)


def _title_case(text: str) -> str:
    return re.sub(r"[^\s\-']+", lambda word: word.group(0)[:1].upper() + word.group(0)[1:].lower(), text)


def normalise_city(raw: str) -> Normalised:
    """Trim and canonically case a city; a city outside the reference file is kept and flagged."""
    text = _clean_text(raw)
    if not text:
        return Normalised(None, ("city missing",))
    known = CITY_LOOKUP.get(make_key(text))
    if known is not None:
        return Normalised(known, () if known == raw else ("city trimmed or recased",))
    cased = _title_case(text)
    return Normalised(cased, ("city unknown (kept)",), f"unknown city {cased!r} kept")


def _known_companies() -> dict[str, str]:
    try:
        tables = json.loads(FREQUENCY_TABLES_PATH.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {make_key(name): name for name in tables.get("companies", {}).get("names", [])}


_COMPANY_CASING = _known_companies()


def normalise_company(raw: str) -> Normalised:
    """Trim a company name and give a frequent company its usual casing."""
    text = _clean_text(raw)
    if not text:
        return Normalised(None, ("company missing",))
    canonical = _COMPANY_CASING.get(make_key(text), text)
    return Normalised(canonical, () if canonical == raw else ("company trimmed or recased",))


def normalise_profile(raw: str) -> Normalised:
    """Match a target label whatever its case; an unknown label is kept and flagged."""
    text = _clean_text(raw)
    if not text:
        return Normalised(None, ("profile missing",))
    label = PROFILE_LOOKUP.get(make_key(text))
    if label is None:
        return Normalised(text, ("profile unknown (kept)",),
                          f"unknown profile {text!r} kept; expected one of {', '.join(PROFILE_LABELS)}")
    return Normalised(label, () if label == raw else ("profile trimmed or recased",))


NORMALISERS = {
    "company": normalise_company,
    "profile": normalise_profile,
    "technologies": normalise_technologies,
    "diploma": normalise_diploma,
    "experience": normalise_experience,
    "city": normalise_city,
}


# ---------------------------------------------------------------------------------------------
# Loading a file
# ---------------------------------------------------------------------------------------------
def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes, the identity of a data set in caches and model metadata."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_profiles(path: str | Path) -> LoadedProfiles:
    """Load a profile file into a canonical, typed frame and a normalisation report.

    Parameters
    ----------
    path : str or Path
        A CSV file in the reference format or any of the variants users send: UTF-8 with or
        without BOM, CRLF or LF, ``;`` or ``,`` delimiter, decimal comma or point, ``Metier``
        empty or absent, extra columns, header names in another case or with spaces.

    Returns
    -------
    LoadedProfiles
        ``frame`` has one row per input record, in input order, with the columns of
        :data:`SCHEMA` plus ``row`` (1-based data row) and ``warnings``; ``raw`` holds the input
        cells as read; ``report`` counts what was normalised.

    Raises
    ------
    DataFileError
        When the file cannot be used: missing, empty, binary, not UTF-8, not a CSV, or a
        required column absent. The message names the file, row and column.
    """
    path = Path(path)
    text, encoding, content = _read_text(path)
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = _sniff_delimiter(first_line)
    header, records, blank = _parse_records(path, text, delimiter)
    positions, found, ignored = _map_header(path, header)

    report = NormalisationReport(
        path=str(path), sha256=hashlib.sha256(content).hexdigest(), encoding=encoding,
        delimiter=delimiter, line_endings=_line_endings(text), rows_read=len(records),
        blank_lines_skipped=blank, columns_found=found, columns_ignored=ignored,
        columns_absent=[RAW_HEADER[column.name] for column in SCHEMA
                        if column.name not in positions.values()],
    )

    width = len(header)
    raw_names = [name.strip() or f"column_{index + 1}" for index, name in enumerate(header)]
    raw_rows: list[list[str]] = [cells for _, cells in records]
    # Notes of the rows that have any (row index -> notes); most rows have none.
    row_warnings: dict[int, list[str]] = {}
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
        row_warnings[index] = [note]
        report.warnings.append(RowWarning(index + 1, "*", "", note))
    raw = pd.DataFrame(raw_rows, columns=pd.Index(raw_names), dtype=object)
    if raw.columns.duplicated().any():
        raw.columns = [f"{name}.{index}" if duplicated else name for index, (name, duplicated)
                       in enumerate(zip(raw_names, raw.columns.duplicated(), strict=True))]

    frame = pd.DataFrame(index=range(len(records)))
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
                    report.warnings.append(RowWarning(row_number, RAW_HEADER[name], value, warning))
        if name == "diploma":
            spelling_counts: Counter = Counter()
            for value, count in counts.items():
                if cleaned := _clean_text(value):
                    spelling_counts[cleaned] += count
            levels = {_clean_text(value): result.value for value, result in results.items()}
            report.diploma_spellings = {
                spelling: {"level": levels[spelling], "rows": count}
                for spelling, count in spelling_counts.most_common() if levels[spelling] in DIPLOMA_LEVELS
            }
        if name == "technologies":
            raw_items = {item for value in set(cells) for item in split_technologies(value) if item}
            report.raw_technology_items = len(raw_items)
            report.technology_aliases = {
                item: "/".join(TECHNOLOGY_LOOKUP[make_key(item)]) for item in sorted(raw_items)
                if make_key(item) in TECHNOLOGY_LOOKUP and TECHNOLOGY_LOOKUP[make_key(item)] != (item,)
            }
            report.canonical_technologies = len(
                {item for result in results.values() for item in result.value.split("/") if item})
    for column in SCHEMA:
        if column.name not in frame.columns:
            frame[column.name] = math.nan if column.kind == "years" else None
    frame = frame[list(CANONICAL_COLUMNS)]
    frame = _with_dtypes(frame)
    frame.insert(0, "row", np.arange(1, len(records) + 1))
    warnings = [""] * len(records)
    for index, notes in row_warnings.items():
        warnings[index] = "; ".join(notes)
    frame["warnings"] = warnings
    report.rows_out = len(frame)
    check_frame(frame, path)
    return LoadedProfiles(frame=frame, raw=raw, report=report)


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
        Naming the first offending row and column.
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
                row = int(frame["row"][outside].iloc[0]) if "row" in frame else int(np.argmax(outside)) + 1
                raise DataFileError(path, "experience outside the allowed range", row=row,
                                    column=column.name)
        elif not pd.api.types.is_string_dtype(series):
            raise DataFileError(path, f"expected text, got {series.dtype}", column=column.name)


def profiles_to_raw_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Write canonical profiles back in the reference header (for files other tools read)."""
    out = pd.DataFrame({RAW_HEADER[name]: frame[name] for name in CANONICAL_COLUMNS})
    return out
