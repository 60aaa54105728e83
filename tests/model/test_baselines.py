"""The simple baselines beside the models: stack lookups, Holm correction, permutation chance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from datajobs.model.candidates import BASELINE_MODELS, LookupClassifier, make_model
from datajobs.model.evaluate import (
    cross_validate_configurations,
    holm_adjust,
    make_folds,
    paired_comparison,
    permutation_chance,
)


def frame_of(rows):
    return pd.DataFrame(rows, columns=["technologies", "diploma", "profile"]).astype(
        {"technologies": "string", "diploma": "string", "profile": "string"})


def test_stack_lookup_ignores_the_order_of_technologies_and_falls_back_to_the_majority():
    train = frame_of([("Python/SQL", "Master", "Data scientist"), ("SQL/Python", "PhD", "Data scientist"),
                      ("Python/SQL", "PhD", "Lead data scientist"), ("Java/Kafka", "Master", "Data engineer")])
    model = LookupClassifier(("technologies",)).fit(train, train["profile"])
    test = frame_of([("SQL/Python", "Bachelor", None), ("Kafka/Java", None, None), ("Rust", "PhD", None)])
    assert list(model.predict(test)) == ["Data scientist", "Data engineer", "Data scientist"]


def test_stack_and_diploma_lookup_uses_the_pair_then_the_stack():
    train = frame_of([("Python/SQL", "Master", "Data scientist"), ("Python/SQL", "Master", "Data scientist"),
                      ("Python/SQL", "PhD", "Lead data scientist"), ("Java/Kafka", "Master", "Data engineer")])
    model = make_model("stack_diploma_lookup").fit(train, train["profile"])
    test = frame_of([("SQL/Python", "PhD", None), ("Python/SQL", "Bachelor", None), ("Java/Kafka", None, None)])
    assert list(model.predict(test)) == ["Lead data scientist", "Data scientist", "Data engineer"]


def test_stack_and_experience_lookup_tells_a_lead_by_the_years_then_falls_back_to_the_stack():
    train = pd.DataFrame({"technologies": ["Python/SQL", "Python/SQL", "Python/SQL", "Java/Kafka"],
                          "experience": [1.0, 1.0, 8.0, None],
                          "profile": ["Data scientist", "Data scientist", "Lead data scientist", "Data engineer"]})
    model = make_model("stack_experience_lookup").fit(train, train["profile"])
    test = pd.DataFrame({"technologies": ["SQL/Python", "Python/SQL", "Python/SQL", "Kafka/Java"],
                         "experience": [8.0, 1.0, 4.0, None]})
    assert list(model.predict(test)) == ["Lead data scientist", "Data scientist", "Data scientist", "Data engineer"]


def test_lookups_score_on_the_same_folds_as_the_models(profiles):
    configurations = {(name, "none"): (lambda name=name: make_model(name)) for name in BASELINE_MODELS}
    results = cross_validate_configurations(profiles, configurations, n_splits=3, n_repeats=2, progress=False)
    assert len(results) == len(BASELINE_MODELS) * 6 and "stack_experience_lookup" in BASELINE_MODELS
    means = results.groupby("model")["macro_f1"].mean()
    # On the templated sample a stack already says much about the profile: far above the dummy.
    assert means["stack_lookup"] > means["dummy"] + 0.2


def test_holm_adjustment_matches_the_step_down_rule():
    adjusted = holm_adjust([0.01, np.nan, 0.04, 0.03])
    assert np.isnan(adjusted[1])
    np.testing.assert_allclose(adjusted[[0, 2, 3]], [0.03, 0.06, 0.06])
    assert list(holm_adjust([0.5, 0.9])) == [1.0, 1.0]


def test_paired_comparison_reports_holm_adjusted_p_values(profiles):
    configurations = {(name, "none"): (lambda name=name: make_model(name))
                      for name in ("dummy", "stack_lookup", "stack_diploma_lookup")}
    results = cross_validate_configurations(profiles, configurations, n_splits=3, n_repeats=2, progress=False)
    paired = paired_comparison(results, reference=("stack_lookup", "none")).set_index("model")
    assert np.isnan(paired.loc["stack_lookup", "p_holm"])
    others = paired.drop(index="stack_lookup")
    assert (others["p_holm"] >= others["p_value"]).all()


def test_permutation_chance_is_far_below_the_real_score(profiles):
    y = profiles["profile"].astype(object)
    chance = permutation_chance(profiles, make_folds(y, 3, 1, 0), n_permutations=10, seed=0)
    assert chance["chance_p95"] < chance["score"] - 0.2
    assert chance["p_value"] == pytest.approx(1 / 11)


def test_bootstrap_intervals_hold_the_test_score_and_pair_the_gain(profiles):
    from datajobs.model.evaluate import bootstrap_macro_f1, score_predictions

    train, test = profiles.iloc[: len(profiles) // 2], profiles.iloc[len(profiles) // 2:]
    y_test = test["profile"].astype(object).to_numpy()
    lookup = make_model("stack_lookup").fit(train, train["profile"]).predict(test)
    dummy = make_model("dummy").fit(train, train["profile"]).predict(test)
    intervals = bootstrap_macro_f1(y_test, {"lookup": lookup, "dummy": dummy}, reference="dummy", n_resamples=500)
    for name, predicted in (("lookup", lookup), ("dummy", dummy)):
        row = intervals.loc[name]
        assert row["macro_f1"] == pytest.approx(score_predictions(y_test, predicted)["macro_f1"])
        assert row["low"] < row["macro_f1"] < row["high"]
    gain = intervals.loc["lookup"]
    assert gain["gain"] == pytest.approx(gain["macro_f1"] - intervals.loc["dummy", "macro_f1"])
    assert 0 < gain["gain_low"] < gain["gain"] < gain["gain_high"] and gain["gain_share_positive"] == 1.0
    again = bootstrap_macro_f1(y_test, {"lookup": lookup, "dummy": dummy}, reference="dummy", n_resamples=500)
    pd.testing.assert_frame_equal(intervals, again)  # seeded
