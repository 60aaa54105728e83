"""The declared shape of profile data: the canonical columns and header names, the load report, and
:class:`DataFileError`, the error an unusable file raises."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from datajobs.config import (
    DIPLOMA_LEVELS,
    EXPERIENCE_MAX_YEARS,
    EXPERIENCE_MIN_YEARS,
    PROFILE_LABELS,
)
from datajobs.data.vocabulary import make_key
from datajobs.errors import DatajobsError


class DataFileError(DatajobsError, ValueError):
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


def header_key(name: str) -> str:
    """The lookup key of a header cell: case-folded, accent-free, only letters, digits and ``_``."""
    return re.sub(r"[^a-z0-9_]", "", make_key(name).replace(" ", "_"))


HEADER_LOOKUP: dict[str, str] = {
    header_key(raw): column.name for column in SCHEMA for raw in column.raw_names
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

