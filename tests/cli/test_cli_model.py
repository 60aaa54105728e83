"""`datajobs train / predict / evaluate` round trip on the shipped sample and on bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from datajobs.cli.main import main
from datajobs.config import PROFILE_LABELS


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "datajobs.cli", *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory, sample_path):
    directory = tmp_path_factory.mktemp("model")
    result = run("train", "--data", str(sample_path), "--out", str(directory), "--seed", "3")
    assert result.returncode == 0, result.stderr
    assert "out-of-fold macro-F1" in result.stdout
    return directory


def test_train_writes_native_model_and_metadata(model_dir, sample_path):
    metadata = json.loads((model_dir / "metadata.json").read_text())
    assert (model_dir / "model.cbm").stat().st_size > 10_000
    assert metadata["training_rows"] == 3000 and metadata["seed"] == 3
    from datajobs.data.loading import file_sha256

    assert metadata["training_data"]["sha256"] == file_sha256(sample_path)


def test_predict_keeps_rows_order_columns_and_delimiter(model_dir, write_csv, tmp_path):
    source = write_csv(
        "Ville,Technologies,Diplome,Experience,Id\n"
        "Paris,Python/R/Machine learning,PhD,7,a\n"
        "Saint-Etienne,\"Python,Quantum Basket\",MSc,1,b\n"
        ",,,,c\n"
        "Lyon,Hadoop/Hive/Spark,Master,2.5,d\n")
    target = tmp_path / "out.csv"
    assert main(["predict", "--model", str(model_dir), str(source), "-o", str(target)]) == 0
    text = target.read_text()
    assert text.splitlines()[0].count(",") > 8 and ";" not in text.splitlines()[0]
    out = pd.read_csv(target, dtype={"Id": str}, keep_default_na=False)
    assert list(out["Id"]) == ["a", "b", "c", "d"]
    assert list(out.columns[:5]) == ["Ville", "Technologies", "Diplome", "Experience", "Id"]
    assert out.columns[5] == "predicted_metier"
    assert [column for column in out.columns if column.startswith("proba_")] == [
        "proba_data_scientist", "proba_lead_data_scientist", "proba_data_engineer", "proba_data_architecte"]
    assert set(out["predicted_metier"][[0, 1, 3]]) <= set(PROFILE_LABELS)
    assert out["predicted_metier"][2] == "" and "cannot score" in out["warnings"][2]
    assert "unknown city 'Saint-Etienne'" in out["warnings"][1]
    assert "'Quantum Basket' ignored" in out["warnings"][1]


def test_predict_on_reference_format_with_semicolons(model_dir, sample_path, tmp_path):
    target = tmp_path / "scored.csv"
    assert main(["predict", "--model", str(model_dir), str(sample_path), "-o", str(target)]) == 0
    scored = pd.read_csv(target, sep=";")
    assert len(scored) == 3000 and (scored["predicted_metier"] == scored["Metier"]).mean() > 0.8


def test_evaluate_prints_json(model_dir, sample_path, capsys):
    assert main(["evaluate", "--model", str(model_dir), "--data", str(sample_path)]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert set(scores["per_class_f1"]) == set(PROFILE_LABELS)
    assert 0.7 < scores["macro_f1"] <= 1.0


@pytest.mark.parametrize(("args", "message"), [
    (["predict", "--model", "/nonexistent", "x.csv"], "not a model directory"),
    (["train", "--data", "/nonexistent.csv", "--out", "/tmp/x"], "file not found"),
])
def test_bad_paths_give_one_line(args, message):
    result = run(*args)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_predict_bad_file_names_file_and_column(model_dir, write_csv):
    path = write_csv("Diplome;Experience;Ville\nMaster;1;Paris\n")
    result = run("predict", "--model", str(model_dir), str(path))
    assert result.returncode == 2 and "Technologies" in result.stderr and str(path) in result.stderr


def test_train_without_labels_is_a_clear_error(write_csv, tmp_path):
    path = write_csv("Technologies;Diplome;Experience;Ville\nPython;Master;1;Paris\n")
    result = run("train", "--data", str(path), "--out", str(tmp_path / "m"))
    assert result.returncode == 2 and "no labelled row" in result.stderr and "Traceback" not in result.stderr


def test_evaluate_needs_labels(model_dir, write_csv):
    path = write_csv("Technologies;Diplome;Experience;Ville\nPython;Master;1;Paris\n")
    result = run("evaluate", "--model", str(model_dir), "--data", str(path))
    assert result.returncode == 2 and "no row has a Metier label" in result.stderr


def test_predict_writes_the_prediction_set_at_the_level_asked_and_counts_set_sizes(model_dir, sample_path, tmp_path):
    from datajobs.model.profile_model import ProfileModel

    model = ProfileModel.load(model_dir)
    counts = {}
    for level in ("0.8", "0.95"):
        output = tmp_path / f"scored_{level}.csv"
        result = run("predict", "--model", str(model_dir), str(sample_path), "-o", str(output), "--level", level)
        assert result.returncode == 0, result.stderr
        scored = pd.read_csv(output, sep=";", keep_default_na=False)
        assert list(scored.columns[-2:]) == ["prediction_set", "warnings"]
        sets = scored["prediction_set"].str.split(" | ", regex=False)
        assert all(label in members for label, members in zip(scored["predicted_metier"], sets, strict=True))
        probabilities = scored[[f"proba_{label.lower().replace(' ', '_')}" for label in model.classes]].to_numpy()
        expected, _ = model.prediction_sets(probabilities, scored["predicted_metier"], float(level))
        # the CSV's probabilities are rounded to 4 decimals: compare where no class sits at its floor
        floors = model.conformal.floor_vector(float(level))
        clear = (abs(probabilities - floors) > 1e-4).all(axis=1)
        assert clear.mean() > 0.9
        assert [members for members, keep in zip(sets, clear, strict=True) if keep] == \
               [members for members, keep in zip(expected, clear, strict=True) if keep]
        sizes = sets.map(len).value_counts()
        counts[level] = sizes
        summary = ", ".join(f"{size} label{'s' if size > 1 else ''} {count}" for size, count in sorted(sizes.items()))
        assert f"prediction sets at {float(level):.0%}: {summary}" in result.stderr
    assert (counts["0.95"].index * counts["0.95"]).sum() > (counts["0.8"].index * counts["0.8"]).sum()


@pytest.mark.parametrize("level", ["0", "1", "1.5", "abc", "0.85"])
def test_predict_refuses_a_bad_level_in_one_line(model_dir, sample_path, tmp_path, level):
    result = run("predict", "--model", str(model_dir), str(sample_path), "-o", str(tmp_path / "out.csv"),
                 "--level", level)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("datajobs predict: error: --level: ")
    assert not (tmp_path / "out.csv").exists()
