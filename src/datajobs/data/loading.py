"""Load, validate and normalise profile files as they are delivered.

One entry point, :func:`load_profiles`, turns a raw CSV or Excel workbook (the reference file or a
user's own export) into a canonical, typed DataFrame plus a :class:`NormalisationReport` that counts
every step. Unusable files raise :class:`DataFileError` naming the file, line and column (or what
the file is and how to save it); odd values inside a usable file are kept and flagged per row,
never dropped. Lines are numbered as an editor or Excel shows them: the header is line 1.
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
from datajobs.data.vocabulary import (
    CITY_LOOKUP,
    DIPLOMA_FIRST_WORDS,
    PROFILE_LOOKUP,
    TECHNOLOGY_LOOKUP,
    make_key,
)


class DataFileError(ValueError):
    """A file that cannot be used, with the place that makes it unusable."""

    def __init__(self, path: str | Path, reason: str, line: int | None = None, column: str | None = None):
        self.path = str(path)
        self.reason = reason
        self.line = line
        self.column = column
        super().__init__(str(self))

    def __str__(self) -> str:
        # "line N" is the line a text editor or Excel shows (the header is line 1).
        where = [self.path]
        if self.line is not None:
            where.append(f"line {self.line}")
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
                 "target label: the reference labels (any case) or a profile of the data's own; "
                 "empty or absent in a file to predict", PROFILE_LABELS),
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
    """A value that was kept but is worth a look, at the line an editor or Excel shows."""

    line: int
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column!r}: {self.message}"


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
    physical_lines: int = 0
    columns_found: dict[str, str] = field(default_factory=dict)
    columns_ignored: list[str] = field(default_factory=list)
    columns_absent: list[str] = field(default_factory=list)
    steps: Counter = field(default_factory=Counter)
    diploma_spellings: dict[str, dict[str, int]] = field(default_factory=dict)
    technology_aliases: dict[str, str] = field(default_factory=dict)
    labels: dict[str, int] = field(default_factory=dict)
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
        """The normalisation steps as a table: the rows each step affected, indexed by step (a page
        shows it as it is, with no row numbers)."""
        return pd.DataFrame(
            [{"step": step, "rows": count} for step, count in sorted(self.steps.items())]
        ).set_index("step")

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
            "physical_lines": self.physical_lines,
            "columns_found": self.columns_found,
            "columns_ignored": self.columns_ignored,
            "columns_absent": self.columns_absent,
            "labels": self.labels,
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
            f"format:      {self.encoding}"
            + (f", delimiter {self.delimiter!r}, {self.line_endings} line ends" if self.delimiter else ""),
            f"rows:        {self.rows_read} read from {self.physical_lines} "
            f"{'lines' if self.delimiter else 'sheet rows'}, {self.rows_out} out, "
            f"{self.rows_lost} lost"
            + (f" ({self.blank_lines_skipped} blank lines skipped)" if self.blank_lines_skipped else ""),
            "columns:     " + ", ".join(f"{raw} -> {name}" for raw, name in self.columns_found.items()),
        ]
        if self.columns_ignored:
            lines.append("ignored:     " + ", ".join(self.columns_ignored))
        if self.columns_absent:
            lines.append("absent:      " + ", ".join(self.columns_absent) + " (optional)")
        if self.labels:
            lines.append("labels:      " + ", ".join(
                f"{label} {count}" + ("" if label in PROFILE_LABELS else " (not a reference label)")
                for label, count in self.labels.items()))
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
        """The input's delimiter, for outputs written in the same format (``;`` for a workbook)."""
        return self.report.delimiter or ";"


# ---------------------------------------------------------------------------------------------
# Reading the bytes: CSV text in any encoding Excel writes, or an Excel workbook
# ---------------------------------------------------------------------------------------------
SAVE_AS_HINT = "open it in Excel and save it as .xlsx or as 'CSV UTF-8 (délimité par des virgules)'"
# Encodings a French or Western European spreadsheet exports in; tried first, before any other.
WESTERN_ENCODINGS = ["cp1252", "latin_1", "iso8859_15", "mac_roman", "cp850"]
ENCODING_NAMES = {"cp1252": "Windows-1252", "latin_1": "Latin-1 (ISO-8859-1)", "iso8859_15": "Latin-9 (ISO-8859-15)",
                  "mac_roman": "Mac Roman", "cp850": "DOS Latin-1 (cp850)"}
_SEP_LINE = re.compile(r'^\ufeff?"?sep=(?P<delimiter>.)"?[ \t]*$', re.IGNORECASE)


@dataclass
class _Source:
    """What was read from a file: text to parse as CSV, or the rows of a worksheet."""

    content: bytes
    encoding: str
    text: str | None = None
    sheet_rows: list[tuple[int, list[str]]] | None = None
    declared_delimiter: str | None = None  # from Excel's "sep=;" first line
    first_line: int = 1  # the editor line of the text's first line (2 after a "sep=" line)


def _binary_kind(content: bytes) -> str | None:
    """Name a non-text file from its first bytes, with what to do about it (None: not recognised)."""
    if content.startswith(b"PK\x03\x04"):
        head = content[:4096]
        if b"mimetype" in head and b"opendocument.spreadsheet" in head:
            return f"an OpenDocument spreadsheet (LibreOffice), not a CSV: {SAVE_AS_HINT.replace('Excel', 'LibreOffice')}"
        return "a ZIP archive, not a CSV or an Excel workbook: extract the table from it first"
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        return f"an Excel 97-2003 workbook (.xls) or another old Office document: {SAVE_AS_HINT}"
    if content.startswith(b"%PDF"):
        return "a PDF document, not a table: export the table from its source as CSV or .xlsx"
    if content.startswith(b"\x1f\x8b"):
        return "a gzip archive: decompress it first (gunzip)"
    return None


def _is_workbook(content: bytes) -> bool:
    """A ZIP holding ``xl/workbook.xml`` (an .xlsx or .xlsm, whatever the file's name)."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return any(name.startswith("xl/workbook") for name in archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        # A damaged archive: still a workbook if its first entries say so.
        return b"xl/" in content[:65536]


def _utf16_without_bom(content: bytes) -> str | None:
    """UTF-16 without a byte-order mark: every other byte is NUL in Latin text."""
    sample = content[:4000]
    if len(sample) < 4:
        return None
    odd, even = sample[1::2], sample[0::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) == 0:
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) == 0:
        return "utf-16-be"
    return None


def _read_workbook(path: Path, content: bytes, sheet: str | None) -> _Source:
    """The rows of one worksheet as text cells, each with its Excel row number."""
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - openpyxl is a dependency
        raise DataFileError(path, "an Excel workbook, but openpyxl is not installed: "
                            "pip install openpyxl, or save the sheet as CSV UTF-8") from None
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # a damaged or password-protected workbook
        raise DataFileError(path, f"an Excel workbook that cannot be read ({type(error).__name__}: {error}); "
                            f"{SAVE_AS_HINT}") from None
    try:
        names = workbook.sheetnames
        if sheet is None:
            worksheet = workbook.worksheets[0]
        elif sheet in names:
            worksheet = workbook[sheet]
        elif sheet.isdigit() and 1 <= int(sheet) <= len(names):
            worksheet = workbook.worksheets[int(sheet) - 1]
        else:
            raise DataFileError(path, f"no sheet {sheet!r} in this workbook; its sheets are "
                                + ", ".join(repr(name) for name in names))
        rows = [(number, [_cell_text(value) for value in values])
                for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1)]
        title = worksheet.title
    finally:
        workbook.close()
    return _Source(content=content, encoding=f"Excel workbook, sheet {title!r}", sheet_rows=rows)


def _cell_text(value) -> str:
    """A worksheet cell as the text a CSV export of it would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return f"{value:g}" if value.is_integer() else repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _decode(path: Path, content: bytes) -> tuple[str, str]:
    """Decode CSV bytes: UTF-8 (with or without BOM), UTF-16/32 with BOM, else a detected 8-bit encoding."""
    for bom, codec, name in ((b"\xef\xbb\xbf", "utf-8-sig", "UTF-8 with BOM"),
                             (b"\xff\xfe\x00\x00", "utf-32", "UTF-32 with BOM"),
                             (b"\x00\x00\xfe\xff", "utf-32", "UTF-32 with BOM"),
                             (b"\xff\xfe", "utf-16", "UTF-16 with BOM"),
                             (b"\xfe\xff", "utf-16", "UTF-16 with BOM")):
        if content.startswith(bom):
            try:
                return content.decode(codec), name
            except UnicodeDecodeError as error:
                raise DataFileError(path, f"{name.replace(' with BOM', '')} text with an undecodable byte at offset "
                                    f"{error.start}; {SAVE_AS_HINT}") from None
    utf16 = _utf16_without_bom(content)
    if utf16 is not None:
        try:
            return content.decode(utf16), f"UTF-16 {utf16[-2:].upper()} without BOM"
        except UnicodeDecodeError:
            raise DataFileError(path, f"UTF-16 text that cannot be decoded; {SAVE_AS_HINT}") from None
    if b"\x00" in content:
        raise DataFileError(path, f"binary content, neither text nor an Excel workbook; {SAVE_AS_HINT}")
    try:
        return content.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError as error:
        bad_line = content[: error.start].count(b"\n") + 1
    # Two-byte UTF-8 letters (é = C3 A9) beside a byte that is not UTF-8: two files pasted together.
    # Any single decoding would garble one half ("Ã©"), so say so rather than guess.
    utf8_letter = re.search(rb"[\xc2-\xdf][\x80-\xbf]", content)
    if utf8_letter is not None:
        good_line = content[: utf8_letter.start()].count(b"\n") + 1
        raise DataFileError(path, f"mixes UTF-8 (e.g. line {good_line}) with another encoding (e.g. line "
                            f"{bad_line}); {SAVE_AS_HINT}", line=bad_line)
    from charset_normalizer import from_bytes

    # A French export is cp1252 far more often than anything the unrestricted detector might
    # prefer on a short file (cp1250, koi8 ...): try the Western encodings first.
    best = from_bytes(content, cp_isolation=WESTERN_ENCODINGS).best() or from_bytes(content).best()
    if best is None:
        raise DataFileError(path, f"not text in any encoding this tool recognises; {SAVE_AS_HINT}")
    return str(best), f"{ENCODING_NAMES.get(best.encoding, best.encoding)} (detected; not UTF-8)"


def _read_source(path: Path, sheet: str | None = None) -> _Source:
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
    if content.startswith(b"PK\x03\x04") and _is_workbook(content):
        return _read_workbook(path, content, sheet)
    if sheet is not None:
        raise DataFileError(path, f"--sheet {sheet!r} given, but this is a text file, not an Excel workbook")
    kind = _binary_kind(content)
    if kind is not None:
        raise DataFileError(path, kind)
    text, encoding = _decode(path, content)
    if text.startswith("\ufeff"):
        text = text[1:]
    first_newline = re.search(r"\r\n|\r|\n", text)
    first = text[: first_newline.start()] if first_newline else text
    match = _SEP_LINE.match(first)
    if match and first_newline:
        return _Source(content, encoding, text=text[first_newline.end():],
                       declared_delimiter=match.group("delimiter"), first_line=2)
    return _Source(content, encoding, text=text)


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


@dataclass
class _Records:
    """The header and the data records of a file, each with the editor line it starts on."""

    header: list[str]
    header_line: int
    records: list[tuple[int, list[str]]]
    blank: int
    physical_lines: int
    stray_quotes: list[tuple[int, int]] = field(default_factory=list)  # (line of the quote, last line it swallowed)


def _split_line_alone(line: str, delimiter: str) -> tuple[list[str], bool]:
    """One physical line as cells; a line with an odd number of quotes has its quotes dropped."""
    stripped = line.rstrip("\r\n")
    if stripped.count('"') % 2 == 0:
        return next(csv.reader([stripped], delimiter=delimiter), []), False
    cells = next(csv.reader([stripped], delimiter=delimiter, quoting=csv.QUOTE_NONE), [])
    return [cell.replace('"', "") for cell in cells], True


def _parse_records(path: Path, text: str, delimiter: str, first_line: int = 1) -> _Records:
    """Split the text into the header and (line, cells) records; blank lines are counted.

    A quote opening a cell makes a CSV reader merge every following line into that cell until
    the next quote. A multi-line cell is legitimate (a line break inside a quoted cell), but
    not when two of its physical lines are each a complete row (as many delimiters as the
    header): then the lines are read one by one and each line with an unmatched quote gets a
    warning. Nothing is dropped.
    """
    lines = list(io.StringIO(text, newline=""))
    reader = csv.reader(iter(lines), delimiter=delimiter)
    header: list[str] | None = None
    header_line = first_line
    records: list[tuple[int, list[str]]] = []
    stray: list[tuple[int, int]] = []
    blank = 0
    previous_end = 0
    try:
        for cells in reader:
            start, end = previous_end + 1, reader.line_num  # 1-based positions in `lines`
            previous_end = end
            if not "".join(cells).strip():
                blank += header is not None
                continue
            if header is None:
                header, header_line = cells, start + first_line - 1
                continue
            width = len(header)
            # Two physical lines that each hold a complete row cannot be one record.
            swallowed = end > start and width > 1 and sum(
                line.count(delimiter) >= width - 1 for line in lines[start - 1:end]) >= 2
            if not swallowed:
                records.append((start + first_line - 1, cells))
                continue
            for index in range(start - 1, end):
                if not lines[index].strip():
                    blank += 1
                    continue
                line_cells, unbalanced = _split_line_alone(lines[index], delimiter)
                records.append((index + first_line, line_cells))
                if unbalanced:
                    stray.append((index + first_line, end + first_line - 1))
    except csv.Error as error:
        line = previous_end + first_line
        raise DataFileError(path, f"not a readable CSV ({error})", line=line) from None
    if header is None:
        raise DataFileError(path, "file is empty")
    return _Records(header, header_line, records, blank, len(lines) + first_line - 1, stray)


def _sheet_records(path: Path, rows: list[tuple[int, list[str]]]) -> _Records:
    """A worksheet's rows as records: the first non-empty row is the header; trailing empty columns dropped."""
    header: list[str] | None = None
    header_line = 1
    records: list[tuple[int, list[str]]] = []
    blank = 0
    for number, cells in rows:
        if not any(cell.strip() for cell in cells):
            blank += header is not None
            continue
        if header is None:
            width = max(index for index, cell in enumerate(cells) if cell.strip()) + 1
            header, header_line = cells[:width], number
            continue
        while len(cells) > len(header) and not cells[-1].strip():
            cells = cells[:-1]
        records.append((number, cells))
    if header is None:
        raise DataFileError(path, "the sheet is empty")
    return _Records(header, header_line, records, blank, rows[-1][0] if rows else 0)


def _map_header(path: Path, header: list[str], header_line: int = 1) -> tuple[dict[int, str], dict[str, str], list[str]]:
    positions: dict[int, str] = {}
    found: dict[str, str] = {}
    ignored: list[str] = []
    for position, raw_name in enumerate(header):
        name = HEADER_LOOKUP.get(_header_key(raw_name))
        if name is None:
            ignored.append(raw_name.strip() or f"<unnamed column {position + 1}>")
            continue
        if name in positions.values():
            raise DataFileError(path, f"two columns map to {RAW_HEADER[name]!r}", line=header_line,
                                column=raw_name.strip())
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
            line=header_line, column=missing[0],
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
        # The label set is the data's: a fifth profile is a class of its own, not an error.
        return Normalised(text, ("profile outside the four reference labels (a class of its own)",))
    return Normalised(label, () if label == raw else ("profile trimmed or recased",))


def ordered_labels(values) -> tuple[str, ...]:
    """The distinct labels among ``values``: the reference labels first, in their usual order,
    then any other label alphabetically (empty and missing values are not labels)."""
    present = {value for value in values if isinstance(value, str) and value}
    return (*[label for label in PROFILE_LABELS if label in present], *sorted(present - set(PROFILE_LABELS)))


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


def load_profiles(path: str | Path, sheet: str | None = None) -> LoadedProfiles:
    """Load a profile file into a canonical, typed frame and a normalisation report.

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
    source = _read_source(path, sheet)
    if source.sheet_rows is not None:
        parsed = _sheet_records(path, source.sheet_rows)
        delimiter, line_endings = "", "no"
    else:
        text = source.text or ""
        first_line = next((line for line in text.splitlines() if line.strip()), "")
        delimiter = source.declared_delimiter or _sniff_delimiter(first_line)
        parsed = _parse_records(path, text, delimiter, source.first_line)
        line_endings = _line_endings(text)
    header, records = parsed.header, parsed.records
    positions, found, ignored = _map_header(path, header, parsed.header_line)

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

    width = len(header)
    raw_names = [name.strip() or f"column_{index + 1}" for index, name in enumerate(header)]
    raw_rows: list[list[str]] = [cells for _, cells in records]
    lines = [line for line, _ in records]
    # Notes of the rows that have any (row index -> notes); most rows have none.
    row_warnings: dict[int, list[str]] = {}
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
                    report.warnings.append(RowWarning(lines[row_number - 1], RAW_HEADER[name], value, warning))
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
    frame.insert(0, "line", np.array(lines, dtype="int64"))
    warnings = [""] * len(records)
    for index, notes in row_warnings.items():
        warnings[index] = "; ".join(notes)
    frame["warnings"] = warnings
    report.rows_out = len(frame)
    counts = frame["profile"].value_counts()
    report.labels = {label: int(counts[label]) for label in ordered_labels(counts.index)}
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
