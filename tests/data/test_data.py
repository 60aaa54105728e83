"""The loader on every quirk of the delivered file and of users' files."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from datajobs.config import DIPLOMA_LEVELS, PROFILE_LABELS
from datajobs.data import DataFileError, load_profiles
from datajobs.data.normalise import normalise_diploma, normalise_experience, normalise_technologies

HEADER = "Entreprise;Metier;Technologies;Diplome;Experience;Ville"


def test_reference_format_crlf_semicolon(write_csv):
    path = write_csv(f"{HEADER}\r\nSanofi;Data scientist;Python/R;Master;1,5;Paris\r\n")
    loaded = load_profiles(path)
    row = loaded.frame.iloc[0]
    assert (row["company"], row["profile"], row["technologies"]) == ("Sanofi", "Data scientist", "Python/R")
    assert row["experience"] == 1.5
    assert loaded.report.line_endings == "CRLF"
    assert loaded.report.delimiter == ";"


def test_bom_lf_comma_and_decimal_point(write_csv):
    text = "Entreprise,Metier,Technologies,Diplome,Experience,Ville\nKPMG,Data engineer,\"Hadoop,Hive\",MSc,2.5,lyon\n"
    loaded = load_profiles(write_csv(b"\xef\xbb\xbf" + text.encode()))
    row = loaded.frame.iloc[0]
    assert loaded.report.encoding == "UTF-8 with BOM"
    assert loaded.report.delimiter == ","
    assert (row["technologies"], row["diploma"], row["experience"], row["city"]) == (
        "Hadoop/Hive", "Master", 2.5, "Lyon")


@pytest.mark.parametrize(("raw", "level"), [
    ("Master", "Master"), ("MSc", "Master"), ("msc", "Master"), ("MASTER", "Master"),
    ("master", "Master"), ("Mastere", "Master"), ("MSc degree", "Master"), ("Phd", "PhD"),
    ("PhD", "PhD"), ("PhD in physics", "PhD"), ("BSc", "Bachelor"), ("bachelor", "Bachelor"),
    ("Bachelor", "Bachelor"), ("NO", "No diploma"), ("No diploma", "No diploma"),
])
def test_diploma_spellings_map_to_four_levels(raw, level):
    assert normalise_diploma(raw).value == level


def test_unknown_diploma_is_kept_and_flagged():
    result = normalise_diploma("Certificat")
    assert result.value == "Certificat" and "unknown diploma" in result.warning


@pytest.mark.parametrize(("raw", "years"), [
    ("1,5", 1.5), ("2.5", 2.5), ("6 months", 0.5), ("18 mois", 1.5), ("no experience", 0.0),
    ("3 years", 3.0), ("0", 0.0), (" 4 ", 4.0),
])
def test_experience_to_float_years(raw, years):
    assert normalise_experience(raw).value == pytest.approx(years)


@pytest.mark.parametrize("raw", ["", "   "])
def test_missing_experience_is_nan_without_warning(raw):
    result = normalise_experience(raw)
    assert math.isnan(result.value) and result.warning is None


@pytest.mark.parametrize(("raw", "message"), [("-3", "outside 0-60"), ("75", "outside 0-60"), ("abc", "not a number")])
def test_bad_experience_is_missing_and_flagged(raw, message):
    result = normalise_experience(raw)
    assert math.isnan(result.value) and message in result.warning


@pytest.mark.parametrize(("raw", "canonical"), [
    ("Python//Big data", "Python/Big data"),
    ("Pyspark/PySpark", "PySpark"),
    ("machine learning/Machine learning", "Machine learning"),
    ("NoSQ/MongoDB", "NoSQL/MongoDB"),
    ("Hadoop(HDFS)/Hive", "Hadoop/HDFS/Hive"),
    ("Anglais/anglais/English", "English"),
    ("Python,\nSpark", "Python/Spark"),
    ("C/C++", "C/C++"),
    (" scikit-learn / tensorflow ", "Scikit-learn/TensorFlow"),
])
def test_technologies_canonical_set(raw, canonical):
    assert normalise_technologies(raw).value == canonical


def test_unknown_technology_kept_and_flagged():
    result = normalise_technologies("Python/Quantum Basket")
    assert result.value == "Python/Quantum Basket"
    assert "'Quantum Basket'" in result.warning


def test_empty_or_absent_metier_and_extra_columns(write_csv):
    with_empty = load_profiles(write_csv(f"{HEADER};Notes\r\n;;Python;Master;1;Paris;hello\r\n"))
    assert with_empty.frame["profile"].isna().all()
    assert with_empty.report.columns_ignored == ["Notes"]
    absent = load_profiles(write_csv("Technologies;Diplome;Experience;Ville\nPython;PhD;3;Nice\n"))
    assert absent.frame["profile"].isna().all() and absent.frame["company"].isna().all()
    assert set(absent.report.columns_absent) == {"Entreprise", "Metier"}


def test_header_case_spaces_and_accents(write_csv):
    path = write_csv(" entreprise ; MÉTIER ;technologies; Diplôme ;EXPERIENCE; ville \nX;data scientist;R;Master;1;PARIS\n")
    row = load_profiles(path).frame.iloc[0]
    assert (row["profile"], row["city"]) == ("Data scientist", "Paris")


def test_cities_and_companies_trimmed_and_cased(write_csv):
    path = write_csv(f"{HEADER}\n  kpmg  ;;R;Master;1;  marseille \n;;R;Master;1;saint-etienne\n")
    loaded = load_profiles(path)
    assert list(loaded.frame["city"]) == ["Marseille", "Saint-Etienne"]
    assert loaded.frame["company"].iloc[0] == "KPMG"
    assert "unknown city 'Saint-Etienne'" in loaded.frame["warnings"].iloc[1]
    assert loaded.frame["warnings"].iloc[0] == ""


def test_short_and_long_rows_are_kept_with_a_warning(write_csv):
    loaded = load_profiles(write_csv(f"{HEADER}\nA;Data engineer;Spark;Master\nB;Data engineer;Spark;PhD;2;Lyon;extra\n"))
    assert len(loaded.frame) == 2
    assert "missing cells left empty" in loaded.frame["warnings"].iloc[0]
    assert "extra cells ignored" in loaded.frame["warnings"].iloc[1]


def test_rows_keep_their_order_and_editor_line(write_csv):
    body = "".join(f"C{i};Data scientist;Python;Master;{i};Paris\n" for i in range(30))
    frame = load_profiles(write_csv(HEADER + "\n" + body)).frame
    assert list(frame["line"]) == list(range(2, 32))  # the header is line 1
    assert list(frame["company"]) == [f"C{i}" for i in range(30)]


def test_typed_frame(write_csv):
    frame = load_profiles(write_csv(f"{HEADER}\nA;Data engineer;Spark;Master;2;Lyon\n")).frame
    assert frame["experience"].dtype == "float64"
    assert pd.api.types.is_string_dtype(frame["city"])


@pytest.mark.parametrize(("content", "message", "column"), [
    (b"", "file is empty", None),
    (b"   \r\n\r\n", "file is empty", None),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a PNG image", None),
    # No known magic number, but mostly control bytes: binary, not a text file with a stray NUL.
    (bytes(range(32)) * 8, "binary content", None),
    (b"Entreprise;Metier;Diplome;Experience;Ville\nA;B;Master;1;Paris\n", "Technologies", "Technologies"),
    (b'{"not": "a csv"}', "required columns", "Technologies"),
    # A UTF-8 BOM promises UTF-8; a Latin-1 byte after it is a damaged file, not a guess to make.
    (b"\xef\xbb\xbf" + "Technologies;Diplome;Experience;Ville\nPython;Master;1;Paris\xe9\n".encode("latin-1"),
     "undecodable byte", None),
])
def test_unusable_files_raise_a_named_error(write_csv, content, message, column):
    path = write_csv(content)
    with pytest.raises(DataFileError) as caught:
        load_profiles(path)
    assert message in str(caught.value)
    assert str(path) in str(caught.value)
    assert caught.value.column == column


def test_missing_file_is_a_named_error(tmp_path):
    with pytest.raises(DataFileError, match="file not found"):
        load_profiles(tmp_path / "nope.csv")


@pytest.mark.real_data
def test_real_file_report(real_path):
    loaded = load_profiles(real_path)
    report = loaded.report
    assert report.rows_read == 7649 and report.rows_out == 7649 and report.rows_lost == 0
    assert report.diploma_levels == list(DIPLOMA_LEVELS)
    assert len(report.diploma_spellings) == 13
    assert set(loaded.frame["profile"]) == set(PROFILE_LABELS)
    assert loaded.frame["experience"].isna().sum() == report.steps["experience missing"]
    assert report.warnings == []
    vocabulary = {item for value in loaded.frame["technologies"] for item in value.split("/") if item}
    assert {"NoSQ", "Pyspark", "Hadoop(HDFS)", "anglais", ""} & vocabulary == set()
