"""How prediction sets keep their promise: coverage per class with binomial intervals, set sizes, the
risk–coverage curve, and whether a shortfall is beyond chance."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from datajobs.model.conformal import LEVELS, ConformalSets, coverage_by_class, fit_conformal_sets, level_key

SET_SEPARATOR = " | "


def binomial_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Clopper–Pearson (exact) interval of a proportion; (nan, nan) without trials."""
    from scipy.stats import beta

    if trials == 0:
        return float("nan"), float("nan")
    tail = (1 - confidence) / 2
    low = 0.0 if successes == 0 else float(beta.ppf(tail, successes, trials - successes + 1))
    high = 1.0 if successes == trials else float(beta.ppf(1 - tail, successes + 1, trials - successes))
    return low, high


def shortfall_p_value(covered: int, rows: int, level: float) -> float:
    """P(at most ``covered`` of ``rows`` in their set) if the true coverage were ``level``: small when
    the class falls below its level beyond what chance explains (one-sided exact binomial test)."""
    from scipy.stats import binom

    return float(binom.cdf(covered, rows, level)) if rows else float("nan")


def coverage_table(sets_by_level: dict[float, list[list[str]]], truth, classes: tuple[str, ...]) -> pd.DataFrame:
    """One row per level and class: rows, covered, coverage and its 95 % interval, p-value of a shortfall."""
    records = []
    for level, sets in sets_by_level.items():
        for label, (covered, rows) in coverage_by_class(sets, truth, classes).items():
            low, high = binomial_interval(covered, rows)
            records.append({"level": level, "class": label, "rows": rows, "covered": covered,
                            "coverage": covered / rows if rows else float("nan"), "low": low, "high": high,
                            "shortfall_p": shortfall_p_value(covered, rows, level)})
    return pd.DataFrame(records)


def set_text(members: list[str]) -> str:
    """A set as one text, most probable first: ``Data scientist | Lead data scientist``."""
    return SET_SEPARATOR.join(members)


def set_sizes(sets: list[list[str]]) -> pd.DataFrame:
    """How many profiles get a set of each size, and their share."""
    counts = pd.Series([len(members) for members in sets]).value_counts().sort_index()
    return pd.DataFrame({"profiles": counts, "share": counts / counts.sum()}).rename_axis("set size")


def set_combinations(sets: list[list[str]], classes: tuple[str, ...]) -> pd.DataFrame:
    """Which sets occur (labels in class order, whatever their probabilities), most frequent first."""
    order = {label: position for position, label in enumerate(classes)}
    counts = Counter(" + ".join(sorted(members, key=order.__getitem__)) for members in sets)
    frame = pd.DataFrame(counts.most_common(), columns=["set", "profiles"]).set_index("set")
    frame["share"] = frame["profiles"] / frame["profiles"].sum()
    return frame


def risk_coverage(conformal_probabilities: np.ndarray, conformal_index: np.ndarray, probabilities: np.ndarray,
                  labels, truth, classes: tuple[str, ...], levels: np.ndarray | None = None) -> pd.DataFrame:
    """Accuracy when the model answers only for a single-label set, against the share it answers.

    For each level, class floors are read from the conformal rows and the sets built for the scored
    rows; a profile is answered when its set is its label alone.
    """
    levels = np.round(np.arange(0.50, 0.991, 0.01), 2) if levels is None else levels
    truth = np.asarray(truth, dtype=object)
    labels = np.asarray(labels, dtype=object)
    records = []
    for level in levels:
        sets = fit_conformal_sets(conformal_probabilities, conformal_index, classes, levels=(float(level),))
        members, _ = sets.prediction_sets(probabilities, labels, float(level))
        answered = np.array([len(item) == 1 for item in members])
        records.append({"level": float(level), "answered": float(answered.mean()),
                        "accuracy_answered": float((labels[answered] == truth[answered]).mean())
                        if answered.any() else float("nan"),
                        "mean_set_size": float(np.mean([len(item) for item in members]))})
    return pd.DataFrame(records)


def marginal_sets(floor: float, probabilities: np.ndarray, labels, classes: tuple[str, ...]) -> list[list[str]]:
    """Sets with one floor for every class (the marginal method), holding the label as the others do."""
    single = ConformalSets(classes=classes, floors={level_key(0.5): dict.fromkeys(classes, floor)},
                           rows={}, source="marginal")
    members, _ = single.prediction_sets(probabilities, labels, 0.5)
    return members


def outer_folds(counts: dict[str, int], wanted: int, needed: int = 3) -> int:
    """The most folds, up to ``wanted``, that leave every class ``needed`` rows to fit on (0: none)."""
    import math

    smallest = min(counts.values())
    return next((folds for folds in range(wanted, 1, -1) if smallest - math.ceil(smallest / folds) >= needed), 0)


def coverage_across_folds(frame: pd.DataFrame, params: dict, n_splits: int, seed: int, n_jobs: int = -1,
                          levels: tuple[float, ...] = LEVELS) -> pd.DataFrame:
    """The whole procedure (model, calibration, rule, thresholds) fitted on all folds but one and its
    sets scored on that fold, for each fold: :func:`coverage_table` rows with a ``fold`` column."""
    from sklearn.model_selection import StratifiedKFold

    from datajobs.model.train import fit_profile_model

    labels = frame["profile"].astype(str)
    folds = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    tables = []
    for fold, (fit_rows, scored_rows) in enumerate(folds.split(frame, labels)):
        model = fit_profile_model(frame.iloc[fit_rows], params=params, seed=seed, n_jobs=n_jobs)
        probabilities = model.predict_proba(frame.iloc[scored_rows])
        predicted = model.decision.predict(probabilities)
        sets = {level: model.prediction_sets(probabilities, predicted, level)[0] for level in levels}
        truth = frame["profile"].iloc[scored_rows].astype(object).to_numpy()
        tables.append(coverage_table(sets, truth, model.classes).assign(fold=fold))
    return pd.concat(tables, ignore_index=True)
