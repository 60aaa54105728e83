"""The fold-result cache: adding a configuration re-fits only it, and cached results are the ones
a fresh fit gives; a change of data, configuration or package code misses the cache."""

from __future__ import annotations

import numpy as np
import pytest

from datajobs.model import cache, evaluate
from datajobs.model.candidates import make_model


@pytest.fixture()
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("DATAJOBS_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture()
def fits(monkeypatch):
    """Count the folds actually fitted (n_jobs=1 fits in this process)."""
    counted = []
    original = evaluate._fit_and_score

    def counting(estimator, *args, **kwargs):
        counted.append(type(estimator[-1]).__name__)
        return original(estimator, *args, **kwargs)

    monkeypatch.setattr(evaluate, "_fit_and_score", counting)
    return counted


CONFIGURATIONS = {
    ("logistic_regression", "none"): lambda: make_model("logistic_regression", seed=2),
    ("decision_tree", "class_weight"): lambda: make_model("decision_tree", "class_weight", seed=2),
}
COMMON = dict(n_splits=3, n_repeats=1, seed=2, n_jobs=1, progress=False)
SCORES = ["model", "strategy", "repeat", "fold", "macro_f1", "accuracy", "balanced_accuracy", "fit_seconds"]


def test_adding_a_configuration_fits_only_that_one(profiles, cache_dir, fits):
    small = profiles.iloc[:500].reset_index(drop=True)
    first = dict(list(CONFIGURATIONS.items())[:1])
    before = evaluate.cross_validate_configurations(small, first, **COMMON)
    assert len(fits) == 3
    both = evaluate.cross_validate_configurations(small, CONFIGURATIONS, **COMMON)
    assert fits[3:] == ["DecisionTreeClassifier"] * 3
    # The cached folds are returned as they were computed, timings included.
    assert both[both["model"] == "logistic_regression"][SCORES].reset_index(drop=True).equals(before[SCORES])
    again = evaluate.cross_validate_configurations(small, CONFIGURATIONS, **COMMON)
    assert len(fits) == 6 and again.equals(both)
    fresh = evaluate.cross_validate_configurations(small, CONFIGURATIONS, use_cache=False, **COMMON)
    columns = [column for column in SCORES if column != "fit_seconds"]
    assert fresh[columns].equals(both[columns])


def test_other_data_seed_or_code_miss_the_cache(profiles, cache_dir, fits, monkeypatch):
    small = profiles.iloc[:400].reset_index(drop=True)
    configuration = dict(list(CONFIGURATIONS.items())[:1])
    evaluate.cross_validate_configurations(small, configuration, **COMMON)
    evaluate.cross_validate_configurations(small.iloc[:399], configuration, **COMMON)
    evaluate.cross_validate_configurations(small, configuration, **{**COMMON, "seed": 3})
    assert len(fits) == 9
    monkeypatch.setattr(cache, "code_digest", lambda: "another version of the package")
    evaluate.cross_validate_configurations(small, configuration, **COMMON)
    assert len(fits) == 12


def test_cache_off_and_arrays_round_trip(tmp_path, monkeypatch):
    monkeypatch.setenv("DATAJOBS_CACHE_DIR", "off")
    assert cache.cache_root() is None
    cache.store_array("oof", "key", np.ones(3))
    assert cache.load_array("oof", "key") is None
    monkeypatch.setenv("DATAJOBS_CACHE_DIR", str(tmp_path))
    values = np.random.default_rng(1).random((5, 4))
    cache.store_array("oof", "key", values)
    np.testing.assert_array_equal(cache.load_array("oof", "key"), values)
    (tmp_path / "folds").mkdir()
    (tmp_path / "folds" / "broken.json").write_text("{trunc")
    assert cache.load_json("folds", "broken") is None
