"""Feature transformers: fitted on training rows only, label-blind, leak variant explicit."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import clone

from datajobs.model.candidates import make_model
from datajobs.model.features import (
    ExperienceFeatures,
    TechnologyEncoder,
    build_preprocessor,
    experience_level,
    impute_experience_by_class_leaky,
)


def test_experience_levels_follow_the_study():
    levels = experience_level(pd.Series([0.0, 1.9, 2.0, 4.9, 5.0, 7.5, 8.0, 21.0]))
    assert list(levels) == ["débutant", "débutant", "confirmé", "confirmé", "avancé", "avancé", "expert", "expert"]


def test_technology_encoder_ignores_and_reports_unknown():
    train = pd.DataFrame({"technologies": ["Python/R", "Spark/Python", ""]})
    encoder = TechnologyEncoder().fit(train)
    assert encoder.vocabulary_ == ["Python", "R", "Spark"]
    matrix = encoder.transform(pd.DataFrame({"technologies": ["Python/Quantum", "R"]}))
    assert matrix.tolist() == [[1, 0, 0, 1], [0, 1, 0, 1]]
    assert encoder.unknown_counts_ == {"Quantum": 1}


def test_imputation_is_learnt_from_training_rows_only():
    train = pd.DataFrame({"experience": [1.0, 2.0, 3.0, np.nan]})
    test = pd.DataFrame({"experience": [np.nan, 100.0]})
    features = ExperienceFeatures().fit(train)
    assert features.fill_value_ == 2.0
    assert features.transform(test)[:, :2].tolist() == [[2.0, 1.0], [100.0, 0.0]]


def test_permuting_labels_leaves_imputed_values_unchanged(profiles):
    y = profiles["profile"].astype(object).to_numpy()
    permuted = np.random.default_rng(0).permutation(y)
    preprocessor = build_preprocessor()
    original = clone(preprocessor).fit(profiles, y).transform(profiles)
    shuffled = clone(preprocessor).fit(profiles, permuted).transform(profiles)
    np.testing.assert_array_equal(original, shuffled)
    pipeline = make_model("logistic_regression", "random_over").fit(profiles, y)
    imputer = pipeline.named_steps["features"].named_transformers_["experience"]
    assert imputer.fill_value_ == profiles["experience"].median()


def test_leaky_imputation_uses_each_class_mean(profiles):
    leaked = impute_experience_by_class_leaky(profiles)
    missing = profiles["experience"].isna()
    assert missing.any() and leaked["experience"].notna().all()
    class_means = profiles.groupby("profile")["experience"].mean()
    expected = profiles.loc[missing, "profile"].map(class_means).to_numpy()
    np.testing.assert_allclose(leaked.loc[missing, "experience"].to_numpy(), expected)


def test_unseen_city_and_company_go_to_the_infrequent_bucket(profiles):
    y = profiles["profile"].astype(object).to_numpy()
    preprocessor = build_preprocessor().fit(profiles, y)
    new = profiles.head(1).copy()
    new["city"] = pd.array(["Saint-Etienne"], dtype="string")
    new["company"] = pd.array(["Never Seen SA"], dtype="string")
    row = preprocessor.transform(new)
    names = list(preprocessor.get_feature_names_out())
    assert row[0, names.index("city_other")] == 1
    assert row[0, names.index("company_other")] == 1
