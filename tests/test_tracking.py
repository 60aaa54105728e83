"""MLflow tracking into a temporary store, the registry round trip, and tracking failures."""

from __future__ import annotations

import json
import warnings

import pytest

from datajobs import tracking
from datajobs.cli import main
from datajobs.predict import ProfileModel


@pytest.fixture
def store(tmp_path, monkeypatch):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("DATAJOBS_TRACKING", "on")
    monkeypatch.setattr(tracking.config, "MLFLOW_DIR", tmp_path / "mlflow")
    return uri


def test_run_logs_params_metrics_and_tables(store):
    import mlflow
    import pandas as pd

    with tracking.start_run("unit", {"purpose": "test"}) as tracker:
        tracker.log_params({"seed": 3, "grid": {"depth": [4, 6]}})
        tracker.log_metrics({"macro_f1": 0.8, "ignored_text": "x"})
        tracker.log_table(pd.DataFrame({"a": [1, 2]}), "table.csv")
        with tracker.nested("trial") as trial:
            trial.log_metrics({"macro_f1": 0.7})
    run = mlflow.get_run(tracker.run_id)
    assert run.data.params["seed"] == "3" and run.data.metrics["macro_f1"] == 0.8
    assert run.data.tags["purpose"] == "test" and run.info.status == "FINISHED"
    assert [item.path for item in mlflow.MlflowClient().list_artifacts(tracker.run_id)] == ["table.csv"]
    children = mlflow.search_runs(filter_string=f"tags.mlflow.parentRunId = '{tracker.run_id}'")
    assert len(children) == 1


def test_registry_round_trip_and_champion_rule(store, fast_model, tmp_path, sample_path):
    first_dir = fast_model.save(tmp_path / "first")
    with tracking.start_run("train 1") as tracker:
        first = tracking.log_profile_model(tracker, fast_model, first_dir)
    assert first["version"] == 1 and first["champion"] and first["reason"] == "no champion yet"

    worse = ProfileModel.load(first_dir)
    worse.metadata["cv_metrics"]["macro_f1"] -= 0.05
    with tracking.start_run("train 2") as tracker:
        second = tracking.log_profile_model(tracker, worse, worse.save(tmp_path / "second"))
    assert second["version"] == 2 and not second["champion"] and "same folds" in second["reason"]

    directory = tracking.resolve_model_directory("models:/datajobs-profile-classifier@champion")
    loaded = ProfileModel.load(directory)
    assert loaded.metadata["cv_metrics"]["macro_f1"] == fast_model.metadata["cv_metrics"]["macro_f1"]

    output = tmp_path / "scored.csv"
    assert main(["predict", "--model", "models:/datajobs-profile-classifier@champion", str(sample_path),
                 "-o", str(output)]) == 0
    assert output.read_text().count("\n") == 3001


def test_unknown_registry_reference_is_one_line(store, sample_path, capsys):
    assert main(["predict", "--model", "models:/datajobs-profile-classifier@nobody", str(sample_path)]) == 2
    assert "cannot load models:/datajobs-profile-classifier@nobody" in capsys.readouterr().err


def test_unwritable_store_warns_and_the_work_goes_on(tmp_path, monkeypatch):
    # A store path under a regular file cannot be created, even by root (chmod would not stop root).
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{blocker / 'mlflow.db'}")
    monkeypatch.setenv("DATAJOBS_TRACKING", "on")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with tracking.start_run("blocked") as tracker:
            tracker.log_metrics({"x": 1.0})
    assert not tracker.active and tracker.run_id is None
    assert any(issubclass(item.category, tracking.TrackingWarning) for item in caught)


def test_tracking_off(monkeypatch, tmp_path):
    monkeypatch.setenv("DATAJOBS_TRACKING", "off")
    tracker = tracking.open_run("off")
    tracker.log_metrics({"x": 1.0})
    tracker.record(tmp_path)
    assert json.loads((tmp_path / "off.json").read_text())["skipped"] == "DATAJOBS_TRACKING=off"
