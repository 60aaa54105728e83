"""`datajobs validate` and `datajobs synth` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from datajobs.cli.main import main


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "datajobs.cli", *args], capture_output=True, text=True)


def test_validate_sample_json(sample_path, capsys):
    assert main(["validate", str(sample_path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["rows_read"] == report["rows_out"] == 3000
    assert report["rows_lost"] == 0
    assert report["diploma_levels"] == ["No diploma", "Bachelor", "Master", "PhD"]


def test_validate_missing_technologies_exits_non_zero(write_csv):
    path = write_csv("Entreprise;Metier;Diplome;Experience;Ville\nA;Data scientist;Master;1;Paris\n")
    result = run("validate", str(path))
    assert result.returncode == 2
    assert "Technologies" in result.stderr and str(path) in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_validate_text_report_lists_row_warnings(write_csv, capsys):
    path = write_csv("Technologies;Diplome;Experience;Ville\nPython/Quantum Basket;Master;abc;Paris\n")
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "line 2, column 'Technologies'" in out and "line 2, column 'Experience'" in out


def test_synth_writes_a_loadable_file(tmp_path, capsys):
    target = tmp_path / "synthetic.csv"
    assert main(["synth", "--rows", "120", "--seed", "5", "-o", str(target)]) == 0
    assert main(["validate", str(target), "--json"]) == 0
    assert json.loads(capsys.readouterr().out.split("\n", 1)[1])["rows_out"] == 120


@pytest.mark.real_data
def test_validate_real_file(real_path):
    result = run("validate", str(real_path))
    assert result.returncode == 0
    assert "7649 read from 7650 lines, 7649 out, 0 lost" in result.stdout
    assert "-> 4 levels" in result.stdout
