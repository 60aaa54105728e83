"""Scoring at speed: the per-distinct-value encodings give what the row-by-row code gave, and a file
scored chunk by chunk is written byte for byte as when it is scored whole."""

from __future__ import annotations

import csv
import io
import random
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from datajobs.data import DataFileError, load_profiles
from datajobs.data.chunks import split_records
from datajobs.data.synth import generate_profiles
from datajobs.model.columns import MISSING, catboost_frame, diploma_rank, split_technology_column
from datajobs.ops.scoring import predict_file, score_file

HEADER = ["Entreprise", "Metier", "Technologies", "Diplome", "Experience", "Ville"]


def messy_batch_text(rows: int, seed: int = 5) -> str:
    """Synthetic profiles with what users' files hold: unknown technologies and cities, short and
    long rows, odd experience, empty rows, quoted delimiters and quoted line breaks, blank lines."""
    frame = generate_profiles(rows, seed=seed)[HEADER].astype(str)
    generator = random.Random(seed)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    for record in frame.itertuples(index=False):
        cells = list(record)
        roll = generator.random()
        if roll < 0.03:
            cells[2] += "/Quantum Basket"
        elif roll < 0.06:
            cells[5] = "Trifouilly-les-Oies"
        elif roll < 0.07:
            cells = cells[:4]
        elif roll < 0.08:
            cells = [*cells, "extra"]
        elif roll < 0.10:
            cells[4] = generator.choice(["6 months", "deux ans", "75", "", "no experience", "3,5"])
        elif roll < 0.11:
            cells[2:6] = ["", "", "", ""]
        elif roll < 0.12:
            cells[2] = cells[2].replace("/", "\n/", 1)
        elif roll < 0.13:
            cells[0] = 'Cabinet "Alpha"; Conseil'
        elif roll < 0.14:
            writer.writerow([""] * 6)
        writer.writerow(cells)
    return buffer.getvalue()


# The row-by-row implementations the per-distinct-value code replaced: the reference it must match.
def reference_catboost_frame(X: pd.DataFrame, vocabulary: list[str], include_company: bool = True) -> pd.DataFrame:
    technology_lists = split_technology_column(X["technologies"])
    index = {name: position for position, name in enumerate(vocabulary)}
    multi_hot = np.zeros((len(X), len(vocabulary)), dtype=np.int8)
    for row, items in enumerate(technology_lists):
        for item in items:
            if item in index:
                multi_hot[row, index[item]] = 1
    years = pd.to_numeric(X["experience"], errors="coerce").astype("float64").to_numpy()
    ranks = {"No diploma": 0.0, "Bachelor": 1.0, "Master": 2.0, "PhD": 3.0}
    columns = {
        "experience_years": years,
        "experience_value": np.array([MISSING if np.isnan(value) else f"{value:g}" for value in years], dtype=object),
        "experience_missing": np.isnan(years).astype(np.int8),
        "diploma_rank": np.array([ranks.get(value, np.nan) if isinstance(value, str) else np.nan
                                  for value in X["diploma"]], dtype="float64"),
        "city": X["city"].astype(object).where(X["city"].notna(), MISSING).to_numpy(dtype=object),
    }
    if include_company:
        columns["company"] = X["company"].astype(object).where(X["company"].notna(), MISSING).to_numpy(dtype=object)
    columns["n_technologies"] = multi_hot.sum(axis=1)
    return pd.concat([pd.DataFrame(columns),
                      pd.DataFrame(multi_hot, columns=[f"tech_{name}" for name in vocabulary])], axis=1)


def reference_row_warnings(model, frame: pd.DataFrame) -> list[list[str]]:
    vocabulary, cities, notes = set(model.technology_vocabulary), set(model.known_cities), []
    for items, city in zip(split_technology_column(frame["technologies"]), frame["city"], strict=True):
        row = []
        unknown = [item for item in items if item not in vocabulary]
        if unknown:
            row.append("Technologies: unknown technolog" + ("ies " if len(unknown) > 1 else "y ")
                       + ", ".join(repr(item) for item in unknown) + " ignored (not seen in training)")
        if isinstance(city, str) and cities and city not in cities:
            row.append(f"Ville: unknown city {city!r} (not seen in training)")
        notes.append(row)
    return notes


@pytest.fixture(scope="module")
def messy_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("messy") / "batch.csv"
    path.write_text(messy_batch_text(4000), encoding="utf-8", newline="")
    return path


@pytest.fixture(scope="module")
def messy_frame(messy_path):
    return load_profiles(messy_path).frame


@pytest.mark.parametrize("include_company", [True, False])
def test_catboost_frame_matches_the_row_by_row_encoding(messy_frame, fast_model, include_company):
    vocabulary = fast_model.technology_vocabulary
    expected = reference_catboost_frame(messy_frame, vocabulary, include_company)
    pd.testing.assert_frame_equal(catboost_frame(messy_frame, vocabulary, include_company), expected)
    # A slice with a non-default index, and an empty frame, come out the same way.
    part = messy_frame.iloc[1000:1500]
    pd.testing.assert_frame_equal(catboost_frame(part, vocabulary), reference_catboost_frame(part, vocabulary))
    assert catboost_frame(messy_frame.iloc[:0], vocabulary, include_company).shape == (0, expected.shape[1])


def test_diploma_rank_keeps_index_and_marks_unknown_missing():
    values = pd.Series(["Master", None, "PhD", "Doctorat ès lettres", "Master"], index=[5, 6, 7, 8, 9], dtype="string")
    ranks = diploma_rank(values)
    assert list(ranks.index) == [5, 6, 7, 8, 9]
    assert ranks.tolist()[0] == 2.0 and ranks.tolist()[2] == 3.0 and ranks.isna().tolist() == [False, True, False, True, False]


def test_row_warnings_match_the_row_by_row_notes(messy_frame, fast_model):
    notes = fast_model.row_warnings(messy_frame)
    assert notes == reference_row_warnings(fast_model, messy_frame)
    assert sum(bool(row) for row in notes) > 100  # the batch does hold unseen technologies and cities


@pytest.mark.parametrize("chunk_bytes", [20_000, 77_777])
def test_scoring_in_chunks_writes_the_whole_file_bytes(messy_path, fast_model, tmp_path, chunk_bytes):
    whole = tmp_path / "whole.csv"
    output = predict_file(fast_model, messy_path, whole)
    chunked = tmp_path / "chunked.csv"
    summary = score_file(fast_model, messy_path, chunked, chunk_bytes=chunk_bytes)
    assert chunked.read_bytes() == whole.read_bytes()
    assert summary.rows == len(output) == len(load_profiles(messy_path).frame)
    assert summary.flagged == int((output["warnings"] != "").sum()) > 0
    assert summary.unscored == int((output["predicted_metier"] == "").sum()) > 0


def test_scoring_to_a_stream_prints_the_predictions_of_every_row(messy_path, fast_model):
    stream = io.StringIO()
    summary = score_file(fast_model, messy_path, chunk_bytes=30_000, stream=stream)
    printed = pd.read_csv(io.StringIO(stream.getvalue()), keep_default_na=False)
    assert len(printed) == summary.rows
    assert list(printed.columns[:1]) == ["predicted_metier"] and printed.columns[-1] == "warnings"


def test_split_records_never_cuts_inside_quotes_and_counts_lines(messy_path):
    content = messy_path.read_bytes()
    pieces = list(split_records(messy_path, chunk_bytes=10_000))
    header = pieces[0][0]
    assert header == content[:content.index(b"\n") + 1]
    assert header + b"".join(body for _, body, _ in pieces) == content
    consumed = len(header)
    for _, body, lines_before in pieces:
        assert body.count(b'"') % 2 == 0
        assert content[:consumed].count(b"\n") == lines_before
        consumed += len(body)


def test_binary_content_late_in_a_large_file_names_the_file(fast_model, tmp_path):
    text = messy_batch_text(1500, seed=9)
    lines = text.split("\r\n")
    bad_line = 1200  # 1-based line number in the file
    content = "\r\n".join(lines[:bad_line - 1]).encode() + b"\r\nACME;;Python\x00;Master;3;Paris\r\n" \
        + "\r\n".join(lines[bad_line - 1:]).encode()
    path = tmp_path / "late_error.csv"
    path.write_bytes(content)
    with pytest.raises(DataFileError) as whole_error:
        load_profiles(path)
    with pytest.raises(DataFileError) as chunk_error:
        score_file(fast_model, path, tmp_path / "out.csv", chunk_bytes=8_000)
    assert chunk_error.value.path == str(path)
    assert str(chunk_error.value) == str(whole_error.value)


def test_cli_predict_streams_a_large_file_in_input_order(fast_model, tmp_path):
    model_dir = fast_model.save(tmp_path / "model")
    source = tmp_path / "batch.csv"
    source.write_text(messy_batch_text(3000, seed=11), encoding="utf-8", newline="")
    whole = predict_file(fast_model, source)
    target = tmp_path / "scored.csv"
    result = subprocess.run([sys.executable, "-m", "datajobs.cli", "predict", "--model", str(model_dir), str(source),
                             "-o", str(target)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    scored = pd.read_csv(target, sep=";", dtype=str, keep_default_na=False)
    assert len(scored) == len(whole)
    assert scored["predicted_metier"].tolist() == whole["predicted_metier"].tolist()
    assert scored["warnings"].tolist() == whole["warnings"].tolist()
    assert f"of {len(whole)} rows" in result.stderr


def test_calibration_softmax_is_scipys_to_the_bit():
    from scipy.special import softmax as scipy_softmax

    from datajobs.model.calibration import softmax

    values = np.random.default_rng(0).normal(scale=8.0, size=(500, 4))
    np.testing.assert_array_equal(softmax(values, axis=1), scipy_softmax(values, axis=1))


def test_a_cp1252_file_streams_like_the_whole_file(fast_model, tmp_path):
    # An accent late in a Windows export: pieces must not each guess their own encoding.
    lines = messy_batch_text(1500, seed=5).split("\r\n")
    content = "\r\n".join([*lines[:1200], "Société Générale;;Python;Master;3;Paris", *lines[1200:]])
    path = tmp_path / "windows.csv"
    path.write_bytes(content.encode("cp1252"))
    whole = predict_file(fast_model, path, tmp_path / "whole.csv")
    summary = score_file(fast_model, path, tmp_path / "chunked.csv", chunk_bytes=8_000)
    assert summary.rows == len(whole)
    assert (tmp_path / "chunked.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()
