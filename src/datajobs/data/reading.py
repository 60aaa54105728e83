"""Read a profile file's bytes into header and records: CSV text in any encoding Excel writes (delimiter
sniffed, stray quotes caught), or the rows of an Excel workbook's sheet."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from datajobs.data.schema import HEADER_LOOKUP, RAW_HEADER, SCHEMA, DataFileError, header_key

SAVE_AS_HINT = "open it in Excel and save it as .xlsx or as 'CSV UTF-8 (délimité par des virgules)'"
# Encodings a French or Western European spreadsheet exports in; tried first, before any other.
WESTERN_ENCODINGS = ["cp1252", "latin_1", "iso8859_15", "mac_roman", "cp850"]
ENCODING_NAMES = {"cp1252": "Windows-1252", "latin_1": "Latin-1 (ISO-8859-1)", "iso8859_15": "Latin-9 (ISO-8859-15)",
                  "mac_roman": "Mac Roman", "cp850": "DOS Latin-1 (cp850)"}
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_BLANK_LINES = re.compile(r"(?:[ \t]*(?:\r\n|\r|\n))*")
_SEP_LINE = re.compile(r'^\ufeff?"?sep=(?P<delimiter>.)"?[ \t]*$', re.IGNORECASE)


@dataclass
class Source:
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
    image = next((name for magic, name in _IMAGES if content.startswith(magic)), None)
    if image is not None:
        return f"a {image} image, not a table: export the table from its source as CSV or .xlsx"
    return None


_IMAGES = ((b"\x89PNG\r\n\x1a\n", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"GIF87a", "GIF"), (b"GIF89a", "GIF"))


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
    # A NUL character in a cell puts a NUL in the other half too: allow a few.
    if odd.count(0) > 0.4 * len(odd) and even.count(0) <= len(even) // 100:
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) <= len(odd) // 100:
        return "utf-16-be"
    return None


# Bytes and characters no text export holds: C0 controls but tab, line feed and carriage return, and DEL.
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
CONTROL_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_NAMES = ("NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "TAB", "LF", "VT", "FF", "CR",
                 "SO", "SI", "DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM", "SUB", "ESC",
                 "FS", "GS", "RS", "US")


# Parts of the reference column names, in any case and with or without accents: a first line holding
# one is a header, whatever control bytes the rows below it hold.
_HEADER_STEMS = (b"entreprise", b"tier", b"technolog", b"diplom", b"rience", b"ville")


def _names_a_column(line: bytes) -> bool:
    lowered = line.lower()
    return any(stem in lowered for stem in _HEADER_STEMS)


def _looks_binary(content: bytes) -> bool:
    """Whether control bytes make up more than 5 % of the file's start and its first line names no
    column: an image or another binary file, not a text export with NUL bytes or escape codes in
    its cells (which the reader then names by line and column)."""
    sample = content[:65536]
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    first_line = next((line for line in sample.splitlines()
                       if line.strip() and not line.lstrip(b"\xef\xbb\xbf\"").lower().startswith(b"sep=")), b"")
    return controls > 0.05 * len(sample) and not _names_a_column(first_line)


def control_name(character: str) -> str:
    """``NUL (0x00)``: the name and code of a control character."""
    code = ord(character)
    return f"{CONTROL_NAMES[code] if code < 32 else 'DEL'} (0x{code:02X})"


def _read_workbook(path: Path, content: bytes, sheet: str | None) -> Source:
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
    return Source(content=content, encoding=f"Excel workbook, sheet {title!r}", sheet_rows=rows)


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
    if _looks_binary(content):
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
    # The detector is given the text without its control bytes (a stray NUL makes it give up); the
    # whole file is then decoded, control bytes included, for the parser to name their line.
    printable = content.translate(None, _CONTROL_BYTES)
    best = from_bytes(printable, cp_isolation=WESTERN_ENCODINGS).best() or from_bytes(printable).best()
    if best is None:
        raise DataFileError(path, f"not text in any encoding this tool recognises; {SAVE_AS_HINT}")
    try:
        text = content.decode(best.encoding)
    except (UnicodeDecodeError, LookupError):
        raise DataFileError(path, f"not text in any encoding this tool recognises; {SAVE_AS_HINT}") from None
    return text, f"{ENCODING_NAMES.get(best.encoding, best.encoding)} (detected; not UTF-8)"


def read_source(path: Path, sheet: str | None = None) -> Source:
    """The bytes of a file as CSV text (encoding detected, a ``sep=`` line read) or a worksheet's rows."""
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
    # Excel's "sep=;" line is the first line that is not blank.
    blank = _BLANK_LINES.match(text)
    first_newline = _LINE_BREAK.search(text, blank.end())
    first = text[blank.end(): first_newline.start()] if first_newline else text[blank.end():]
    match = _SEP_LINE.match(first)
    if match and first_newline:
        skipped = len(_LINE_BREAK.findall(text, 0, first_newline.end()))
        return Source(content, encoding, text=text[first_newline.end():],
                      declared_delimiter=match.group("delimiter"), first_line=skipped + 1)
    return Source(content, encoding, text=text)


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
class Records:
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


def _parse_records(path: Path, text: str, delimiter: str, first_line: int = 1) -> Records:
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
    return Records(header, header_line, records, blank, len(lines) + first_line - 1, stray)


def _sheet_records(path: Path, rows: list[tuple[int, list[str]]]) -> Records:
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
    return Records(header, header_line, records, blank, rows[-1][0] if rows else 0)


def read_table(path: Path, sheet: str | None = None) -> tuple[Source, Records, str, str]:
    """Read a file into its source, its header and records, its delimiter and its line endings
    (``""`` and ``"no"`` for a workbook)."""
    source = read_source(path, sheet)
    if source.sheet_rows is not None:
        return source, _sheet_records(path, source.sheet_rows), "", "no"
    text = source.text or ""
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = source.declared_delimiter or _sniff_delimiter(first_line)
    parsed = _parse_records(path, text, delimiter, source.first_line)
    _reject_control_characters(path, text, parsed, source.first_line)
    return source, parsed, delimiter, _line_endings(text)


def _reject_control_characters(path: Path, text: str, parsed: Records, first_line: int) -> None:
    """Raise a :class:`DataFileError` naming the line and column of the first control character
    (a NUL from an old tool's export, an escape code) in the text, if any."""
    found = CONTROL_CHARACTER.search(text)
    if found is None:
        return
    if not _names_a_column(" ".join(parsed.header).encode("utf-8", "replace")):
        raise DataFileError(path, f"binary content, neither text nor an Excel workbook; {SAVE_AS_HINT}")
    line = len(re.findall(r"\r\n|\r|\n", text[: found.start()])) + first_line
    character = found.group()
    column = None
    if line == parsed.header_line:
        cells = parsed.header
    else:
        # The record holding that line: the last one starting on or before it.
        cells = next((cells for start, cells in reversed(parsed.records) if start <= line), [])
    for position, cell in enumerate(cells):
        if character in cell:
            if position < len(parsed.header):
                column = parsed.header[position].strip() or f"<unnamed column {position + 1}>"
            break
    raise DataFileError(path, f"control character {control_name(character)} in the cell; text exports hold none "
                        f"(a damaged file, or an old tool's export): delete it in a text editor, or {SAVE_AS_HINT}",
                        line=line, column=column)


def map_header(path: Path, header: list[str], header_line: int = 1) -> tuple[dict[int, str], dict[str, str], list[str]]:
    """Map header cells onto canonical columns: (position -> column, raw name -> column, ignored names).

    Raises :class:`DataFileError` when two cells map to one column or a required column is missing.
    """
    positions: dict[int, str] = {}
    found: dict[str, str] = {}
    ignored: list[str] = []
    for position, raw_name in enumerate(header):
        name = HEADER_LOOKUP.get(header_key(raw_name))
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


