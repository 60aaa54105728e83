"""Candidate pipelines, the CV harness, the CatBoost wrapper and the final model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import cross_val_score

from datajobs.config import PROFILE_LABELS
from datajobs.model.candidates import candidate_grid, make_model, supports
from datajobs.model.evaluate import (
    cross_validate_configurations,
    make_folds,
    paired_comparison,
    summarise_results,
)
from datajobs.model.profile_model import ProfileModel, predict_frame, profile_frame


@pytest.fixture(scope="module")
def small(profiles):
    return profiles.groupby("profile", group_keys=False).head(150).reset_index(drop=True)


def test_grid_covers_models_and_strategies():
    grid = candidate_grid()
    assert ("dummy", "none") in grid and ("catboost", "class_weight") in grid
    assert not supports("knn", "class_weight") and not supports("catboost", "smote")
    assert len({model for model, _ in grid}) == 12
    assert not supports("stack_lookup", "class_weight") and ("stack_experience_lookup", "none") in grid


@pytest.mark.parametrize(("model", "strategy"), candidate_grid())
def test_every_pipeline_fits_and_predicts_known_labels(small, model, strategy):
    pipeline = make_model(model, strategy, fast=True)
    y = small["profile"].astype(object).to_numpy()
    if model == "catboost":
        pipeline.set_params(classifier__iterations=20)
    predicted = pipeline.fit(small, y).predict(small.head(40))
    assert set(predicted) <= set(PROFILE_LABELS)


def test_catboost_survives_clone_and_cross_val_score(small):
    pipeline = make_model("catboost", "class_weight", fast=True).set_params(classifier__iterations=30)
    cloned = clone(pipeline)
    assert cloned.get_params()["classifier__iterations"] == 30
    scores = cross_val_score(pipeline, small, small["profile"].astype(object), cv=3, scoring="f1_macro")
    assert scores.min() > 0.5


def test_cv_harness_tidy_results_same_folds(small):
    configurations = {
        ("dummy", "none"): lambda: make_model("dummy"),
        ("logistic_regression", "class_weight"): lambda: make_model("logistic_regression", "class_weight"),
    }
    results = cross_validate_configurations(small, configurations, n_splits=3, n_repeats=2, seed=1,
                                            n_jobs=1, progress=False)
    assert len(results) == 2 * 3 * 2
    assert {"macro_f1", "balanced_accuracy", "accuracy", "f1_lead_data_scientist", "fit_seconds"} <= set(results)
    summary = summarise_results(results)
    assert summary.iloc[0]["model"] == "logistic_regression"
    assert summary.iloc[0]["macro_f1_mean"] > summary.iloc[1]["macro_f1_mean"] + 0.2
    paired = paired_comparison(results, reference=("dummy", "none"))
    winner = paired[paired["model"] == "logistic_regression"].iloc[0]
    assert winner["wins"] == 6 and winner["p_value"] < 0.01
    again = cross_validate_configurations(small, configurations, n_splits=3, n_repeats=2, seed=1,
                                          n_jobs=2, progress=False)
    pd.testing.assert_series_equal(results["macro_f1"], again["macro_f1"])


def test_folds_are_stratified_and_repeatable(profiles):
    y = profiles["profile"].astype(object).to_numpy()
    folds = make_folds(y, n_splits=5, n_repeats=2, seed=3)
    assert len(folds) == 10
    share = np.mean(y == "Lead data scientist")
    for _, _, _, test in folds:
        assert abs(np.mean(y[test] == "Lead data scientist") - share) < 0.01
    assert all((a[3] == b[3]).all() for a, b in zip(folds, make_folds(y, 5, 2, 3), strict=True))


@pytest.fixture(scope="module")
def fitted(fast_model):
    return fast_model


def test_final_model_round_trip_without_pickle(fitted, profiles, tmp_path):
    directory = fitted.save(tmp_path / "model")
    assert sorted(path.name for path in directory.iterdir()) == ["metadata.json", "model.cbm"]
    loaded = ProfileModel.load(directory)
    np.testing.assert_allclose(loaded.predict_proba(profiles.head(50)), fitted.predict_proba(profiles.head(50)))
    metadata = loaded.metadata
    assert metadata["classes"] == list(PROFILE_LABELS)
    assert len(metadata["training_data"]["sha256"]) == 64
    assert {"catboost", "pandas", "scikit-learn"} <= set(metadata["package_versions"])
    assert 0.5 < metadata["cv_metrics"]["macro_f1"] <= 1.0
    assert metadata["decision_rule"]["weighted_class"] == "Lead data scientist"


def test_probabilities_are_calibrated_distributions(fitted, profiles):
    probabilities = fitted.predict_proba(profiles)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    # Calibrated on out-of-fold rows: mean predicted probability close to the class share.
    shares = profiles["profile"].value_counts(normalize=True).reindex(PROFILE_LABELS).to_numpy()
    np.testing.assert_allclose(probabilities.mean(axis=0), shares, atol=0.05)


def test_prediction_keeps_every_row_and_explains_warnings(fitted):
    frame = pd.concat([
        profile_frame("Python/Spark/Quantum Basket", "MSc", "4", "Saint-Etienne", "Acme"),
        profile_frame("", None, None, None, None),
        profile_frame("Hadoop/Hive", "PhD", "2", "Lyon", None),
    ], ignore_index=True)
    result = predict_frame(fitted, frame)
    assert len(result) == 3
    assert result["predicted_metier"].iloc[1] == "" and "cannot score" in result["warnings"].iloc[1]
    assert result["predicted_metier"].iloc[0] in PROFILE_LABELS
    assert "'Quantum Basket' ignored" in result["warnings"].iloc[0]
    assert "unknown city 'Saint-Etienne'" in result["warnings"].iloc[0]
    # The model's notes replace the loader's "kept" on the same columns: one note per column.
    assert "kept" not in result["warnings"].iloc[0]
    assert result["warnings"].iloc[0].count("Technologies:") == 1 and result["warnings"].iloc[0].count("Ville:") == 1
    explanation = fitted.explain(frame.iloc[[2]])
    assert {"feature", "shap"} <= set(explanation) and explanation["shap"].abs().sum() > 0


def test_adaboost_on_label_codes_predicts_exactly_like_adaboost_on_labels(profiles):
    from sklearn.ensemble import AdaBoostClassifier

    frame = profiles.groupby("profile", group_keys=False).head(400).reset_index(drop=True)
    y = frame["profile"].astype(object).to_numpy()
    train = np.arange(len(frame)) % 4 != 0
    for strategy in ("none", "smote"):
        coded = make_model("adaboost", strategy, fast=True)
        plain = make_model("adaboost", strategy, fast=True)
        plain.steps[-1] = ("classifier", AdaBoostClassifier(**coded.steps[-1][1].get_params(deep=False)))
        coded.fit(frame[train], y[train])
        plain.fit(frame[train], y[train])
        assert list(coded.predict(frame[~train])) == list(plain.predict(frame[~train]))
        assert np.allclose(coded.predict_proba(frame[~train]), plain.predict_proba(frame[~train]))
        assert set(coded.predict(frame[~train])) <= set(y)


def test_gradient_boosting_early_stopping_steps_aside_on_a_tiny_fold(profiles):
    # A class with a single training row cannot be split for early stopping's validation part.
    counts = {"Data scientist": 12, "Lead data scientist": 1, "Data engineer": 12, "Data architecte": 12}
    frame = pd.concat([profiles[profiles["profile"] == label].head(n) for label, n in counts.items()],
                      ignore_index=True)
    pipeline = make_model("hist_gradient_boosting", fast=True).fit(frame, frame["profile"].astype(object))
    classifier = pipeline.steps[-1][1]
    assert classifier.early_stopping is True  # restored after the fit
    assert classifier.n_iter_ == classifier.max_iter  # every iteration was fitted
    # On enough rows it does stop early.
    enough = profiles.groupby("profile", group_keys=False).head(300)
    stopped = make_model("hist_gradient_boosting").fit(enough, enough["profile"].astype(object)).steps[-1][1]
    assert stopped.n_iter_ < stopped.max_iter


def test_one_fit_at_a_time_gives_the_same_tuning_and_model(profiles, monkeypatch):
    # The quick profile fits in the notebook's own process (n_jobs=1): same trees, same scores.
    from datajobs.model.train import DEFAULT_PARAMS, _parallel_fits, fit_profile_model, tune_catboost

    monkeypatch.setenv("DATAJOBS_CACHE_DIR", "off")
    small = profiles.iloc[:900].reset_index(drop=True)
    grid = {"depth": (4,), "l2_leaf_reg": (3.0, 10.0)}
    base = {**DEFAULT_PARAMS, "iterations": 40}
    side_by_side = tune_catboost(small, grid=grid, base=base, seed=5, progress=False)
    one_at_a_time = tune_catboost(small, grid=grid, base=base, seed=5, progress=False, n_jobs=1)
    assert one_at_a_time.drop(columns="seconds").equals(side_by_side.drop(columns="seconds"))
    params = {**base, "depth": 4}
    first = fit_profile_model(small, params=params, seed=5)
    second = fit_profile_model(small, params=params, seed=5, n_jobs=1)
    np.testing.assert_array_equal(first.predict_proba(small), second.predict_proba(small))
    with pytest.raises(ValueError, match="n_jobs must be -1"):
        _parallel_fits([], n_jobs=0)
