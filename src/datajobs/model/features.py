"""Feature transformers, each fitted on training folds only.

The input of every transformer is the canonical frame of :func:`datajobs.data.loading.load_profiles`
(columns ``company``, ``technologies``, ``diploma``, ``experience``, ``city``). Nothing here looks
at the label, except :func:`impute_experience_by_class_leaky`, which exists only so that the book
can measure what that leak does to a score.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer

from datajobs.config import EXPERIENCE_LEVEL_EDGES, EXPERIENCE_LEVELS

# The encodings the scoring path also needs live in datajobs.model.columns (no scikit-learn import there).
from datajobs.model.columns import (  # noqa: F401 (re-exported)
    CATEGORICAL_CATBOOST_COLUMNS,
    MISSING,
    catboost_frame,
    diploma_rank,
    split_technology_column,
)

OTHER = "other"


def experience_level(years: pd.Series) -> pd.Series:
    """The study's level of each experience (débutant < 2, confirmé 2–5, avancé 5–8, expert ≥ 8)."""
    bins = [-np.inf, *EXPERIENCE_LEVEL_EDGES, np.inf]
    return pd.cut(years, bins=bins, labels=list(EXPERIENCE_LEVELS), right=False)


def _column(X, name: str) -> pd.Series:
    if isinstance(X, pd.DataFrame):
        return X[name]
    return pd.Series(np.asarray(X).ravel())


class TechnologyEncoder(TransformerMixin, BaseEstimator):
    """Multi-hot encoding of the technologies column over the vocabulary seen in training.

    Technologies never seen in training are ignored; their counts are kept in
    ``unknown_counts_`` (for the last transform) so callers can report them.

    Parameters
    ----------
    min_count : int
        A technology must occur at least this often in training to get a column.
    add_count : bool
        Add a column with the number of known technologies of the profile.
    """

    def __init__(self, min_count: int = 1, add_count: bool = True):
        self.min_count = min_count
        self.add_count = add_count

    def fit(self, X, y=None):
        counts = Counter(item for items in split_technology_column(_column(X, "technologies")) for item in items)
        self.vocabulary_ = sorted(name for name, count in counts.items() if count >= self.min_count)
        self.index_ = {name: position for position, name in enumerate(self.vocabulary_)}
        self.n_features_in_ = 1
        return self

    def transform(self, X):
        lists = split_technology_column(_column(X, "technologies"))
        matrix = np.zeros((len(lists), len(self.vocabulary_) + self.add_count), dtype=np.float64)
        unknown: Counter = Counter()
        for row, items in enumerate(lists):
            for item in items:
                position = self.index_.get(item)
                if position is None:
                    unknown[item] += 1
                else:
                    matrix[row, position] = 1.0
        if self.add_count:
            matrix[:, -1] = matrix[:, :-1].sum(axis=1)
        self.unknown_counts_ = unknown
        return matrix

    def get_feature_names_out(self, input_features=None):
        names = [f"tech_{name}" for name in self.vocabulary_]
        return np.array(names + (["n_technologies"] if self.add_count else []), dtype=object)


class ExperienceFeatures(TransformerMixin, BaseEstimator):
    """Experience in years, imputed with a statistic of the training fold, plus a missing flag and
    the study's four levels (one-hot).

    The imputation value is learnt in :meth:`fit` from the training rows' experience alone: the
    label is never looked at, so permuting labels cannot change it.

    Parameters
    ----------
    strategy : {"median", "mean"}
        Statistic of the training fold used for missing experience.
    add_levels : bool
        Add the one-hot experience levels.
    """

    def __init__(self, strategy: str = "median", add_levels: bool = True):
        self.strategy = strategy
        self.add_levels = add_levels

    def fit(self, X, y=None):
        years = pd.to_numeric(_column(X, "experience"), errors="coerce")
        if self.strategy not in {"median", "mean"}:
            raise ValueError(f"strategy must be 'median' or 'mean', not {self.strategy!r}")
        value = years.median() if self.strategy == "median" else years.mean()
        self.fill_value_ = float(value) if pd.notna(value) else 0.0
        self.n_features_in_ = 1
        return self

    def impute(self, X) -> pd.Series:
        """Experience with missing values replaced by the training statistic."""
        years = pd.to_numeric(_column(X, "experience"), errors="coerce").astype("float64")
        return years.fillna(self.fill_value_)

    def transform(self, X):
        raw = pd.to_numeric(_column(X, "experience"), errors="coerce").astype("float64")
        imputed = raw.fillna(self.fill_value_)
        columns = [imputed.to_numpy(), raw.isna().to_numpy(dtype=np.float64)]
        if self.add_levels:
            levels = experience_level(imputed)
            columns.extend((levels == level).to_numpy(dtype=np.float64) for level in EXPERIENCE_LEVELS)
        return np.column_stack(columns)

    def get_feature_names_out(self, input_features=None):
        names = ["experience_years", "experience_missing"]
        if self.add_levels:
            names += [f"experience_{level}" for level in EXPERIENCE_LEVELS]
        return np.array(names, dtype=object)


class DiplomaRank(TransformerMixin, BaseEstimator):
    """Diploma as an ordered level 0–3; unknown or missing get the training fold's median rank."""

    def fit(self, X, y=None):
        ranks = diploma_rank(_column(X, "diploma"))
        self.fill_value_ = float(ranks.median()) if ranks.notna().any() else 2.0
        self.n_features_in_ = 1
        return self

    def transform(self, X):
        return diploma_rank(_column(X, "diploma")).fillna(self.fill_value_).to_numpy().reshape(-1, 1)

    def get_feature_names_out(self, input_features=None):
        return np.array(["diploma_rank"], dtype=object)


class CategoryOneHot(TransformerMixin, BaseEstimator):
    """One-hot of a categorical column with an ``other`` column that is always there.

    Categories seen at least ``min_count`` times in training get a column; rarer ones, missing
    values and categories never seen (a new city) all go to ``other``.
    """

    def __init__(self, column: str, min_count: int = 20):
        self.column = column
        self.min_count = min_count

    def fit(self, X, y=None):
        counts = _column(X, self.column).dropna().astype(str).value_counts()
        self.categories_ = sorted(counts[counts >= self.min_count].index)
        self.index_ = {category: position for position, category in enumerate(self.categories_)}
        self.n_features_in_ = 1
        return self

    def transform(self, X):
        values = _column(X, self.column)
        matrix = np.zeros((len(values), len(self.categories_) + 1), dtype=np.float64)
        other = len(self.categories_)
        for row, value in enumerate(values):
            matrix[row, self.index_.get(value, other) if isinstance(value, str) else other] = 1.0
        return matrix

    def get_feature_names_out(self, input_features=None):
        return np.array([f"{self.column}_{category}" for category in self.categories_]
                        + [f"{self.column}_{OTHER}"], dtype=object)


def build_preprocessor(include_company: bool = True, min_city_count: int = 20,
                       min_company_count: int = 20) -> ColumnTransformer:
    """Turn the canonical frame into a numeric matrix for scikit-learn models.

    Parameters
    ----------
    include_company : bool
        Encode the company (frequent names one-hot, rare names grouped as ``infrequent``).
    min_city_count, min_company_count : int
        Categories seen fewer times in training are grouped into one ``other`` column, which
        also receives missing values and categories never seen (a new city).
    """
    transformers = [
        ("technologies", TechnologyEncoder(), ["technologies"]),
        ("experience", ExperienceFeatures(), ["experience"]),
        ("diploma", DiplomaRank(), ["diploma"]),
        ("city", CategoryOneHot("city", min_city_count), ["city"]),
    ]
    if include_company:
        transformers.append(("company", CategoryOneHot("company", min_company_count), ["company"]))
    return ColumnTransformer(transformers, remainder="drop", verbose_feature_names_out=False)


def impute_experience_by_class_leaky(frame: pd.DataFrame, label_column: str = "profile") -> pd.DataFrame:
    """**Leaky on purpose.** The original study's imputation: missing experience replaced by the
    mean experience *of the profile's own class*, computed on the whole file before any split.

    The imputed value then tells the model the label (a missing row gets exactly its class mean),
    and test rows were imputed with statistics of themselves. Kept only so the book can measure
    how much this inflates a score; never used by the real pipeline.
    """
    leaked = frame.copy()
    class_means = leaked.groupby(label_column, observed=True)["experience"].transform("mean")
    leaked["experience"] = leaked["experience"].fillna(class_means)
    return leaked


def feature_source(feature: str) -> str:
    """The CV field a column of :func:`catboost_frame` comes from (``tech_Python`` → ``technologies``)."""
    if feature.startswith("tech_") or feature == "n_technologies":
        return "technologies"
    if feature.startswith("experience_"):
        return "experience"
    return {"diploma_rank": "diploma"}.get(feature, feature)


def encode_by_majority_profile_leaky(frame: pd.DataFrame, column: str = "company",
                                     label_column: str = "profile") -> pd.DataFrame:
    """**Leaky on purpose.** Replace each value of ``column`` by the most frequent profile among
    the rows sharing that value, computed on the whole file before any split (a target encoding
    done too early).

    A value seen once is replaced by that row's own label, so the model reads the answer from the
    feature; in cross-validation, test rows were encoded with their own labels. Kept only for the
    exercise that reproduces the leakage lesson on a new feature.

    Parameters
    ----------
    frame : DataFrame
        Canonical labelled profiles.
    column : str
        The categorical column to encode (``company`` or ``city``).
    label_column : str
        The target column.

    Returns
    -------
    DataFrame
        A copy of ``frame`` whose ``column`` holds profile names; missing values stay missing.
    """
    leaked = frame.copy()
    majority = (leaked.dropna(subset=[column, label_column]).groupby(column, observed=True)[label_column]
                .agg(lambda labels: labels.value_counts().index[0]))
    leaked[column] = leaked[column].map(majority).astype("string")
    return leaked
