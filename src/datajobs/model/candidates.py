"""Factories returning *unfitted* pipelines: every candidate model × imbalance strategy.

Each pipeline takes the canonical frame of :func:`datajobs.data.loading.load_profiles` and contains every
fitted step (encoders, imputers, samplers), so cross-validation fits them on training folds only.
Resampling happens inside :class:`imblearn.pipeline.Pipeline`, which applies samplers during
``fit`` and never during ``predict``.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
from catboost import CatBoostClassifier
from imblearn.over_sampling import SMOTE, RandomOverSampler
from imblearn.pipeline import Pipeline
from imblearn.under_sampling import RandomUnderSampler
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import AdaBoostClassifier, HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from datajobs.config import CATBOOST_PARAMS, SEED
from datajobs.model.columns import stack_text
from datajobs.model.features import (
    CATEGORICAL_CATBOOST_COLUMNS,
    build_preprocessor,
    catboost_frame,
    split_technology_column,
)

MODEL_NAMES: tuple[str, ...] = (
    "dummy", "stack_lookup", "stack_diploma_lookup", "stack_experience_lookup", "knn", "decision_tree", "random_forest", "adaboost", "svm",
    "logistic_regression", "hist_gradient_boosting", "catboost",
)
STRATEGIES: tuple[str, ...] = ("none", "class_weight", "random_over", "smote", "random_under")

# Models whose scikit-learn estimator takes class_weight="balanced".
_CLASS_WEIGHT_MODELS = {"decision_tree", "random_forest", "svm", "logistic_regression",
                        "hist_gradient_boosting", "catboost"}
# Baselines a domain expert would try first: the majority profile per exact technology stack
# (and per stack and diploma, per stack and years of experience: how a recruiter tells a lead from
# a data scientist). They read the canonical frame directly and take no strategy.
LOOKUP_KEYS: dict[str, tuple[str, ...]] = {"stack_lookup": ("technologies",),
                                           "stack_diploma_lookup": ("technologies", "diploma"),
                                           "stack_experience_lookup": ("technologies", "experience")}
# The baselines of every comparison: the dummy and the lookups.
BASELINE_MODELS: tuple[str, ...] = ("dummy", *LOOKUP_KEYS)
# Models that need standardised inputs.
_SCALED_MODELS = {"knn", "svm", "logistic_regression"}


def supports(model: str, strategy: str) -> bool:
    """Whether ``strategy`` applies to ``model`` (e.g. k-NN has no class weights, and SMOTE needs
    the numeric matrix that CatBoost's native categories do not give)."""
    if strategy == "class_weight":
        return model in _CLASS_WEIGHT_MODELS
    if model == "dummy" or model in LOOKUP_KEYS:
        return strategy == "none"
    if strategy == "smote":
        return model != "catboost"
    return True


class CatBoostFeatures(TransformerMixin, BaseEstimator):
    """Canonical frame → CatBoost's frame (technology vocabulary learnt on the training fold)."""

    def __init__(self, include_company: bool = True):
        self.include_company = include_company

    def fit(self, X, y=None):
        self.vocabulary_ = sorted({item for items in split_technology_column(X["technologies"]) for item in items})
        return self

    def transform(self, X):
        return catboost_frame(X, self.vocabulary_, self.include_company)


class CatBoostProfileClassifier(ClassifierMixin, BaseEstimator):
    """CatBoost with native categorical columns, safe to ``clone``.

    Categorical columns are passed at fit time (never as a constructor list, which breaks
    :func:`sklearn.base.clone`), labels are converted from pandas string arrays, and
    :meth:`predict_proba` columns follow ``classes_``.
    """

    def __init__(self, iterations: int = CATBOOST_PARAMS["iterations"], depth: int = CATBOOST_PARAMS["depth"],
                 learning_rate: float = CATBOOST_PARAMS["learning_rate"],
                 l2_leaf_reg: float = CATBOOST_PARAMS["l2_leaf_reg"],
                 class_weights: str | None = CATBOOST_PARAMS["class_weights"],
                 max_ctr_complexity: int | None = CATBOOST_PARAMS["max_ctr_complexity"],
                 random_seed: int = SEED, thread_count: int = -1):
        self.iterations = iterations
        self.depth = depth
        self.learning_rate = learning_rate
        self.l2_leaf_reg = l2_leaf_reg
        self.class_weights = class_weights
        self.max_ctr_complexity = max_ctr_complexity
        self.random_seed = random_seed
        self.thread_count = thread_count

    def make_estimator(self) -> CatBoostClassifier:
        return CatBoostClassifier(
            iterations=self.iterations, depth=self.depth, learning_rate=self.learning_rate,
            l2_leaf_reg=self.l2_leaf_reg, auto_class_weights=self.class_weights,
            random_seed=self.random_seed, thread_count=self.thread_count, verbose=False,
            allow_writing_files=False,
            # None: CatBoost's own default (combinations of up to 4 categorical columns).
            **({} if self.max_ctr_complexity is None else {"max_ctr_complexity": self.max_ctr_complexity}),
        )

    def fit(self, X: pd.DataFrame, y, sample_weight=None):
        labels = np.asarray(pd.Series(y).astype(object).to_numpy(), dtype=object)
        cat_features = [column for column in X.columns if column in CATEGORICAL_CATBOOST_COLUMNS]
        self.model_ = self.make_estimator()
        self.model_.fit(X, labels, cat_features=cat_features, sample_weight=sample_weight)
        self.classes_ = np.asarray(self.model_.classes_, dtype=object)
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return self.model_.predict_proba(X)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


SMOTE_NEIGHBOURS = 5
KNN_NEIGHBOURS = 15


class AdaptiveSMOTE(SMOTE):
    """SMOTE whose ``k_neighbors`` shrinks to what the smallest class of the training fold allows.

    A small file (a few rows of a label per fold) would otherwise stop SMOTE with "Expected
    n_neighbors <= n_samples"; the book says on its page when folds are that small.
    """

    def _fit_resample(self, X, y):
        requested = self.k_neighbors
        smallest = int(np.min(np.unique(y, return_counts=True)[1]))
        self.k_neighbors = max(1, min(requested, smallest - 1))
        try:
            return super()._fit_resample(X, y)
        finally:
            self.k_neighbors = requested


class AdaptiveKNeighborsClassifier(KNeighborsClassifier):
    """k-NN that asks for at most as many neighbours as the training fold has rows."""

    def kneighbors(self, X=None, n_neighbors=None, return_distance=True):
        n_neighbors = n_neighbors or min(self.n_neighbors, self.n_samples_fit_)
        return super().kneighbors(X, n_neighbors, return_distance)


class AdaptiveHistGradientBoosting(HistGradientBoostingClassifier):
    """Histogram gradient boosting whose early stopping steps aside on a fold too small for it.

    Early stopping holds out a stratified ``validation_fraction`` of the training fold, which needs
    two rows of every class and a held-out part with a row per class; a small file's fold may have
    neither, and is then fitted with every iteration.
    """

    def fit(self, X, y, sample_weight=None):
        counts = np.unique(np.asarray(y, dtype=object), return_counts=True)[1]
        requested = self.early_stopping
        if self.early_stopping is True and (counts.min() < 2 or len(y) * self.validation_fraction < len(counts)):
            self.early_stopping = False
        try:
            return super().fit(X, y, sample_weight=sample_weight)
        finally:
            self.early_stopping = requested


class CodedAdaBoostClassifier(AdaBoostClassifier):
    """AdaBoost fitted on integer codes of the labels: the same trees and predictions, faster.

    Each boosting round refits a tree, and each tree fit sorts the labels to find the classes: on
    text labels that sort was a third of AdaBoost's time. Codes follow the labels' sorted order,
    as scikit-learn's own classes do, so every tie breaks the same way; :meth:`predict` returns
    the labels.
    """

    def fit(self, X, y, sample_weight=None):
        labels, codes = np.unique(np.asarray(y, dtype=object), return_inverse=True)
        super().fit(X, codes, sample_weight)
        self.labels_ = labels
        return self

    def predict(self, X):
        return self.labels_[super().predict(X)]


def stack_key(technologies: pd.Series) -> pd.Series:
    """The technology stack of each profile as an order-free key (``AWS/Java`` = ``Java/AWS``)."""
    # Few distinct stacks, many rows: key each distinct value once.
    distinct = pd.unique(technologies.to_numpy(dtype=object))
    keys = {value: stack_text(items) for value, items in zip(distinct, split_technology_column(distinct),
                                                                         strict=True)}
    return pd.Series([keys[value] for value in technologies.to_numpy(dtype=object)], index=technologies.index,
                     dtype=object)


class LookupClassifier(ClassifierMixin, BaseEstimator):
    """The majority profile of each exact combination of ``keys`` seen in training.

    A combination never seen in training falls back to the majority of its first key alone (the
    stack), then to the overall majority. This is the rule a recruiter with the training table in
    hand would apply; a model is only worth its complexity where it beats it.

    Parameters
    ----------
    keys : tuple of str
        Columns of the canonical frame; ``technologies`` is compared as an unordered set.
    """

    def __init__(self, keys: tuple[str, ...] = ("technologies",)):
        self.keys = keys

    def _keys(self, X: pd.DataFrame) -> list:
        """One hashable key per row: the stack alone, or a tuple (stack, diploma, …)."""
        columns = [stack_key(X[key]).to_numpy() if key == "technologies"
                   else X[key].astype(object).fillna("(missing)").to_numpy(dtype=object) for key in self.keys]
        return list(columns[0]) if len(columns) == 1 else list(zip(*columns, strict=True))

    @staticmethod
    def _majority(keys: list, y: np.ndarray) -> dict:
        counts = Counter(zip(keys, y, strict=True))
        table: dict = {}
        # Most frequent label per key; a tie goes to the label first in alphabetical order.
        for (key, label), _ in sorted(counts.items(), key=lambda item: (-item[1], item[0][1])):
            table.setdefault(key, label)
        return table

    def fit(self, X: pd.DataFrame, y):
        y = np.asarray(pd.Series(y).astype(object), dtype=object)
        keys = self._keys(X)
        stacks = [key[0] for key in keys] if len(self.keys) > 1 else keys
        self.classes_ = np.asarray(sorted(set(y)), dtype=object)
        self.table_ = self._majority(keys, y)
        self.first_key_table_ = self._majority(stacks, y)
        self.majority_ = Counter(y).most_common(1)[0][0]
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        keys = self._keys(X)
        stacks = [key[0] for key in keys] if len(self.keys) > 1 else keys
        return np.asarray([self.table_.get(key, self.first_key_table_.get(stack, self.majority_))
                           for key, stack in zip(keys, stacks, strict=True)], dtype=object)


def _sampler(strategy: str, seed: int):
    if strategy == "random_over":
        return RandomOverSampler(random_state=seed)
    if strategy == "random_under":
        return RandomUnderSampler(random_state=seed)
    if strategy == "smote":
        return AdaptiveSMOTE(random_state=seed, k_neighbors=SMOTE_NEIGHBOURS)
    return None


def _classifier(model: str, balanced: bool, seed: int, fast: bool):
    weight = "balanced" if balanced else None
    factories = {
        "dummy": lambda: DummyClassifier(strategy="stratified", random_state=seed),
        "knn": lambda: AdaptiveKNeighborsClassifier(n_neighbors=KNN_NEIGHBOURS, weights="distance"),
        "decision_tree": lambda: DecisionTreeClassifier(max_depth=12, min_samples_leaf=3,
                                                        class_weight=weight, random_state=seed),
        "random_forest": lambda: RandomForestClassifier(n_estimators=100 if fast else 200,
                                                        min_samples_leaf=2, class_weight=weight,
                                                        n_jobs=1, random_state=seed),
        "adaboost": lambda: CodedAdaBoostClassifier(
            estimator=DecisionTreeClassifier(max_depth=3, random_state=seed),
            n_estimators=40 if fast else 100, learning_rate=0.5, random_state=seed),
        "svm": lambda: SVC(C=3.0, gamma="scale", class_weight=weight, random_state=seed),
        "logistic_regression": lambda: LogisticRegression(C=1.0, max_iter=2000, class_weight=weight),
        # Stops when 5 more iterations do not improve the loss on 10 % of the training fold. On the
        # reference file (5 x 2 folds) that scores as well as waiting 10 iterations (+0.0006 to
        # +0.0012 macro-F1 for each strategy) in 20 % less time; waiting 10 had already scored as
        # well as the full 100 iterations, in half their time.
        "hist_gradient_boosting": lambda: AdaptiveHistGradientBoosting(
            max_iter=50 if fast else 100, learning_rate=0.15, class_weight=weight, random_state=seed,
            early_stopping=True, validation_fraction=0.1, n_iter_no_change=5),
        # Fewer, larger steps than the final model: the grid fits it many times.
        "catboost": lambda: CatBoostProfileClassifier(
            iterations=120 if fast else 300, learning_rate=0.25 if fast else 0.2,
            class_weights="Balanced" if balanced else None, random_seed=seed, thread_count=1),
    }
    if model not in factories:
        raise ValueError(f"unknown model {model!r}; choose from {', '.join(MODEL_NAMES)}")
    return factories[model]()


def make_model(model: str, strategy: str = "none", seed: int = SEED, include_company: bool = True,
               fast: bool = False) -> Pipeline:
    """An unfitted pipeline: features → (sampler) → classifier.

    Parameters
    ----------
    model : str
        One of :data:`MODEL_NAMES`.
    strategy : str
        One of :data:`STRATEGIES`; see :func:`supports` for the combinations that exist.
    seed : int
        Seed of the sampler and the classifier.
    include_company : bool
        Use the company as a feature.
    fast : bool
        Fewer trees and iterations (the quick profile for tests and teaching).
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; choose from {', '.join(STRATEGIES)}")
    if not supports(model, strategy):
        raise ValueError(f"strategy {strategy!r} does not apply to model {model!r}")
    if model in LOOKUP_KEYS:
        return Pipeline([("classifier", LookupClassifier(keys=LOOKUP_KEYS[model]))])
    if model == "catboost":
        steps = [("features", CatBoostFeatures(include_company=include_company))]
    else:
        steps = [("features", build_preprocessor(include_company=include_company))]
        if model in _SCALED_MODELS:
            steps.append(("scale", StandardScaler()))
    sampler = _sampler(strategy, seed)
    if sampler is not None:
        steps.append(("sampler", sampler))
    steps.append(("classifier", _classifier(model, strategy == "class_weight", seed, fast)))
    return Pipeline(steps)


# The original study's model: CatBoost, 200 iterations, depth 3, learning rate 0.4, no company.
# The study left the categorical combinations at CatBoost's default.
SEED_STUDY_PARAMS = {"iterations": 200, "depth": 3, "learning_rate": 0.4, "l2_leaf_reg": 3.0, "class_weights": None,
                     "max_ctr_complexity": None}


def make_seed_study_model(seed: int = SEED, thread_count: int = 1) -> Pipeline:
    """The seed study's CatBoost configuration as an unfitted pipeline (its leaky imputation is
    :func:`datajobs.model.features.impute_experience_by_class_leaky`, applied to the data beforehand)."""
    return Pipeline([
        ("features", CatBoostFeatures(include_company=False)),
        ("classifier", CatBoostProfileClassifier(**SEED_STUDY_PARAMS, random_seed=seed, thread_count=thread_count)),
    ])


def candidate_grid(models: tuple[str, ...] = MODEL_NAMES,
                   strategies: tuple[str, ...] = STRATEGIES) -> list[tuple[str, str]]:
    """Every (model, strategy) pair that exists, in a stable order."""
    return [(model, strategy) for model in models for strategy in strategies if supports(model, strategy)]
