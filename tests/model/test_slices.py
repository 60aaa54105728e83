"""Group slices of the model card: intervals, the permutation test of the largest gap, Holm."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from datajobs.model.slices import (
    NOT_GIVEN,
    OTHER_COMPANIES,
    cross_validated_answers,
    gap_permutation_test,
    group_gaps,
    group_macro_f1,
    profile_groups,
    slice_scores,
    wilson_interval,
)
from tests.conftest import FAST_PARAMS


def test_wilson_interval_matches_the_textbook_value_and_stays_in_bounds():
    # 81 of 100: centre (p + z²/2n)/(1 + z²/n), half-width z·√(p(1-p)/n + z²/4n²)/(1 + z²/n), z = 1.96.
    low, high = wilson_interval(81, 100)
    assert low == pytest.approx(0.7222, abs=1e-3) and high == pytest.approx(0.8749, abs=1e-3)
    assert wilson_interval(0, 5)[0] == 0.0 and wilson_interval(5, 5)[1] == 1.0
    assert all(np.isnan(wilson_interval(0, 0)))


def test_group_macro_f1_is_scikit_learns_over_the_jobs_present_with_an_interval_around_it():
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(1)
    truth = rng.choice(["a", "b", "c"], size=300)
    predicted = np.where(rng.random(300) < 0.7, truth, rng.choice(["a", "b", "c", "d"], size=300))
    score, low, high = group_macro_f1(truth, predicted, n_resamples=500, seed=3)
    assert score == pytest.approx(f1_score(truth, predicted, labels=["a", "b", "c"], average="macro"))
    assert low < score < high


def test_profile_groups_pools_rare_companies_and_names_missing_values():
    frame = pd.DataFrame({"company": ["A", "A", "A", "B", "B", "C", None],
                          "city": ["Paris", "Lyon", None, "Paris", "Paris", "Lyon", "Lyon"],
                          "diploma": ["Master", "PhD", "Master", None, "Bachelor", "Master", "PhD"],
                          "experience": [1.0, 3.0, 6.0, 12.0, np.nan, 2.0, 0.5]})
    groups = profile_groups(frame, top_companies=2)
    assert groups["company"].tolist() == ["A", "A", "A", "B", "B", OTHER_COMPANIES, NOT_GIVEN]
    assert groups["city"].iloc[2] == NOT_GIVEN and groups["diploma"].iloc[3] == NOT_GIVEN
    assert groups["experience_band"].iloc[4] == NOT_GIVEN
    assert groups["experience_band"].iloc[0] != groups["experience_band"].iloc[3]


def test_slice_scores_count_every_row_and_flag_small_groups():
    groups = pd.DataFrame({"city": ["Paris"] * 150 + ["Lyon"] * 30})
    truth = np.array(["a", "b"] * 90, dtype=object)
    predicted = truth.copy()
    predicted[:15] = "b"
    table = slice_scores(groups, truth, predicted, covered=np.ones(180, bool), min_rows=100, n_resamples=200)
    paris = table.set_index("group").loc["Paris"]
    assert paris["rows"] == 150 and paris["judged"] and not table.set_index("group").loc["Lyon", "judged"]
    assert paris["accuracy"] == pytest.approx((150 - 8) / 150)  # rows 0, 2, …, 14 were "a", now wrong
    assert paris["accuracy_low"] < paris["accuracy"] < paris["accuracy_high"]
    assert table["coverage"].eq(1.0).all() and table["rows"].sum() == 180


def test_a_gap_made_by_the_job_mix_alone_is_within_chance():
    # Job "hard" is always wrong, "easy" always right; group X holds more "hard" profiles. Given
    # the job, the group changes nothing: shuffling within jobs keeps the gap, p = 1.
    truth = np.array(["hard"] * 60 + ["easy"] * 140 + ["hard"] * 20 + ["easy"] * 180, dtype=object)
    groups = np.array(["X"] * 200 + ["Y"] * 200, dtype=object)
    predicted = np.where(truth == "easy", "easy", "other")
    result = gap_permutation_test(groups, truth, predicted, min_rows=100, n_permutations=200, seed=0)
    assert result["gap"] == pytest.approx(0.2) and result["worst"] == "X"
    assert result["p_value"] == 1.0


def test_a_gap_the_group_makes_is_beyond_chance_and_small_groups_are_left_out():
    rng = np.random.default_rng(0)
    truth = rng.choice(["a", "b"], size=600).astype(object)
    groups = np.array(["X"] * 250 + ["Y"] * 250 + ["tiny"] * 100, dtype=object)
    groups[-50:] = "tinier"
    wrong = np.zeros(600, bool)
    wrong[:250] = rng.random(250) < 0.35  # group X: 35 % errors, Y: 5 %
    wrong[250:500] = rng.random(250) < 0.05
    wrong[500:] = True  # the tiny groups are always wrong, but too small to count
    predicted = np.where(wrong, "c", truth)
    result = gap_permutation_test(groups, truth, predicted, min_rows=60, n_permutations=300, seed=1)
    assert result["judged_groups"] == 2 and {result["best"], result["worst"]} == {"X", "Y"}
    assert result["p_value"] == pytest.approx(1 / 301)


def test_group_gaps_adjust_over_columns_and_skip_a_column_without_two_judged_groups():
    rng = np.random.default_rng(2)
    truth = rng.choice(["a", "b"], size=400).astype(object)
    predicted = np.where(rng.random(400) < 0.8, truth, "c")
    groups = pd.DataFrame({"city": np.repeat(["P", "L"], 200), "company": ["only"] * 400,
                           "diploma": np.tile(["M", "D"], 200)})
    gaps = group_gaps(groups, truth, predicted, min_rows=100, n_permutations=100, seed=0)
    assert np.isnan(gaps.loc["company", "p_value"]) and np.isnan(gaps.loc["company", "p_holm"])
    tested = gaps.loc[["city", "diploma"], ["p_value", "p_holm"]].astype(float)
    assert (tested["p_holm"] >= tested["p_value"]).all()
    assert tested["p_holm"].max() == pytest.approx(min(1.0, 2 * tested["p_value"].min())) or \
        tested["p_holm"].min() == pytest.approx(min(1.0, 2 * tested["p_value"].min()))


def test_cross_validated_answers_answer_every_row_once(profiles):
    from datajobs.data import labelled_rows

    frame, _ = labelled_rows(profiles)
    frame = frame.sample(600, random_state=0)
    answers = cross_validated_answers(frame, FAST_PARAMS, n_splits=3, seed=0, n_jobs=1)
    assert answers.index.equals(frame.index) and answers["fold"].nunique() == 3
    assert (answers["truth"] == frame["profile"].astype(object)).all()
    assert answers.apply(lambda row: row["predicted"] in row["set"], axis=1).all()
    probabilities = answers.filter(like="P(")
    assert np.allclose(probabilities.sum(axis=1), 1.0)
