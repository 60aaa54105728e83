"""Fuzzing the reader and the scoring path with Hypothesis: any file gives a table or one
:class:`DataFileError` naming the file (and the line of a bad row), no row is lost, the written output
reads back as scored, and chunked scoring writes the bytes whole-file scoring writes.

The examples per property come from a settings profile chosen by ``DATAJOBS_FUZZ_PROFILE``: ``short``
(the default, a few seconds in ``make test``) or ``long`` (``make fuzz``, see scripts/fuzz.py). Each
failing example found on the way is kept in ``fuzz_corpus/`` with its expected outcome and replayed by
:func:`test_corpus_file`.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datajobs.data import DataFileError, load_profiles
from datajobs.data.reading import CONTROL_CHARACTER, control_name
from datajobs.data.writing import is_formula

HEADER = ["Entreprise", "Metier", "Technologies", "Diplome", "Experience", "Ville"]
REQUIRED = ["Technologies", "Diplome", "Experience", "Ville"]
CORPUS = Path(__file__).parent / "fuzz_corpus"

settings.register_profile("datajobs-fuzz-short", max_examples=25, deadline=None, database=None,
                          suppress_health_check=list(HealthCheck))
settings.register_profile("datajobs-fuzz-long", max_examples=200, deadline=None, database=None,
                          suppress_health_check=list(HealthCheck))
FUZZ = settings.get_profile(f"datajobs-fuzz-{os.environ.get('DATAJOBS_FUZZ_PROFILE', 'short')}")

# ---------------------------------------------------------------------------------------------
# Strategies: generated files, each with what the loader must make of it
# ---------------------------------------------------------------------------------------------
CONTROLS = [chr(code) for code in [*range(0, 9), 11, 12, *range(14, 32), 127]]
ASCII = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ./-_'()"
ACCENTS = "éèàçôÉ"  # cp1252-safe; none a lead byte of UTF-8 followed by a continuation byte in cp1252
REAL_VALUES = {
    "Entreprise": ["ACME", "Société Générale", "Cabinet \"Alpha\"; Conseil", "", "Orange"],
    "Metier": ["Data scientist", "Data engineer", "Data architect", "Lead data scientist", "",
               "DATA SCIENTIST", "Astronaute", "Boulanger"],
    "Technologies": ["Python/SQL", "Spark/Hadoop/Scala", "python", "Quantum Basket", "", "R/Tableau",
                     "Python\n/SQL", "Excel, VBA"],
    "Diplome": ["Master", "Bachelor", "PhD", "No diploma", "master", "Bac+5", "", "Doctorat"],
    "Experience": ["3", "1,5", "2.5", "6 months", "no experience", "", "75", "-2", "deux ans", "1e3"],
    "Ville": ["Paris", "lyon", "Marseille", "Trifouilly-les-Oies", "", "Saint-Étienne"],
}
FORMULAS = ["=1+1", "+33 6 12", "-cmd", "@SUM(A1)", "=HYPERLINK(\"x\")", "\t=1", "-3", "+2.5"]


def free_text(alphabet: str, max_size: int = 12):
    return st.text(alphabet=alphabet, max_size=max_size)


@st.composite
def cells(draw, column: str, alphabet: str, controls: bool):
    kinds = ["real", "text", "formula", "delimiters", "huge", "empty"] + (["control"] if controls else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "real":
        value = draw(st.sampled_from(REAL_VALUES.get(column, REAL_VALUES["Entreprise"])))
    elif kind == "text":
        value = draw(free_text(alphabet))
    elif kind == "formula":
        value = draw(st.sampled_from(FORMULAS)) + draw(free_text(ASCII, 4))
    elif kind == "delimiters":
        value = draw(st.lists(st.sampled_from([";", ",", "\t", '"', "\n", "\r\n", " ", "a", "é"]), max_size=6))
        value = "".join(value)
    elif kind == "huge":
        value = draw(st.sampled_from(["Python/", "x", "Master ", "é"])) * draw(st.integers(500, 3000))
    elif kind == "control":
        text = draw(free_text(ASCII, 6))
        position = draw(st.integers(0, len(text)))
        value = text[:position] + draw(st.sampled_from(CONTROLS)) + text[position:]
    else:
        value = ""
    if "é" not in alphabet:
        value = value.encode("ascii", "replace").decode("ascii")
    elif alphabet != ASCII + ACCENTS + "œ€😀":  # cp1252: only what it encodes
        value = value.encode("cp1252", "replace").decode("cp1252")
    return value


@dataclass
class Generated:
    """A generated file and what the loader must make of it."""

    content: bytes
    header: list[str]
    rows: list[list[str]]
    delimiter: str
    encoding: str
    line_ending: str
    well_formed: bool  # written by a CSV writer: every row comes back as written
    text: str = ""
    notes: list[str] = field(default_factory=list)


ENCODINGS = {"utf-8": ASCII + ACCENTS + "œ€😀", "utf-8-sig": ASCII + ACCENTS + "œ€😀",
             "cp1252": ASCII + ACCENTS, "utf-16": ASCII + ACCENTS + "œ€😀"}


@st.composite
def headers(draw):
    """The real columns, shuffled, sometimes with one missing, duplicated, renamed or an unknown one added."""
    header = draw(st.permutations(HEADER))
    change = draw(st.sampled_from(["none", "none", "none", "drop", "duplicate", "unknown", "case", "empty"]))
    if change == "drop":
        header.pop(draw(st.integers(0, len(header) - 1)))
    elif change == "duplicate":
        header.insert(draw(st.integers(0, len(header))), draw(st.sampled_from(HEADER)))
    elif change == "unknown":
        header.insert(draw(st.integers(0, len(header))), draw(st.sampled_from(["Salaire", "id", "Notes"])))
    elif change == "case":
        header = [f" {name.upper()} " for name in header]
    elif change == "empty":
        header.append("")
    return header


@st.composite
def csv_files(draw, controls: bool = True, stray: bool = True):
    """A CSV file from the real columns, in any delimiter, quoting, encoding and line ending."""
    encoding = draw(st.sampled_from(sorted(ENCODINGS)))
    alphabet = ENCODINGS[encoding]
    delimiter = draw(st.sampled_from([";", ",", "\t"]))
    line_ending = draw(st.sampled_from(["\n", "\r\n"]))
    header = draw(headers())
    width = len(header)
    rows = []
    for _ in range(draw(st.integers(0, 12))):
        row_width = draw(st.sampled_from([width] * 6 + [max(width - 2, 1), width + 1]))
        names = [header[index] if index < width else "extra" for index in range(row_width)]
        rows.append([draw(cells(name.strip().title() if name.strip().lower() in
                                {h.lower() for h in HEADER} else name, alphabet, controls)) for name in names])
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=line_ending, quoting=quoting)
    writer.writerow(header)
    writer.writerows(rows)
    text = buffer.getvalue()
    if draw(st.booleans()) and draw(st.booleans()):
        text = f"sep={delimiter}{line_ending}" + text
    if draw(st.booleans()) and draw(st.booleans()):
        text = line_ending + text + line_ending  # blank lines around
    well_formed = True
    if stray and draw(st.integers(0, 5)) == 0:
        # Stray quotes at random places: the file is no longer what the writer wrote.
        for _ in range(draw(st.integers(1, 3))):
            position = draw(st.integers(0, len(text)))
            text = text[:position] + '"' + text[position:]
        well_formed = False
    content = text.encode(encoding)
    return Generated(content, header, rows, delimiter, encoding, line_ending, well_formed, text)


def random_bytes():
    """Plain random bytes, alone, after a real header, or after a binary file's magic number."""
    magic = st.sampled_from([b"", b"\x89PNG\r\n\x1a\n", b"PK\x03\x04", b"%PDF-1.7\n", b"\xff\xfe", b"\xef\xbb\xbf",
                             b"\x1f\x8b", b"\xd0\xcf\x11\xe0", ";".join(HEADER).encode() + b"\n"])
    return st.tuples(magic, st.binary(max_size=400)).map(lambda parts: parts[0] + parts[1])


# ---------------------------------------------------------------------------------------------
# The properties, as plain functions (scripts/fuzz.py runs them in a loop)
# ---------------------------------------------------------------------------------------------
def expected_error(generated: Generated) -> str | None:
    """What a well-formed generated file must be rejected for (a reason's start), or None."""
    if CONTROL_CHARACTER.search(generated.text):
        return "control character"  # found while reading, before the header is mapped
    keys = [name.strip().lower() for name in generated.header]
    if len(set(key for key in keys if key)) < len([key for key in keys if key]):
        return "two columns map to"
    if any(name.lower() not in keys for name in REQUIRED):
        return "required column"
    return None


def physical_line(text: str, offset: int, first_line: int = 1) -> int:
    return len(re.findall(r"\r\n|\r|\n", text[:offset])) + first_line


def check_load(path: Path, generated: Generated | None = None):
    """Load ``path``: a table, or a DataFileError naming the file (and its line for a row); never
    anything else, and never a row lost."""
    try:
        loaded = load_profiles(path)
    except DataFileError as error:
        message = str(error)
        assert message.startswith(f"{path}"), message
        assert "\n" not in message.strip() or "control character" in message, message
        if "control character" in error.reason:
            assert error.line is not None, message
        if generated is not None and generated.well_formed:
            expected = expected_error(generated)
            assert expected is not None, f"unexpected error for a well-formed file: {message}"
            assert expected in error.reason, message
            if expected == "control character":
                found = CONTROL_CHARACTER.search(generated.text)
                assert error.line == physical_line(generated.text, found.start()), message
                assert control_name(found.group()) in error.reason, message
            else:
                assert error.line is not None, message  # the header's line
        return None
    report = loaded.report
    assert report.rows_read == report.rows_out == len(loaded.frame) == len(loaded.raw)
    assert loaded.frame["line"].is_unique and loaded.frame["line"].is_monotonic_increasing
    if generated is not None:
        if generated.well_formed:
            assert expected_error(generated) is None, f"{expected_error(generated)} not reported"
            kept = [row for row in generated.rows if "".join(row).strip()]
            assert len(loaded.frame) == len(kept)
            if generated.encoding != "cp1252":  # a guessed 8-bit encoding may read accents otherwise
                width = len(generated.header)
                for row, (_, raw) in zip(kept, loaded.raw.iterrows(), strict=True):
                    assert list(raw) == (row + [""] * width)[:width]
        else:
            # Every non-blank physical line is in some row: nothing silently dropped.
            assert loaded.frame["line"].max() <= report.physical_lines if len(loaded.frame) else True
    return loaded


def read_back(path: Path, delimiter: str) -> list[list[str]]:
    text = path.read_bytes().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def check_scoring(model, path: Path, loaded, chunk_sizes: list[int], scratch: Path) -> None:
    """The written output reads back as scored (formulas neutralised), and chunked scoring writes the
    bytes whole-file scoring writes, for every chunk size."""
    from datajobs.model.profile_model import probability_columns
    from datajobs.ops.scoring import predict_file, score_file, scored_output

    output = scored_output(model, loaded)
    whole = scratch / "whole.csv"
    predicted = predict_file(model, path, whole)
    assert len(predicted) == len(loaded.frame)  # rows in = rows out
    rows = read_back(whole, loaded.delimiter)
    assert rows[0] == list(output.columns)
    assert len(rows) - 1 == len(output)
    probability = set(probability_columns(model.classes))
    for written, (_, scored) in zip(rows[1:], output.iterrows(), strict=True):
        assert len(written) == len(output.columns)
        for name, text, value in zip(output.columns, written, scored, strict=True):
            if name in probability and value == value:
                assert float(text) == round(float(value), 4)
            elif name in probability:  # an unscored row (a required value missing)
                assert text == "", (name, text)
            else:
                assert text == ("" if value is None or value != value else str(value)), name
            assert not is_formula(text), (name, text)
    expected = whole.read_bytes()
    for chunk_bytes in chunk_sizes:
        target = scratch / f"chunked-{chunk_bytes}.csv"
        summary = score_file(model, path, target, chunk_bytes=chunk_bytes)
        assert summary.rows == len(loaded.frame)
        assert target.read_bytes() == expected, f"chunk_bytes={chunk_bytes}"


def check_generated(model, generated: Generated, chunk_sizes: list[int]) -> None:
    with tempfile.TemporaryDirectory(prefix="datajobs-fuzz-") as scratch:
        path = Path(scratch) / "profiles.csv"
        path.write_bytes(generated.content)
        loaded = check_load(path, generated)
        if loaded is not None and model is not None:
            check_scoring(model, path, loaded, chunk_sizes, Path(scratch))


def check_bytes(content: bytes) -> None:
    with tempfile.TemporaryDirectory(prefix="datajobs-fuzz-") as scratch:
        path = Path(scratch) / "profiles.csv"
        path.write_bytes(content)
        check_load(path)


CHUNK_SIZES = st.lists(st.integers(1, 4000), min_size=1, max_size=3)


# ---------------------------------------------------------------------------------------------
# The tests
# ---------------------------------------------------------------------------------------------
@FUZZ
@given(generated=csv_files())
def test_generated_files_load_or_name_the_problem(generated):
    check_generated(None, generated, [])


@FUZZ
@given(content=random_bytes())
def test_random_bytes_raise_only_data_file_error(content):
    check_bytes(content)


@FUZZ
@given(generated=csv_files(controls=False), chunk_sizes=CHUNK_SIZES)
def test_scoring_round_trips_and_chunks_agree(fast_model, generated, chunk_sizes):
    check_generated(fast_model, generated, chunk_sizes)


# ---------------------------------------------------------------------------------------------
# The corpus: every failing example found so far, with its expected outcome
# ---------------------------------------------------------------------------------------------
CORPUS_FILES = sorted(path for path in CORPUS.glob("*") if path.is_file() and path.suffix not in {".json", ".md"})


@pytest.mark.parametrize("path", CORPUS_FILES, ids=[path.name for path in CORPUS_FILES])
def test_corpus_file(fast_model, path, tmp_path):
    """A kept example: the error message expected (the file's name as ``{path}``), or the rows expected
    and whole-file and chunked scoring agreeing."""
    expected = json.loads(path.with_name(path.name + ".json").read_text(encoding="utf-8"))
    copy = tmp_path / path.name
    copy.write_bytes(path.read_bytes())
    if "error" in expected:
        with pytest.raises(DataFileError) as caught:
            load_profiles(copy)
        assert str(caught.value) == expected["error"].replace("{path}", str(copy))
        return
    loaded = check_load(copy)
    assert len(loaded.frame) == expected["rows"]
    assert list(loaded.frame["line"]) == expected.get("lines", list(loaded.frame["line"]))
    check_scoring(fast_model, copy, loaded, expected.get("chunk_sizes", [1, 64, 1000]), tmp_path)


# ---------------------------------------------------------------------------------------------
# The commands: `datajobs validate` and `datajobs predict` answer any file with a result or one line
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fast_model_dir(fast_model, tmp_path_factory):
    return fast_model.save(tmp_path_factory.mktemp("fuzz-model") / "model")


def check_commands(model_dir: Path, content: bytes) -> None:
    """Run both commands in-process on ``content``: exit 0 with every row written, or exit 2 with one
    line naming the file; never a traceback."""
    import contextlib

    from datajobs.cli.main import main

    with tempfile.TemporaryDirectory(prefix="datajobs-fuzz-") as scratch:
        path, output = Path(scratch) / "batch.csv", Path(scratch) / "scored.csv"
        path.write_bytes(content)
        for command in (["validate", str(path)], ["predict", "--model", str(model_dir), str(path), "-o", str(output)]):
            stdout, stderr = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
                status = main(command)
            errors = [line for line in stderr.getvalue().splitlines() if line.startswith(f"datajobs {command[0]}: error:")]
            if status == 2:
                assert len(errors) == 1 and errors[0].startswith(f"datajobs {command[0]}: error: {path}"), stderr.getvalue()
                assert "Traceback" not in stderr.getvalue()
            else:
                assert status == 0 and not errors, (status, stderr.getvalue())
        if output.exists():  # rows in = rows out: every loaded row is written
            loaded = load_profiles(path)
            assert len(read_back(output, loaded.delimiter)) - 1 == len(loaded.frame)


@FUZZ
@given(generated=csv_files(), content=random_bytes(), which=st.booleans())
def test_commands_answer_any_file_in_one_line(fast_model_dir, generated, content, which):
    check_commands(fast_model_dir, generated.content if which else content)
