"""Writing files users open: never half-written, never a formula a spreadsheet would run.

Every output goes to a temporary name in the target folder and is renamed over the target only
once complete, so a failed or interrupted run leaves the previous file as it was. A failure
(missing folder, a folder in the way, a file locked or read-only because it is still open in
Excel, a full disk) is one :class:`OutputError` naming the file and what to do.

Cells that a spreadsheet would execute — starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return, and not a number — are neutralised with a leading apostrophe (the OWASP
CSV-injection rule), unless the caller asks for the raw values.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from datajobs.data.schema import DataFileError

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")


class OutputError(DataFileError):
    """An output that could not be written; the previous file, if any, is untouched."""


def failure_reason(error: OSError, path: Path) -> str:
    """What went wrong writing ``path``, and what to do, in words (the reason of an :class:`OutputError`)."""
    if error.errno == errno.ENOSPC:
        return "cannot be written: the disk is full"
    if isinstance(error, IsADirectoryError):
        return "is a folder; give a file name"
    if isinstance(error, FileNotFoundError) or not path.parent.is_dir():
        return f"folder {str(path.parent)!r} does not exist; create it first"
    if isinstance(error, PermissionError):
        return ("cannot be written (permission denied): is it open in Excel or read-only? "
                "Close it, or write to another name")
    return f"cannot be written ({error.strerror or error})"


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path next to ``path``; renamed to ``path`` when the block ends without error.

    Raises
    ------
    OutputError
        When the folder is missing, ``path`` is a folder, or the file cannot be written or replaced.
    """
    path = Path(path)
    if path.is_dir():
        raise OutputError(path, failure_reason(IsADirectoryError(), path))
    if path.exists() and not os.access(path, os.W_OK):
        raise OutputError(path, failure_reason(PermissionError(), path))
    try:
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".partial{path.suffix}", dir=path.parent)
    except OSError as error:
        raise OutputError(path, failure_reason(error, path)) from None
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        if path.exists():
            shutil.copymode(path, temporary)
        else:
            os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except OSError as error:
        raise OutputError(path, failure_reason(error, path)) from None
    finally:
        temporary.unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    """Write a text file atomically (see :func:`atomic_path`)."""
    with atomic_path(path) as temporary:
        temporary.write_text(text, encoding=encoding)
    return Path(path)


def write_bytes(path: str | Path, data: bytes) -> Path:
    """Write a binary file atomically (see :func:`atomic_path`)."""
    with atomic_path(path) as temporary:
        temporary.write_bytes(data)
    return Path(path)


def is_formula(value) -> bool:
    """Whether a spreadsheet would treat a cell as a formula (and it is not just a signed number)."""
    return (isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)
            and not _NUMBER.match(value.strip()))


def neutralise_formulas(frame: pd.DataFrame, skip: tuple[str, ...] = ()) -> tuple[pd.DataFrame, list[list[str]]]:
    """Prefix formula-like text cells with an apostrophe.

    Returns the neutralised copy and, for each row, the columns that were changed.
    """
    safe = frame.copy()
    changed: list[list[str]] = [[] for _ in range(len(frame))]
    for column in frame.columns:
        if column in skip or not (pd.api.types.is_object_dtype(frame[column])
                                  or pd.api.types.is_string_dtype(frame[column])):
            continue
        # A column holds few distinct values (cities, diplomas, labels): test each one once. A set
        # finds those of an object column three times faster than pd.unique; a pandas string column
        # has its own fast unique().
        values = frame[column]
        distinct = set(values.to_numpy(dtype=object)) if pd.api.types.is_object_dtype(values) else values.unique()
        flagged = [value for value in distinct if is_formula(value)]
        if not flagged:
            continue
        mask = frame[column].astype(object).isin(flagged).to_numpy(dtype=bool)
        safe[column] = safe[column].astype(object)
        safe.loc[mask, column] = "'" + frame.loc[mask, column].astype(str)
        for position in mask.nonzero()[0]:
            changed[position].append(str(column))
    return safe, changed


def write_table(frame: pd.DataFrame, path: str | Path, delimiter: str = ";", encoding: str = "utf-8") -> Path:
    """Write a table atomically: ``.xlsx`` as an Excel workbook, anything else as CSV."""
    path = Path(path)
    with atomic_path(path) as temporary:
        if path.suffix.lower() in {".xlsx", ".xlsm"}:
            frame.to_excel(temporary, index=False, engine="openpyxl")
        else:
            frame.to_csv(temporary, sep=delimiter, index=False, lineterminator="\n", encoding=encoding)
    return path


def safe_copytree(source: Path, target: Path) -> None:
    """Copy a folder (for a backup), replacing ``target``."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target, symlinks=True)
