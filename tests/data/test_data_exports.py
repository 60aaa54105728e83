"""Analysts' own exports: Excel's encodings and formats, stray quotes, one line numbering."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from datajobs.cli.main import main
from datajobs.data import DataFileError, load_profiles

HEADER = "Entreprise;Metier;Technologies;Diplome;Experience;Ville"
# Companies a French export holds, with the accents cp1252 encodes in one byte each.
ACCENTED = ["Société Générale", "Crédit Agricole", "Orange Cyberdéfense", "L'Oréal"]
COMPARED = ["company", "profile", "technologies", "diploma", "experience", "city"]


@pytest.fixture(scope="module")
def french_sample(sample_path) -> pd.DataFrame:
    """The first 300 rows of the synthetic sample, some companies with accents, as raw cells."""
    raw = pd.read_csv(sample_path, sep=";", dtype=str, keep_default_na=False, nrows=300)
    raw.loc[::7, "Entreprise"] = [ACCENTED[index % len(ACCENTED)] for index in range(len(raw.loc[::7]))]
    return raw


@pytest.fixture(scope="module")
def reference(french_sample, tmp_path_factory) -> pd.DataFrame:
    """The same rows loaded from a plain UTF-8 file: what every other export must give."""
    path = tmp_path_factory.mktemp("utf8") / "profiles.csv"
    french_sample.to_csv(path, sep=";", index=False, encoding="utf-8")
    return load_profiles(path).frame


def _same_profiles(loaded: pd.DataFrame, reference: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(loaded[COMPARED].reset_index(drop=True), reference[COMPARED].reset_index(drop=True))


def test_cp1252_semicolon_export_is_detected_and_named(french_sample, reference, tmp_path):
    # French Excel's "CSV (séparateur: point-virgule)": cp1252, CRLF.
    path = tmp_path / "export.csv"
    french_sample.to_csv(path, sep=";", index=False, encoding="cp1252", lineterminator="\r\n")
    loaded = load_profiles(path)
    _same_profiles(loaded.frame, reference)
    assert "Société Générale" in set(loaded.frame["company"])
    assert loaded.report.encoding.startswith("Windows-1252")
    assert "Windows-1252" in loaded.report.to_text()


def test_latin1_file_with_few_accents_reads_as_western(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes(f"{HEADER}\nCrédit Agricole;Data engineer;Python/SQL;Master;2;Lyon\n".encode("latin-1"))
    loaded = load_profiles(path)
    assert loaded.frame["company"].iloc[0] == "Crédit Agricole"


def test_utf16_unicode_text_export_with_tabs(french_sample, reference, tmp_path):
    # Excel's "Texte Unicode": UTF-16 LE with BOM, tab-separated, CRLF.
    path = tmp_path / "export.txt"
    path.write_bytes(french_sample.to_csv(sep="\t", index=False, lineterminator="\r\n").encode("utf-16"))
    loaded = load_profiles(path)
    _same_profiles(loaded.frame, reference)
    assert loaded.report.encoding == "UTF-16 with BOM" and loaded.report.delimiter == "\t"


def test_excel_sep_line_is_read_and_lines_keep_editor_numbers(tmp_path):
    path = tmp_path / "sep.csv"
    path.write_text(f"sep=;\n{HEADER}\nA;Data scientist;Python;Master;1;Paris\nB;Data engineer;Spark;Master;x;Lyon\n")
    loaded = load_profiles(path)
    assert len(loaded.frame) == 2 and loaded.report.delimiter == ";"
    assert list(loaded.frame["line"]) == [3, 4]
    assert [warning.line for warning in loaded.report.warnings] == [4]


def test_xlsx_first_sheet_and_named_sheet(french_sample, reference, tmp_path):
    path = tmp_path / "export.xlsx"
    typed = french_sample.copy()
    typed["Experience"] = pd.to_numeric(typed["Experience"].str.replace(",", "."), errors="coerce")
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        typed.to_excel(writer, sheet_name="Profils", index=False)
        pd.DataFrame({"note": ["not the data"]}).to_excel(writer, sheet_name="Notes", index=False)
    loaded = load_profiles(path)
    _same_profiles(loaded.frame, reference)
    assert loaded.report.encoding == "Excel workbook, sheet 'Profils'"
    assert list(loaded.frame["line"][:2]) == [2, 3]  # Excel's row numbers
    assert load_profiles(path, sheet="1").report.rows_out == len(french_sample)
    with pytest.raises(DataFileError, match="no sheet 'Feuil3'.*'Profils', 'Notes'"):
        load_profiles(path, sheet="Feuil3")
    with pytest.raises(DataFileError, match="required column"):
        load_profiles(path, sheet="Notes")


def test_xlsx_through_validate_with_sheet_option(french_sample, tmp_path, capsys):
    path = tmp_path / "export.xlsx"
    french_sample.to_excel(path, sheet_name="Feuil1", index=False, engine="openpyxl")
    assert main(["validate", str(path), "--sheet", "Feuil1", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["rows_out"] == len(french_sample) and report["rows_lost"] == 0


@pytest.mark.parametrize(("content", "says"), [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "Excel 97-2003 workbook"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + bytes(50), "a PDF document"),
    (b"PK\x03\x04\x14\x00\x00\x00mimetypeapplication/vnd.oasis.opendocument.spreadsheet" + bytes(40),
     "OpenDocument spreadsheet"),
    (b"PK\x03\x04\x14\x00\x00\x00random/file.bin" + bytes(40), "a ZIP archive"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(40), "a PNG image"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(40), "a JPEG image"),
    (bytes(range(1, 32)) * 8, "binary content"),
    (b"PK\x03\x04\x14\x00\x00\x00[Content_Types].xmlxl/workbook.xml" + bytes(40), "an Excel workbook that cannot be read"),
])
def test_unreadable_files_say_what_they_are_and_what_to_do(content, says, tmp_path, capsys):
    path = tmp_path / "profiles.csv"
    path.write_bytes(content)
    assert main(["validate", str(path)]) == 2
    error = capsys.readouterr().err
    assert says in error and "NUL" not in error and len(error.strip().splitlines()) == 1
    assert "save it as" in error or "decompress" in error or "extract" in error or "export" in error


def test_a_file_mixing_utf8_and_cp1252_is_named_not_garbled(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes(f"{HEADER}\n".encode() + "Société;Data scientist;Python;Master;1;Paris\n".encode()
                     + "Crédit;Data engineer;Spark;Master;2;Lyon\n".encode("cp1252"))
    with pytest.raises(DataFileError, match=r"line 3: mixes UTF-8 \(e.g. line 2\) with another encoding"):
        load_profiles(path)


def test_utf16_without_bom_is_read(tmp_path):
    path = tmp_path / "nobom.txt"
    path.write_bytes(f"{HEADER}\nA;Data scientist;Python;Master;1;Paris\n".replace(";", "\t").encode("utf-16-le"))
    loaded = load_profiles(path)
    assert loaded.report.encoding == "UTF-16 LE without BOM" and loaded.frame["city"].iloc[0] == "Paris"


# --- stray quotes -----------------------------------------------------------------------------
def test_stray_quote_no_longer_swallows_rows(tmp_path):
    rows = [f"C{index};Data scientist;Python/SQL;Master;{index};Paris" for index in range(8)]
    rows[2] = 'C2;Data scientist;"Python/SQL;Master;2;Paris'  # a quote opens a cell and never closes
    path = tmp_path / "stray.csv"
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    loaded = load_profiles(path)
    assert loaded.report.rows_read == loaded.report.rows_out == 8
    assert list(loaded.frame["company"]) == [f"C{index}" for index in range(8)]
    assert loaded.frame["technologies"].iloc[2] == "Python/SQL"
    stray = [warning for warning in loaded.report.warnings if "unmatched quote" in warning.message]
    assert [warning.line for warning in stray] == [4]  # header is line 1, so rows[2] is line 4
    assert "lines 4-9" in stray[0].message
    assert "line 4, column '*': unmatched quote" in loaded.report.to_text()


def test_stray_quote_closed_later_is_reported_on_both_lines(tmp_path):
    lines = [HEADER, 'A;Data scientist;"Python;Master;1;Paris', "B;Data engineer;Spark;Master;2;Lyon",
             'C;Data engineer;Hadoop";Master;3;Nantes', "D;Data architecte;Java;PhD;9;Lille"]
    path = tmp_path / "stray2.csv"
    path.write_text("\n".join(lines) + "\n")
    loaded = load_profiles(path)
    assert list(loaded.frame["company"]) == ["A", "B", "C", "D"]
    assert list(loaded.frame["technologies"]) == ["Python", "Spark", "Hadoop", "Java"]
    assert sorted(warning.line for warning in loaded.report.warnings if "unmatched quote" in warning.message) == [2, 4]


def test_legitimate_multiline_cell_is_still_one_row(tmp_path):
    path = tmp_path / "multiline.csv"
    path.write_text(f'{HEADER}\nA;Data scientist;"Python\nSQL";Master;1;Paris\nB;Data engineer;Spark;Master;2;Lyon\n')
    loaded = load_profiles(path)
    assert list(loaded.frame["technologies"]) == ["Python/SQL", "Spark"]
    assert list(loaded.frame["line"]) == [2, 4]
    assert not [warning for warning in loaded.report.warnings if "quote" in warning.message]


def test_errors_and_warnings_use_editor_lines(tmp_path, capsys):
    path = tmp_path / "blank.csv"
    path.write_text(f"{HEADER}\n\nA;Data scientist;Python;Master;abc;Paris\n")
    loaded = load_profiles(path)
    assert loaded.report.warnings[0].line == 3 and list(loaded.frame["line"]) == [3]
    bad_header = tmp_path / "header.csv"
    bad_header.write_text("\n\nEntreprise;Metier;Diplome;Experience;Ville\nA;B;C;1;D\n")
    with pytest.raises(DataFileError, match=r"line 3, column 'Technologies'"):
        load_profiles(bad_header)


@pytest.mark.real_data
def test_real_file_as_excel_would_export_it(real_path, tmp_path):
    # The same profiles, saved as French Excel would: cp1252 with ';', UTF-16 text with tabs, .xlsx.
    raw = pd.read_csv(real_path, sep=";", dtype=str, keep_default_na=False)
    reference = load_profiles(real_path).frame
    cp1252 = tmp_path / "real_cp1252.csv"
    raw.to_csv(cp1252, sep=";", index=False, encoding="cp1252", lineterminator="\r\n", errors="strict")
    utf16 = tmp_path / "real_utf16.txt"
    utf16.write_bytes(raw.to_csv(sep="\t", index=False, lineterminator="\r\n").encode("utf-16"))
    workbook = tmp_path / "real.xlsx"
    raw.to_excel(workbook, index=False, engine="openpyxl")
    for path in (cp1252, utf16, workbook):
        loaded = load_profiles(path)
        assert loaded.report.rows_lost == 0, path
        _same_profiles(loaded.frame, reference)
