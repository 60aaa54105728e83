"""MLflow tracking into a temporary store, the registry round trip, and tracking failures."""

from __future__ import annotations

import json
import warnings

import pytest

from datajobs.cli.main import main
from datajobs.model.profile_model import ProfileModel
from datajobs.ops import tracking


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
    with tracking.start_run("train quietly") as tracker:
        registered = tracking.log_profile_model(tracker, fast_model, first_dir, promote="never")
    assert registered["version"] == 2 and not registered["champion"]

    worse = ProfileModel.load(first_dir)
    worse.metadata["cv_metrics"]["macro_f1"] -= 0.05
    with tracking.start_run("train 2") as tracker:
        second = tracking.log_profile_model(tracker, worse, worse.save(tmp_path / "second"))
    assert second["version"] == 3 and not second["champion"] and "same folds" in second["reason"]

    # The CatBoost flavour loads back and names the versions it needs (given, not inferred).
    from importlib.metadata import version

    import mlflow

    catboost_uri = "models:/datajobs-profile-classifier/1"
    requirements = mlflow.pyfunc.get_model_dependencies(catboost_uri)
    with open(requirements) as handle:
        pinned = handle.read().split()
    assert f"catboost=={version('catboost')}" in pinned and f"pandas=={version('pandas')}" in pinned
    assert any(line.startswith("mlflow") for line in pinned)
    example = fast_model.features(fast_model_example())
    assert (mlflow.catboost.load_model(catboost_uri).predict_proba(example)
            == fast_model.estimator.predict_proba(example)).all()

    directory = tracking.resolve_model_directory("models:/datajobs-profile-classifier@champion")
    loaded = ProfileModel.load(directory)
    assert loaded.metadata["cv_metrics"]["macro_f1"] == fast_model.metadata["cv_metrics"]["macro_f1"]

    output = tmp_path / "scored.csv"
    assert main(["predict", "--model", "models:/datajobs-profile-classifier@champion", str(sample_path),
                 "-o", str(output)]) == 0
    assert output.read_text().count("\n") == 3001


def fast_model_example():
    from datajobs.model.profile_model import profile_frame

    return profile_frame("Python/Spark/SQL", "Master", "3", "Lyon", "KPMG")


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


def test_model_on_other_data_never_becomes_champion_for_being_newer(store, fast_model, tmp_path):
    first_dir = fast_model.save(tmp_path / "first")
    with tracking.start_run("book") as tracker:
        assert tracking.log_profile_model(tracker, fast_model, first_dir)["champion"]
    other = ProfileModel.load(first_dir)
    other.metadata["training_data"]["sha256"] = "0" * 64  # trained on another file
    other.metadata["cv_metrics"]["macro_f1"] += 0.2  # even with a better score on its own folds
    with tracking.start_run("book on other data") as tracker:
        outcome = tracking.log_profile_model(tracker, other, other.save(tmp_path / "other"))
    assert outcome["version"] == 2 and not outcome["champion"] and "other data" in outcome["reason"]
    assert "datajobs promote 2" in outcome["reason"]


def test_train_registers_only_and_promote_moves_the_champion(store, sample_path, tmp_path, capsys):
    import mlflow

    small = tmp_path / "small.csv"
    small.write_text("".join(sample_path.read_text().splitlines(keepends=True)[:301]))
    assert main(["train", "--data", str(small), "--out", str(tmp_path / "m1"), "--iterations", "40"]) == 0
    assert "champion unchanged" in capsys.readouterr().out
    client = mlflow.MlflowClient()
    with pytest.raises(Exception, match="alias"):
        client.get_model_version_by_alias(tracking.REGISTERED_MODEL_NAME, "champion")
    assert main(["train", "--data", str(small), "--out", str(tmp_path / "m2"), "--iterations", "40",
                 "--promote"]) == 0
    assert "version 2 as champion (promoted on request)" in capsys.readouterr().out
    assert main(["promote", "1"]) == 0
    assert "version 1 is now champion (was 2)" in capsys.readouterr().out
    assert int(client.get_model_version_by_alias(tracking.REGISTERED_MODEL_NAME, "champion").version) == 1
    assert main(["promote", "9"]) == 2
    assert "cannot promote version 9" in capsys.readouterr().err
