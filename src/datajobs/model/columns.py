"""Encodings of canonical columns that need no scikit-learn: the scoring path imports only these.

``datajobs predict`` must start and score at the speed of a hand-written CatBoost script, so the
frame CatBoost sees is built here, without importing scikit-learn (seconds of start-up), and each
*distinct* value of a column is encoded once and then mapped onto the rows that hold it: a batch
of a million profiles has only a few thousand distinct technology stacks.
:mod:`datajobs.model.features` re-exports these names for the training side.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from datajobs.config import DIPLOMA_LEVELS

MISSING = "missing"
CATEGORICAL_CATBOOST_COLUMNS = ("experience_value", "city", "company")


def split_technology_column(values: pd.Series | np.ndarray | list) -> list[list[str]]:
    """Split ``/``-joined canonical technologies into lists (an empty cell is an empty list)."""
    return [[item for item in str(value).split("/") if item] if isinstance(value, str) else []
            for value in values]


def stack_text(items) -> str:
    """A technology stack as an order-free key: ``Java``, ``AWS`` → ``AWS/Java`` (duplicates once)."""
    return "/".join(sorted(set(items)))


def distinct_codes(values) -> tuple[np.ndarray, list]:
    """Each row's position in the list of distinct values (missing values are one more distinct value).

    Returns ``(codes, distinct)`` with ``distinct[codes[i]]`` the value of row ``i`` (a missing value
    appears as ``None``), so per-row work is done once per distinct value.
    """
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    distinct = list(uniques)
    if (codes < 0).any():
        codes = np.where(codes < 0, len(distinct), codes)
        distinct.append(None)
    return codes, distinct


def diploma_rank(values: pd.Series) -> pd.Series:
    """Diploma as an ordered level 0–3 (No diploma … PhD); an unknown spelling is missing."""
    ranks = {level: float(rank) for rank, level in enumerate(DIPLOMA_LEVELS)}
    codes, distinct = distinct_codes(values)
    distinct_ranks = np.array([ranks.get(value, np.nan) if isinstance(value, str) else np.nan
                               for value in distinct] or [np.nan], dtype="float64")
    return pd.Series(distinct_ranks[codes], index=getattr(values, "index", None), dtype="float64")


def technology_matrix(values, vocabulary: list[str]) -> np.ndarray:
    """Multi-hot ``int8`` matrix of ``/``-joined technologies over ``vocabulary`` (others ignored)."""
    codes, distinct = distinct_codes(values)
    index = {name: position for position, name in enumerate(vocabulary)}
    distinct_hot = np.zeros((len(distinct), len(vocabulary)), dtype=np.int8)
    for row, items in enumerate(split_technology_column(distinct)):
        for item in items:
            position = index.get(item)
            if position is not None:
                distinct_hot[row, position] = 1
    if not len(distinct):
        return np.zeros((0, len(vocabulary)), dtype=np.int8)
    return distinct_hot[codes]


def catboost_frame(X: pd.DataFrame, vocabulary: list[str], include_company: bool = True) -> pd.DataFrame:
    """The frame CatBoost sees: raw experience (NaN kept: CatBoost handles it) and the same value
    as a category, a missing flag, diploma rank, city and company as native categories, and
    technologies multi-hot."""
    multi_hot = technology_matrix(X["technologies"], vocabulary)
    years = pd.to_numeric(X["experience"], errors="coerce").astype("float64").to_numpy()
    year_codes, distinct_years = distinct_codes(years)
    year_labels = np.array([MISSING if value is None or np.isnan(value) else f"{value:g}"
                            for value in distinct_years] or [MISSING], dtype=object)
    columns: dict[str, object] = {
        "experience_years": years,
        # Experience also as a category: the share of Lead data scientists jumps between
        # neighbouring values (2 → 2.5 years) in a way target statistics capture directly.
        "experience_value": year_labels[year_codes],
        "experience_missing": np.isnan(years).astype(np.int8),
        "diploma_rank": diploma_rank(X["diploma"]).to_numpy(),
        "city": X["city"].astype(object).where(X["city"].notna(), MISSING).to_numpy(dtype=object),
    }
    if include_company:
        columns["company"] = X["company"].astype(object).where(X["company"].notna(), MISSING).to_numpy(dtype=object)
    columns["n_technologies"] = multi_hot.sum(axis=1)
    frame = pd.DataFrame(columns)
    technologies = pd.DataFrame(multi_hot, columns=[f"tech_{name}" for name in vocabulary])
    return pd.concat([frame, technologies], axis=1)
