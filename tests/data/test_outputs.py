"""Outputs users open: write failures in one line, never half-written, formulas neutralised,
damaged models named, a failed book leaves the previous one whole."""

from __future__ import annotations

import errno
import json
import subprocess
import sys

import pandas as pd
import pytest

from datajobs import config
from datajobs.cli.main import main
from datajobs.data.writing import is_formula, neutralise_formulas
from datajobs.publishing import run as book
from datajobs.publishing.errors import BookError

BATCH = ("Entreprise;Technologies;Diplome;Experience;Ville\n"
         "=HYPERLINK(\"http://evil\");Python/SQL;Master;3;Paris\n"
         "Acme;+Python;Master;-2;Lyon\n"
         "@SUM(A1);Spark;PhD;-1;Lille\n"
         "Plain;Java;Bachelor;1;Nantes\n")


@pytest.fixture(scope="module")
def model_dir(fast_model, tmp_path_factory):
    return fast_model.save(tmp_path_factory.mktemp("model") / "model")


def one_line_error(capsys) -> str:
    error = capsys.readouterr().err.strip()
    assert "Traceback" not in error and len(error.splitlines()) == 1, error
    return error


@pytest.mark.parametrize(("value", "formula"), [
    ("=1+1", True), ("+33 6 12", True), ("-cmd", True), ("@SUM(A1)", True), ("\tx", True), ("\rx", True),
    ("-2", False), ("+3.5", False), ("-0,5", False), ("1e3", False), ("Python", False), ("", False), (None, False),
])
def test_formula_rule(value, formula):
    assert is_formula(value) is formula


def test_predict_neutralises_formulas_with_a_warning_and_raw_keeps_them(model_dir, write_csv, tmp_path):
    source = write_csv(BATCH)
    safe_path, raw_path = tmp_path / "safe.csv", tmp_path / "raw.csv"
    assert main(["predict", "--model", str(model_dir), str(source), "-o", str(safe_path)]) == 0
    safe = pd.read_csv(safe_path, sep=";", dtype=str, keep_default_na=False)
    assert safe["Entreprise"][0].startswith("'=HYPERLINK") and safe["Entreprise"][2] == "'@SUM(A1)"
    assert safe["Technologies"][1] == "'+Python"
    assert list(safe["Experience"]) == ["3", "-2", "-1", "1"]  # signed numbers are not formulas
    assert "Entreprise: cell starting like a spreadsheet formula" in safe["warnings"][0]
    assert "formula" not in safe["warnings"][3]
    assert main(["predict", "--model", str(model_dir), str(source), "-o", str(raw_path), "--raw"]) == 0
    raw = pd.read_csv(raw_path, sep=";", dtype=str, keep_default_na=False)
    assert raw["Entreprise"][0].startswith("=HYPERLINK") and raw["Technologies"][1] == "+Python"


def test_predict_writes_an_excel_workbook_for_an_xlsx_name(model_dir, write_csv, tmp_path):
    target = tmp_path / "predicted.xlsx"
    assert main(["predict", "--model", str(model_dir), str(write_csv(BATCH)), "-o", str(target)]) == 0
    import openpyxl

    sheet = openpyxl.load_workbook(target).active
    assert sheet["A2"].data_type == "s" and sheet["A2"].value.startswith("'=HYPERLINK")
    assert len(pd.read_excel(target)) == 4


@pytest.mark.parametrize("case", ["missing folder", "a folder"])
def test_predict_write_failures_end_in_one_line(case, model_dir, write_csv, tmp_path, capsys):
    target = tmp_path / "no-such-folder" / "out.csv" if case == "missing folder" else tmp_path
    assert main(["predict", "--model", str(model_dir), str(write_csv(BATCH)), "-o", str(target)]) == 2
    error = one_line_error(capsys)
    assert str(target) in error
    assert ("does not exist" if case == "missing folder" else "is a folder") in error


def test_output_locked_by_excel_keeps_the_previous_file(model_dir, write_csv, tmp_path, capsys, monkeypatch):
    target = tmp_path / "out.csv"
    target.write_text("previous results\n")

    def locked(source, destination):  # what Windows does while Excel holds the file open
        raise PermissionError(errno.EACCES, "Permission denied", str(destination))

    monkeypatch.setattr("datajobs.data.writing.os.replace", locked)
    assert main(["predict", "--model", str(model_dir), str(write_csv(BATCH)), "-o", str(target)]) == 2
    assert "open in Excel" in one_line_error(capsys)
    assert target.read_text() == "previous results\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out.csv", "profiles.csv"]  # no partial file


def test_a_write_that_fails_half_way_leaves_no_half_file(model_dir, write_csv, tmp_path, capsys, monkeypatch):
    target = tmp_path / "out.csv"
    target.write_text("previous results\n")
    original = pd.DataFrame.to_csv

    def disk_full(self, path=None, *args, **kwargs):
        if path is not None:  # a file written in one go: its first row lands, then the disk is full
            original(self.head(1), path, *args, **kwargs)
        raise OSError(errno.ENOSPC, "No space left on device")  # or a streamed piece that cannot be written

    def streamed_piece_disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", disk_full)
    monkeypatch.setattr("datajobs.ops.scoring.written_csv", streamed_piece_disk_full)
    assert main(["predict", "--model", str(model_dir), str(write_csv(BATCH)), "-o", str(target)]) == 2
    assert "disk is full" in one_line_error(capsys)
    assert target.read_text() == "previous results\n"
    assert not list(tmp_path.glob(".out.csv*"))


def test_damaged_model_directory_is_named_in_one_line(model_dir, write_csv, tmp_path, capsys):
    import shutil

    truncated = tmp_path / "truncated"
    shutil.copytree(model_dir, truncated)
    data = (truncated / "model.cbm").read_bytes()
    (truncated / "model.cbm").write_bytes(data[: len(data) // 3])
    assert main(["predict", "--model", str(truncated), str(write_csv(BATCH))]) == 2
    error = one_line_error(capsys)
    assert str(truncated / "model.cbm") in error and "damaged or truncated" in error

    incomplete = tmp_path / "incomplete"
    shutil.copytree(model_dir, incomplete)
    metadata = json.loads((incomplete / "metadata.json").read_text())
    del metadata["decision_rule"]
    (incomplete / "metadata.json").write_text(json.dumps(metadata))
    assert main(["predict", "--model", str(incomplete), str(write_csv(BATCH))]) == 2
    assert "incomplete model metadata" in one_line_error(capsys)


def test_model_save_is_all_or_nothing(fast_model, model_dir, tmp_path, monkeypatch):
    import shutil

    from datajobs.model.profile_model import ProfileModel

    target = tmp_path / "model"
    shutil.copytree(model_dir, target)
    before = (target / "model.cbm").read_bytes()

    def fail_half_way(self, directory):
        (directory / "model.cbm").write_bytes(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ProfileModel, "_write", fail_half_way)
    with pytest.raises(Exception, match="disk is full"):
        fast_model.save(target)
    assert (target / "model.cbm").read_bytes() == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["model"]


def test_failed_book_leaves_the_previous_outputs_and_html(tmp_path, sample_path, monkeypatch):
    outputs, build_parent = tmp_path / "outputs", tmp_path / "site"
    (outputs / "model").mkdir(parents=True)
    (outputs / "model" / "model.cbm").write_text("previous model")
    (build_parent / "_build" / "html").mkdir(parents=True)
    (build_parent / "_build" / "html" / "index.html").write_text("previous book")

    def failing_run(data_path, profile, seed, outputs_dir, force, log, loaded=None):
        (outputs_dir / "model" / "model.cbm").write_text("half-trained model")
        (build_parent / "_build" / "html" / "index.html").write_text("half-built book")
        raise BookError(f"notebook 04_catboost_selection.ipynb failed (executed copy: {outputs_dir}/notebooks/x)")

    monkeypatch.setattr(book, "execute_notebooks", failing_run)
    monkeypatch.setattr(config, "PROJECT_ROOT", tmp_path)  # outputs must be inside the project folder
    with pytest.raises(BookError, match=r"outputs\.failed/notebooks/x"):
        book.run_book(sample_path, "quick", outputs_dir=outputs, build_parent=build_parent, log=lambda _: None)
    assert (outputs / "model" / "model.cbm").read_text() == "previous model"
    assert (build_parent / "_build" / "html" / "index.html").read_text() == "previous book"
    assert (tmp_path / "outputs.failed" / "model" / "model.cbm").read_text() == "half-trained model"
    assert (build_parent / "_build.failed" / "html" / "index.html").read_text() == "half-built book"
    assert not list(tmp_path.glob(".*.previous")) and not list(build_parent.glob(".*.previous"))


def test_validate_json_into_head_ends_quietly(sample_path):
    result = subprocess.run(f"'{sys.executable}' -m datajobs.cli validate '{sample_path}' --json | head -n 2",
                            shell=True, capture_output=True, text=True)
    assert result.stdout.startswith("{") and result.stderr == ""


def test_neutralise_reports_changed_columns():
    frame = pd.DataFrame({"a": ["=1", "x"], "b": ["ok", "@y"], "n": [1.0, -2.0]})
    safe, changed = neutralise_formulas(frame)
    assert list(safe["a"]) == ["'=1", "x"] and list(safe["b"]) == ["ok", "'@y"] and changed == [["a"], ["b"]]


def test_predict_on_a_cp1252_export_writes_utf8_that_excel_reads(model_dir, tmp_path):
    source = tmp_path / "export.csv"
    source.write_bytes("Entreprise;Technologies;Diplome;Experience;Ville\r\nSociété Générale;Python;Master;2;Paris\r\n"
                       .encode("cp1252"))
    target = tmp_path / "scored.csv"
    assert main(["predict", "--model", str(model_dir), str(source), "-o", str(target)]) == 0
    content = target.read_bytes()
    assert content.startswith(b"\xef\xbb\xbf") and "Société Générale".encode() in content
