"""Drift is flagged on a shifted batch and not on a random split of the same data."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from datajobs.cli.main import main
from datajobs.data.loading import load_profiles
from datajobs.data.synth import write_profiles_csv
from datajobs.model.train import fit_profile_model
from datajobs.ops.monitor import (
    checks_table,
    make_shifted_batch,
    monitor_batch,
    overall_verdict,
    population_stability_index,
    thresholds_table,
)

FAST = {"iterations": 60, "depth": 4, "learning_rate": 0.2}


@pytest.fixture(scope="module")
def split(sample_path):
    frame = load_profiles(sample_path).frame
    reference = frame.sample(frac=0.7, random_state=0)
    batch = frame.drop(reference.index)
    model = fit_profile_model(reference, params=FAST, seed=1)
    return model, reference.reset_index(drop=True), batch.reset_index(drop=True)


def verdicts(checks: pd.DataFrame) -> dict:
    return {(row.check, row.feature): row.verdict for row in checks.itertuples()}


def test_psi_is_zero_for_identical_and_large_for_disjoint():
    assert population_stability_index(np.array([10, 20, 30]), np.array([1, 2, 3])) == pytest.approx(0, abs=1e-9)
    assert population_stability_index(np.array([100, 0]), np.array([0, 100])) > 5


def test_random_split_is_quiet(split):
    model, reference, batch = split
    checks = monitor_batch(model, reference, batch)
    assert overall_verdict(checks) == "ok", checks[checks["verdict"] != "ok"]
    assert {"performance"} <= set(checks["check"])


def test_shifted_batch_is_flagged(split):
    model, reference, batch = split
    shifted = make_shifted_batch(batch, size=400, seed=2)
    result = verdicts(monitor_batch(model, reference, shifted))
    assert result[("feature drift (PSI)", "experience")] == "drift"
    assert result[("unseen categories", "city")] == "drift"
    assert result[("feature drift (PSI)", "city")] == "drift"


def test_the_page_tables_read_in_words_without_nan(split):
    model, reference, batch = split
    shifted = make_shifted_batch(batch, size=400, seed=2)
    html = checks_table(monitor_batch(model, reference, shifted)).to_html()
    assert "p-value" in html and "warn at" in html and "macro-F1" in html
    assert "nan" not in html.lower() and "p_value" not in html and "macro_f1" not in html
    assert "—" in html  # the checks without a p-value
    thresholds = thresholds_table().to_html()
    assert "share of unseen values" in thresholds and "unseen_share" not in thresholds
    assert "≥ 0.25 major shift" in thresholds  # meanings whole, not cut at 50 characters


def test_all_from_an_unseen_city_and_older(split):
    model, reference, batch = split
    moved = batch.assign(city=pd.array(["Brest"] * len(batch), dtype="string"), experience=batch["experience"] + 10)
    checks = monitor_batch(model, reference, moved)
    row = checks[(checks["check"] == "unseen categories") & (checks["feature"] == "city")].iloc[0]
    assert row["value"] == 1.0 and "Brest" in row["detail"]


def test_missingness_and_unlabelled_batch(split):
    model, reference, batch = split
    blank = batch.assign(experience=np.nan, profile=pd.array([pd.NA] * len(batch), dtype="string"))
    checks = monitor_batch(model, reference, blank)
    assert verdicts(checks)[("missingness change", "experience")] == "drift"
    assert "performance" not in set(checks["check"])


def test_cli_prints_json(split, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("DATAJOBS_TRACKING", "off")
    model, reference, batch = split
    model_dir = model.save(tmp_path / "model")
    from datajobs.data.loading import profiles_to_raw_frame

    write_profiles_csv(profiles_to_raw_frame(reference), tmp_path / "reference.csv")
    shifted = profiles_to_raw_frame(make_shifted_batch(batch, seed=3))
    write_profiles_csv(shifted, tmp_path / "batch.csv")
    assert main(["monitor", "--model", str(model_dir), "--reference", str(tmp_path / "reference.csv"),
                 "--batch", str(tmp_path / "batch.csv")]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["verdict"] == "drift" and report["thresholds"]["psi"]["drift"] == 0.25
    assert any(check["verdict"] == "drift" for check in report["checks"])
    groups = {(row["column"], row["group"]): row for row in report["groups"]}
    assert sum(row["rows"] for (column, _), row in groups.items() if column == "diploma") == len(shifted)
    assert all(0 <= row["accuracy_low"] <= row["accuracy"] <= row["accuracy_high"] <= 1 for row in groups.values())


def test_group_performance_slices_a_labelled_batch_as_the_model_card_does(split):
    from datajobs.ops.monitor import group_performance

    model, _, batch = split
    table = group_performance(model, batch, min_rows=50, n_resamples=100)
    assert set(table["column"]) == {"city", "company", "diploma", "experience_band"}
    assert (table.groupby("column")["rows"].sum() == len(batch)).all()
    assert (table["judged"] == (table["rows"] >= 50)).all() and table["coverage"].between(0, 1).all()
    assert group_performance(model, batch.assign(profile=pd.NA)).empty


@pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true")
def test_set_coverage_holds_on_a_random_split_and_fails_where_labels_moved(split):
    model, reference, batch = split
    checks = monitor_batch(model, reference, batch, level=0.9)
    coverage = checks[checks["check"] == "set coverage"].set_index("feature")
    assert list(coverage.index) == list(model.classes)
    # unseen rows of the same data: no class below 90 % beyond chance (one-sided test at 1 %)
    assert (coverage["verdict"] != "drift").all(), coverage[["value", "p_value", "detail"]]
    assert all("promised 90%" in detail for detail in coverage["detail"])
    # the batch's leads relabelled as data engineers: those "engineers" are rarely in an engineer's set
    moved = batch.assign(profile=batch["profile"].replace({"Lead data scientist": "Data engineer"}))
    moved_coverage = monitor_batch(model, reference, moved, level=0.9)
    engineer = moved_coverage[(moved_coverage["check"] == "set coverage")
                              & (moved_coverage["feature"] == "Data engineer")].iloc[0]
    assert engineer["verdict"] == "drift" and engineer["p_value"] < 0.01 and engineer["value"] > 0.05
