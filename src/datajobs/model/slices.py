"""How the model does on groups of profiles: per city, company, diploma and band of experience.

A group's scores come with their counts and 95 % intervals (Wilson for accuracy, a percentile
bootstrap for macro-F1); a group with fewer than :data:`MIN_GROUP_ROWS` rows is shown but not
judged. Whether the largest gap between judged groups of a column is beyond chance is tested by
permutation: group membership is shuffled *within each true job*, so a group that merely holds more
of a hard job does not look worse for it. The columns' p-values are adjusted with Holm's method.

The model card (:mod:`datajobs.report.model_card`) and the monitoring of a new batch
(:mod:`datajobs.ops.monitor`) both slice with these functions.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from datajobs.model.evaluate import holm_adjust, macro_f1_of_resamples

MIN_GROUP_ROWS = 100  # fewer rows: the group is shown, its scores are too uncertain to judge
TOP_COMPANIES = 8  # companies named one by one; the others are pooled
NOT_GIVEN = "not given"
OTHER_COMPANIES = "other companies"
# The columns a profile is grouped by, in the order the card shows them, with the name a reader sees.
GROUP_COLUMNS: dict[str, str] = {"city": "city", "company": "company", "diploma": "diploma",
                                 "experience_band": "experience"}


def experience_bands(years: pd.Series) -> pd.Series:
    """The study's experience level of each profile in words (``débutant (under 2 years)``, …),
    ``not given`` when the experience is missing."""
    from datajobs.model.features import experience_level
    from datajobs.model.names import experience_level_name

    level = experience_level(pd.to_numeric(years, errors="coerce")).astype(object)
    return level.map(lambda name: NOT_GIVEN if pd.isna(name) else experience_level_name(str(name)))


def profile_groups(frame: pd.DataFrame, top_companies: int = TOP_COMPANIES) -> pd.DataFrame:
    """The group of each profile for every column of :data:`GROUP_COLUMNS`, as text.

    Parameters
    ----------
    frame : DataFrame
        Profiles as :func:`datajobs.data.loading.load_profiles` returns them.
    top_companies : int
        The most frequent companies keep their name; the others are pooled as ``other companies``.

    Returns
    -------
    DataFrame
        Same index as ``frame``, one text column per group column; a missing value is ``not given``.
    """
    def text(column: str) -> pd.Series:
        values = frame[column].astype(object)
        return values.where(values.notna() & (values.astype(str).str.strip() != ""), NOT_GIVEN).astype(str)

    company = text("company")
    named = company[company != NOT_GIVEN].value_counts().index[:top_companies]
    company = company.where(company.isin(named) | (company == NOT_GIVEN), OTHER_COMPANIES)
    return pd.DataFrame({"city": text("city"), "company": company, "diploma": text("diploma"),
                         "experience_band": experience_bands(frame["experience"]).to_numpy()}, index=frame.index)


def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion (NaN, NaN without trials).

    Unlike the normal approximation it stays inside [0, 1] and keeps its coverage for small groups
    and proportions near 0 or 1.
    """
    from scipy.stats import norm

    if trials == 0:
        return float("nan"), float("nan")
    z = float(norm.ppf(1 - (1 - confidence) / 2))
    share = successes / trials
    centre = (share + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * math.sqrt(share * (1 - share) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    return max(0.0, centre - half), min(1.0, centre + half)


def _codes(truth: np.ndarray, predicted: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Integer codes of the jobs present among ``truth`` (-1: a prediction outside them)."""
    present = list(dict.fromkeys(sorted(map(str, truth))))
    index = {label: code for code, label in enumerate(present)}
    return (np.array([index[str(label)] for label in truth], dtype=int),
            np.array([index.get(str(label), -1) for label in predicted], dtype=int), len(present))


def group_macro_f1(truth, predicted, n_resamples: int = 1000, confidence: float = 0.95,
                   seed: int = 0) -> tuple[float, float, float]:
    """Macro-F1 of one group over the jobs present in it, and its percentile-bootstrap interval.

    Returns
    -------
    (macro_f1, low, high)
        NaN for an empty group.
    """
    truth = np.asarray(truth, dtype=object)
    predicted = np.asarray(predicted, dtype=object)
    if len(truth) == 0:
        return float("nan"), float("nan"), float("nan")
    true_codes, predicted_codes, n_labels = _codes(truth, predicted)
    score = float(macro_f1_of_resamples(true_codes, predicted_codes, np.arange(len(truth))[np.newaxis, :],
                                         n_labels)[0])
    resamples = np.random.default_rng(seed).integers(0, len(truth), size=(n_resamples, len(truth)))
    samples = macro_f1_of_resamples(true_codes, predicted_codes, resamples, n_labels)
    tail = (1 - confidence) / 2
    low, high = np.quantile(samples, [tail, 1 - tail])
    return score, float(low), float(high)


def slice_scores(groups: pd.DataFrame, truth, predicted, covered=None, min_rows: int = MIN_GROUP_ROWS,
                 n_resamples: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Scores of every group of every column, with counts and intervals.

    Parameters
    ----------
    groups : DataFrame
        :func:`profile_groups` of the scored rows (one text column per group column).
    truth, predicted : array-like
        True and predicted jobs of the same rows, in the same order.
    covered : array-like of bool, optional
        Whether each row's prediction set holds its true job; adds ``coverage`` and its interval.
    min_rows : int
        Groups with fewer rows are kept with ``judged`` False.
    n_resamples, seed : int
        Bootstrap resamples of macro-F1, and their seed.

    Returns
    -------
    DataFrame
        One row per column and group, largest groups first: ``column``, ``group``, ``rows``,
        ``accuracy`` with ``accuracy_low`` / ``accuracy_high`` (Wilson), ``macro_f1`` with
        ``macro_f1_low`` / ``macro_f1_high`` (bootstrap), optionally ``coverage`` with its Wilson
        interval, and ``judged``.
    """
    truth = np.asarray(truth, dtype=object)
    predicted = np.asarray(predicted, dtype=object)
    right = truth == predicted
    covered = None if covered is None else np.asarray(covered, dtype=bool)
    records = []
    for column in groups.columns:
        values = groups[column].to_numpy()
        counts = pd.Series(values).value_counts()
        for group, rows in counts.items():
            members = values == group
            hits = int(right[members].sum())
            low, high = wilson_interval(hits, int(rows))
            f1, f1_low, f1_high = group_macro_f1(truth[members], predicted[members], n_resamples, seed=seed)
            record = {"column": column, "group": group, "rows": int(rows), "accuracy": hits / rows,
                      "accuracy_low": low, "accuracy_high": high, "macro_f1": f1, "macro_f1_low": f1_low,
                      "macro_f1_high": f1_high}
            if covered is not None:
                held = int(covered[members].sum())
                record.update(coverage=held / rows, **dict(zip(("coverage_low", "coverage_high"),
                                                               wilson_interval(held, int(rows)), strict=True)))
            records.append({**record, "judged": int(rows) >= min_rows})
    return pd.DataFrame(records)


def _group_accuracies(right: np.ndarray, codes: np.ndarray, judged: np.ndarray) -> np.ndarray:
    sizes = np.bincount(codes, minlength=len(judged))
    hits = np.bincount(codes, weights=right, minlength=len(judged))
    return hits[judged] / sizes[judged]


def gap_permutation_test(groups, truth, predicted, min_rows: int = MIN_GROUP_ROWS, n_permutations: int = 1000,
                         seed: int = 0) -> dict:
    """Is the largest accuracy gap between the judged groups of one column beyond chance?

    The statistic is the best judged group's accuracy minus the worst's. Under the null hypothesis
    that a profile's group does not change whether the model is right *given its true job*, group
    labels can be shuffled among the profiles of each job; the p-value is the share of
    ``n_permutations`` shuffles whose gap is at least the observed one (counting the observed
    arrangement, so it is never zero).

    Returns
    -------
    dict
        ``judged_groups`` (how many have ``min_rows`` rows or more), ``best`` and ``worst`` groups
        with their accuracies and rows, ``gap`` and ``p_value``; NaN gap and p-value, and no best or
        worst, with fewer than two judged groups.
    """
    groups = np.asarray(groups, dtype=object)
    truth = np.asarray(truth, dtype=object)
    right = (truth == np.asarray(predicted, dtype=object)).astype(float)
    names, codes = np.unique(groups.astype(str), return_inverse=True)
    sizes = np.bincount(codes, minlength=len(names))
    judged = sizes >= min_rows
    outcome = {"judged_groups": int(judged.sum()), "best": None, "worst": None, "best_accuracy": float("nan"),
               "worst_accuracy": float("nan"), "best_rows": 0, "worst_rows": 0, "gap": float("nan"),
               "p_value": float("nan"), "n_permutations": int(n_permutations)}
    if judged.sum() < 2:
        return outcome
    accuracies = _group_accuracies(right, codes, judged)
    judged_names, judged_sizes = names[judged], sizes[judged]
    best, worst = int(np.argmax(accuracies)), int(np.argmin(accuracies))
    gap = float(accuracies[best] - accuracies[worst])
    rng = np.random.default_rng(seed)
    jobs = [np.flatnonzero(truth == job) for job in pd.unique(truth)]
    shuffled = codes.copy()
    at_least = 0
    for _ in range(n_permutations):
        for rows in jobs:
            shuffled[rows] = codes[rows][rng.permutation(len(rows))]
        permuted = _group_accuracies(right, shuffled, judged)
        at_least += (permuted.max() - permuted.min()) >= gap - 1e-12
    outcome.update(best=str(judged_names[best]), worst=str(judged_names[worst]),
                   best_accuracy=float(accuracies[best]), worst_accuracy=float(accuracies[worst]),
                   best_rows=int(judged_sizes[best]), worst_rows=int(judged_sizes[worst]), gap=gap,
                   p_value=(1 + at_least) / (1 + n_permutations))
    return outcome


def group_gaps(groups: pd.DataFrame, truth, predicted, min_rows: int = MIN_GROUP_ROWS,
               n_permutations: int = 1000, seed: int = 0) -> pd.DataFrame:
    """:func:`gap_permutation_test` for every column of ``groups``, with Holm-adjusted p-values.

    Returns
    -------
    DataFrame
        One row per column (index ``column``): the fields of :func:`gap_permutation_test` and
        ``p_holm``, adjusted over the columns tested (a column with fewer than two judged groups is
        not a test).
    """
    table = pd.DataFrame({column: gap_permutation_test(groups[column], truth, predicted, min_rows, n_permutations,
                                                       seed + offset)
                          for offset, column in enumerate(groups.columns)}).T
    table["p_holm"] = holm_adjust(table["p_value"].astype(float).to_numpy())
    return table.rename_axis("column")


def answer_splits(frame: pd.DataFrame, n_splits: int, seed: int, test_size: float = 0.2) -> list:
    """The (fitted rows, answered rows) positions of :func:`cross_validated_answers`: stratified
    ``n_splits``-fold, or, with ``n_splits`` below 2 (a label too small for folds), the single
    stratified split of the CatBoost chapter, whose test rows alone are answered."""
    from sklearn.model_selection import StratifiedKFold, train_test_split

    labels = frame["profile"].astype(str)
    if n_splits >= 2:
        return list(StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed).split(frame, labels))
    fitted, answered = train_test_split(np.arange(len(frame)), test_size=test_size, stratify=labels,
                                        random_state=seed)
    return [(fitted, answered)]


def cross_validated_answers(frame: pd.DataFrame, params: dict, n_splits: int, seed: int, n_jobs: int = -1,
                            level: float = 0.9) -> pd.DataFrame:
    """Every labelled profile answered by the whole procedure fitted without it.

    The final model's procedure (CatBoost, calibration, decision rule, conformal thresholds) is
    fitted on all stratified folds but one and answers the profiles of that fold, for each fold:
    honest answers for every row, so that groups are as large as the data allows
    (:func:`answer_splits`; with ``n_splits`` below 2, only a held-out test split is answered).

    Returns
    -------
    DataFrame
        Indexed like the answered rows of ``frame``: ``fold``, ``truth``, ``predicted``, ``set``
        (the labels of the prediction set at ``level``, most probable first), ``covered`` (the set
        holds the truth) and one ``P(label)`` column per job.
    """
    from datajobs.model.train import fit_profile_model

    parts = []
    for fold, (fit_rows, scored_rows) in enumerate(answer_splits(frame, n_splits, seed)):
        model = fit_profile_model(frame.iloc[fit_rows], params=params, seed=seed, n_jobs=n_jobs)
        scored = frame.iloc[scored_rows]
        probabilities = model.predict_proba(scored)
        predicted = model.decision.predict(probabilities)
        sets, _ = model.prediction_sets(probabilities, predicted, level)
        truth = scored["profile"].astype(object).to_numpy()
        part = pd.DataFrame({"fold": fold, "truth": truth, "predicted": predicted,
                             "set": sets, "covered": [job in members for job, members in zip(truth, sets, strict=True)]},
                            index=scored.index)
        for position, label in enumerate(model.classes):
            part[f"P({label})"] = probabilities[:, position]
        parts.append(part)
    answered = pd.concat(parts)
    return answered.reindex([index for index in frame.index if index in answered.index])
