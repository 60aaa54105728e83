"""Names as readers see them: models, imbalance strategies, features and experience levels in
words (columns and metrics: :mod:`datajobs.model.names`), and scored profiles in a table that fits the page.

The results files, the tracking store and the code keep the code names (``hist_gradient_boosting``,
``class_weight``, ``f1_lead_data_scientist``); the book's tables, figures and sentences show these
words instead. A name that is not known here is shown as it is.
"""

from __future__ import annotations

import pandas as pd

from datajobs.config import PROFILE_LABELS
from datajobs.model.names import column_name, experience_level_name  # noqa: F401 (re-exported)

MODEL_WORDS: dict[str, str] = {
    "dummy": "dummy",
    "stack_lookup": "stack lookup",
    "stack_diploma_lookup": "stack + diploma lookup",
    "stack_experience_lookup": "stack + experience lookup",
    "knn": "k-nearest neighbours",
    "decision_tree": "decision tree",
    "random_forest": "random forest",
    "adaboost": "AdaBoost",
    "svm": "SVM",
    "logistic_regression": "logistic regression",
    "hist_gradient_boosting": "histogram gradient boosting",
    "catboost": "CatBoost",
}
STRATEGY_WORDS: dict[str, str] = {
    "none": "none",
    "class_weight": "class weights",
    "random_over": "random over-sampling",
    "smote": "SMOTE",
    "random_under": "random under-sampling",
}


_FEATURE_NAMES = {"n_technologies": "number of technologies", "experience_years": "years of experience",
                  "experience_value": "exact years (as a category)", "experience_missing": "experience missing",
                  "diploma_rank": "diploma level"}


def feature_name(feature: str) -> str:
    """A column of the model's frame in words: ``tech_R`` → ``R``, ``experience_value`` → ``exact
    years (as a category)``, ``diploma_rank`` → ``diploma level``."""
    if feature.startswith("tech_"):
        return feature.removeprefix("tech_")
    return _FEATURE_NAMES.get(feature, feature)


def model_name(model: str) -> str:
    """``hist_gradient_boosting`` → ``histogram gradient boosting``."""
    return MODEL_WORDS.get(model, model)


def strategy_name(strategy: str) -> str:
    """``class_weight`` → ``class weights``."""
    return STRATEGY_WORDS.get(strategy, strategy)


def configuration_name(model: str, strategy: str) -> str:
    """A (model, imbalance strategy) pair as one name: ``CatBoost / class weights``."""
    return f"{model_name(model)} / {strategy_name(strategy)}"


_VALUE_NAMES = {"model": model_name, "strategy": strategy_name}


def _readable_axis(axis: pd.Index, labels: tuple[str, ...], is_columns: bool) -> pd.Index:
    """An index or columns axis in words: levels named ``model``/``strategy`` have their values
    named, other column names are metric names, and the level names themselves are named too."""
    if isinstance(axis, pd.MultiIndex):
        levels = axis.to_frame(index=False)
        for level in levels.columns:
            if level in _VALUE_NAMES:
                levels[level] = levels[level].map(_VALUE_NAMES[level])
        shown = pd.MultiIndex.from_frame(levels)
    elif axis.name in _VALUE_NAMES:
        shown = axis.map(_VALUE_NAMES[axis.name])
    elif is_columns:
        shown = axis.map(lambda name: column_name(name, labels) if isinstance(name, str) else name)
    else:
        shown = axis.copy()
    shown.names = [column_name(name, labels) if isinstance(name, str) else name for name in axis.names]
    return shown


def readable(table: pd.DataFrame, labels: tuple[str, ...] = PROFILE_LABELS) -> pd.DataFrame:
    """A copy of ``table`` for the page: models, imbalance strategies and column names in words
    (:func:`model_name`, :func:`strategy_name`, :func:`column_name`), in cells, index and columns."""
    shown = table.copy()
    for column, name_of in _VALUE_NAMES.items():
        if column in shown.columns:
            shown[column] = shown[column].map(lambda value, name_of=name_of: name_of(value)
                                              if isinstance(value, str) else value)
    shown.index = _readable_axis(shown.index, labels, is_columns=False)
    shown.columns = _readable_axis(shown.columns, labels, is_columns=True)
    return shown


def scored_table(scored: pd.DataFrame):
    """Profiles scored by :func:`datajobs.model.profile_model.predict_frame` as a table that fits the page (a pandas
    Styler): probabilities to 3 decimals, "not given" for a missing experience, stacks broken after
    each ``/``, long column names and warnings wrapped, every warning shown whole. The columns keep
    the names they have in the scored file (``predicted_metier``, ``proba_<class>``)."""
    probabilities = [column for column in scored.columns if str(column).startswith("proba_")]
    styler = scored.style.hide(axis="index").format("{:.3f}", subset=probabilities)
    if "experience" in scored.columns:
        styler = styler.format("{:g}", subset=["experience"], na_rep="not given")
    if "technologies" in scored.columns:
        styler = styler.format(lambda stack: str(stack).replace("/", "/\u200b"), subset=["technologies"])
    return styler.set_table_styles([{"selector": "", "props": "font-size: 0.8em;"},
                                    {"selector": "th", "props": "overflow-wrap: anywhere;"},
                                    {"selector": "td", "props": "white-space: normal;"}])
