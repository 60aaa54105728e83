"""Read a CSV file of any size as successive pieces of whole records, each loaded as the whole file would be.

A piece is the file's header plus about ``chunk_bytes`` of records: memory stays flat whatever the size.
"""

from __future__ import annotations

import codecs
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

from datajobs.data.loading import load_profiles
from datajobs.data.schema import DataFileError, LoadedProfiles

# A file larger than this is read, scored and written chunk by chunk (about 100,000 profiles each,
# some 500 MiB of peak memory in all).
SCORING_CHUNK_BYTES = 8 * 2**20


def _record_end(data: bytes) -> int:
    """Offset just after the last line end of ``data`` that is outside quotes (0 if none)."""
    position = data.rfind(b"\n")
    while position >= 0:
        # A line end closes a record when the quotes before it are balanced ("" escapes count twice).
        if data.count(b'"', 0, position) % 2 == 0:
            return position + 1
        position = data.rfind(b"\n", 0, position)
    return 0


def split_records(path: str | Path, chunk_bytes: int = SCORING_CHUNK_BYTES) -> Iterator[tuple[bytes, bytes, int]]:
    """Cut a CSV file into pieces of whole records, reading ``chunk_bytes`` at a time.

    Yields ``(header, body, lines_before)``: the header (with any blank lines before it), about
    ``chunk_bytes`` of records, and the number of file lines before ``body``. ``header + body`` is a
    small CSV file that the loader reads exactly as it would read those rows in the whole file.
    """
    with open(path, "rb") as handle:
        data = b""
        header_end = 0
        while not header_end:
            block = handle.read(chunk_bytes)
            data += block
            header_end = _first_record_end(data)
            if not block:
                header_end = header_end or len(data)
        header, carry = data[:header_end], data[header_end:]
        lines_before = header.count(b"\n")
        while True:
            block = handle.read(chunk_bytes)
            data = carry + block
            end = len(data) if not block else _record_end(data)
            if end and data[:end].strip():
                yield header, data[:end], lines_before
            lines_before += data[:end].count(b"\n")
            carry = data[end:]
            if not block:
                return


def _first_record_end(data: bytes) -> int:
    """Offset just after the first non-blank record (the header) of ``data``, and after an Excel
    ``sep=`` line before it; 0 if not complete yet."""
    start = 0
    while True:
        end = data.find(b"\n", start)
        if end < 0:
            return 0
        lines = data[:end + 1].strip(b" \t\r\n\xef\xbb\xbf")
        if data.count(b'"', 0, end) % 2 == 0 and lines and not _SEP_ONLY.match(lines):
            return end + 1
        start = end + 1


# The header so far is only Excel's "sep=;" line: the header proper is still to come.
_SEP_ONLY = re.compile(rb'^"?sep=.?"?[ \t]*$', re.IGNORECASE)


def _quoted_cells(delimiter: str) -> re.Pattern[bytes]:
    """A well-formed quoted cell: opening right after a delimiter or a line start, closing right
    before a delimiter or a line end, with only doubled quotes inside."""
    separator = re.escape(delimiter.encode())
    return re.compile(rb'(?<![^' + separator + rb'\n])"[^"]*(?:""[^"]*)*"(?![^' + separator + rb'\r\n])')


def quotes_are_regular(path: str | Path, delimiter: str, chunk_bytes: int = SCORING_CHUNK_BYTES) -> bool:
    """Whether every quote of the file belongs to a well-formed quoted cell.

    Only then are the file's records where :func:`split_records` cuts them, at line ends with
    balanced quotes: a quote inside an unquoted cell is a plain character to a CSV reader, and the
    loader reads a row with a stray quote line by line, which no cut made ahead of it can foresee.
    """
    quoted = _quoted_cells(delimiter)
    for header, body, lines_before in split_records(path, chunk_bytes):
        for part in ((header,) if lines_before == header.count(b"\n") else ()) + (body,):
            if b'"' in part and b'"' in quoted.sub(b"", part.removeprefix(b"\xef\xbb\xbf")):
                return False
    return True


def shift_error(error: DataFileError, path: Path, lines_before: int) -> DataFileError:
    """The error of a piece, with the whole file's name and line numbers."""
    shifted_reason = re.sub(r"\bline (\d+)", lambda match: f"line {int(match.group(1)) + lines_before}", error.reason)
    line = None if error.line is None else error.line + lines_before
    return DataFileError(path, shifted_reason, line=line, column=error.column)


def streams_as_utf8(path: str | Path, chunk_bytes: int = SCORING_CHUNK_BYTES) -> bool:
    """Whether a file is UTF-8 text throughout (with or without a BOM), read ``chunk_bytes`` at a time.

    Only such a file can be cut into pieces that each decode as the whole file would: the
    loader guesses the encoding of anything else (cp1252, UTF-16, a workbook) from all of it.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as handle:
        block = handle.read(chunk_bytes)
        if block.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return False
        try:
            while block:
                decoder.decode(block)
                block = handle.read(chunk_bytes)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def load_chunks(path: str | Path, chunk_bytes: int = SCORING_CHUNK_BYTES) -> Iterator[LoadedProfiles]:
    """Load a file as successive :class:`~datajobs.data.schema.LoadedProfiles` of at most about
    ``chunk_bytes`` each, in input order (a small file, or one that is not UTF-8 text, is loaded in
    one piece, as is)."""
    path = Path(path)
    if not path.is_file() or path.stat().st_size <= chunk_bytes or not streams_as_utf8(path, chunk_bytes):
        yield load_profiles(path)
        return
    with tempfile.TemporaryDirectory(prefix="datajobs-chunks-") as scratch:
        piece = Path(scratch) / path.name
        header = next(split_records(path, chunk_bytes), (b"",))[0]
        piece.write_bytes(header)
        try:
            delimiter = load_profiles(piece).delimiter
        except DataFileError:
            delimiter = None  # the whole file gives the header's error, with its own wording
        if delimiter is None or not quotes_are_regular(path, delimiter, chunk_bytes):
            yield load_profiles(path)
            return
        pieces = 0
        for header, body, lines_before in split_records(path, chunk_bytes):
            piece.write_bytes(header + body)
            try:
                loaded = load_profiles(piece)
            except DataFileError as error:
                # The piece repeats the header: its line n is line n + lines_before - header lines.
                raise shift_error(error, path, lines_before - header.count(b"\n")) from None
            pieces += 1
            yield loaded
        if not pieces:  # a header and blank lines: no rows, but the header of the output all the same
            yield load_profiles(path)
