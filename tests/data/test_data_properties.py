"""Property-based tests: the loader never fails with anything but its own error, never loses a row."""

from __future__ import annotations

import csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datajobs.data import DataFileError, load_profiles

HEADER = ["Entreprise", "Metier", "Technologies", "Diplome", "Experience", "Ville"]
# Control characters other than tab and line breaks are refused with their line (see test_fuzz.py).
CONTROLS = "".join(chr(code) for code in [*range(0, 9), 11, 12, *range(14, 32), 127])
cell = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters=CONTROLS), max_size=12)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_data_file_error(tmp_path, content):
    path = tmp_path / "arbitrary.csv"
    path.write_bytes(content)
    try:
        load_profiles(path)
    except DataFileError:
        pass


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=300))
def test_arbitrary_text_raises_only_data_file_error(tmp_path, text):
    path = tmp_path / "arbitrary.csv"
    path.write_bytes(("Technologies;Diplome;Experience;Ville\n" + text).encode("utf-8", "surrogatepass"))
    try:
        load_profiles(path)
    except DataFileError:
        pass


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(cell, min_size=1, max_size=8), min_size=1, max_size=25),
       delimiter=st.sampled_from([";", ","]))
def test_row_count_in_equals_row_count_out(tmp_path, rows, delimiter):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    path = tmp_path / "rows.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    loaded = load_profiles(path)
    non_blank = [row for row in rows if any(value.strip() for value in row)]
    assert len(loaded.frame) == len(non_blank) == loaded.report.rows_read
    assert loaded.report.rows_lost == 0
