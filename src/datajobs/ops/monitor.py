"""Monitoring: is a new batch of profiles still like the data the model learnt from?

:func:`monitor_batch` compares a batch (labelled or not) with the training reference and returns
one row per check with a verdict (``ok``, ``warn``, ``drift``) against thresholds stated in
:data:`THRESHOLDS`:

- per-feature drift: PSI of experience (reference deciles, missing as its own bin) and of the
  categorical features (city, diploma, company, technologies), with a chi-square p-value;
- categories never seen in training (cities, technologies, diploma spellings);
- change in missingness per column;
- the predicted-profile distribution against the training prior;
- when the batch is labelled, macro-F1 and accuracy against the model's out-of-fold scores.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from datajobs.model.conformal import DEFAULT_LEVEL
from datajobs.model.evaluate import score_predictions
from datajobs.model.features import split_technology_column
from datajobs.model.profile_model import ProfileModel, predict_frame

EPSILON = 1e-4


@dataclass(frozen=True)
class Threshold:
    """``value >= warn`` → warn, ``value >= drift`` → drift (for drops: the value is the drop)."""

    warn: float
    drift: float
    meaning: str

    def verdict(self, value: float) -> str:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return "ok"
        if value >= self.drift:
            return "drift"
        return "warn" if value >= self.warn else "ok"


THRESHOLDS: dict[str, Threshold] = {
    "psi": Threshold(0.10, 0.25, "population stability index; < 0.10 stable, 0.10–0.25 moderate shift, "
                                 "≥ 0.25 major shift"),
    "unseen_share": Threshold(0.01, 0.05, "share of batch rows with a value never seen in training"),
    "missing_change": Threshold(0.05, 0.15, "absolute change in the share of missing values"),
    "metric_drop": Threshold(0.03, 0.08, "drop of the score below the model's out-of-fold score"),
}
# Coverage of the prediction sets: a class below its promised level gets "warn" when chance explains
# the shortfall less than 5 times in 100 (one-sided exact binomial test), "drift" under 1 in 100.
COVERAGE_P_WARN, COVERAGE_P_DRIFT = 0.05, 0.01


def population_stability_index(expected: np.ndarray, actual: np.ndarray) -> float:
    """PSI between two distributions given as counts (or shares) over the same bins."""
    expected = np.asarray(expected, dtype=float)
    actual = np.asarray(actual, dtype=float)
    expected = np.clip(expected / max(expected.sum(), EPSILON), EPSILON, None)
    actual = np.clip(actual / max(actual.sum(), EPSILON), EPSILON, None)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def _chi_square_p(reference_counts: np.ndarray, batch_counts: np.ndarray) -> float:
    table = np.vstack([reference_counts, batch_counts])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return 1.0
    return float(stats.chi2_contingency(table)[1])


def experience_bins(reference: pd.Series, n_bins: int = 10) -> np.ndarray:
    """Bin edges from the reference's quantiles (duplicates removed)."""
    edges = np.unique(np.nanquantile(reference.dropna(), np.linspace(0, 1, n_bins + 1)))
    return np.concatenate([[-np.inf], edges[1:-1], [np.inf]])


def _binned_counts(values: pd.Series, edges: np.ndarray) -> np.ndarray:
    known = pd.cut(values.dropna(), edges, right=False).value_counts(sort=False).to_numpy()
    return np.append(known, values.isna().sum())


def _category_counts(reference: pd.Series, batch: pd.Series, top: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """Counts over the reference's ``top`` categories, plus ``other`` and ``missing``."""
    reference = reference.astype(object).where(reference.notna(), "__missing__")
    batch = batch.astype(object).where(batch.notna(), "__missing__")
    categories = list(reference.value_counts().index[:top])
    def counts(values: pd.Series) -> np.ndarray:
        mapped = values.where(values.isin(categories), "__other__")
        return mapped.value_counts().reindex([*categories, "__other__"], fill_value=0).to_numpy()
    return counts(reference), counts(batch)


def _technology_counts(reference: pd.Series, batch: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """How often each technology is listed (per mention), over the reference vocabulary + other."""
    def mentions(values: pd.Series) -> pd.Series:
        return pd.Series([item for items in split_technology_column(values) for item in items], dtype=object)
    reference_items, batch_items = mentions(reference), mentions(batch)
    vocabulary = list(reference_items.value_counts().index)
    def counts(items: pd.Series) -> np.ndarray:
        return items.where(items.isin(vocabulary), "__other__").value_counts().reindex(
            [*vocabulary, "__other__"], fill_value=0).to_numpy()
    return counts(reference_items), counts(batch_items)


def _row(check: str, feature: str, value: float, threshold: str, detail: str = "", p_value: float | None = None) -> dict:
    rule = THRESHOLDS[threshold]
    return {"check": check, "feature": feature, "value": float(value), "p_value": p_value,
            "warn_at": rule.warn, "drift_at": rule.drift, "verdict": rule.verdict(value), "detail": detail}


def monitor_batch(model: ProfileModel, reference: pd.DataFrame, batch: pd.DataFrame,
                  level: float = DEFAULT_LEVEL) -> pd.DataFrame:
    """Every check of a batch against the training reference, one row each, with its verdict."""
    rows: list[dict] = []
    edges = experience_bins(reference["experience"])
    reference_counts, batch_counts = _binned_counts(reference["experience"], edges), _binned_counts(batch["experience"], edges)
    rows.append(_row("feature drift (PSI)", "experience", population_stability_index(reference_counts, batch_counts),
                     "psi", f"mean {reference['experience'].mean():.2f} → {batch['experience'].mean():.2f} years",
                     _chi_square_p(reference_counts, batch_counts)))
    for feature in ("city", "diploma", "company"):
        reference_counts, batch_counts = _category_counts(reference[feature], batch[feature])
        rows.append(_row("feature drift (PSI)", feature, population_stability_index(reference_counts, batch_counts),
                         "psi", p_value=_chi_square_p(reference_counts, batch_counts)))
    reference_counts, batch_counts = _technology_counts(reference["technologies"], batch["technologies"])
    rows.append(_row("feature drift (PSI)", "technologies", population_stability_index(reference_counts, batch_counts),
                     "psi", p_value=_chi_square_p(reference_counts, batch_counts)))

    known_cities = set(model.known_cities) or set(reference["city"].dropna())
    unseen_city = batch["city"].notna() & ~batch["city"].isin(known_cities)
    rows.append(_row("unseen categories", "city", unseen_city.mean(), "unseen_share",
                     ", ".join(sorted(batch.loc[unseen_city, "city"].astype(str).unique())[:8])))
    vocabulary = set(model.technology_vocabulary)
    technology_lists = split_technology_column(batch["technologies"])
    unseen_technologies = sorted({item for items in technology_lists for item in items if item not in vocabulary})
    unseen_row = np.array([any(item not in vocabulary for item in items) for items in technology_lists])
    rows.append(_row("unseen categories", "technologies", unseen_row.mean() if len(unseen_row) else 0.0,
                     "unseen_share", ", ".join(unseen_technologies[:8])))
    known_diplomas = set(model.known_diplomas) or set(reference["diploma"].dropna())
    unseen_diploma = batch["diploma"].notna() & ~batch["diploma"].isin(known_diplomas)
    rows.append(_row("unseen categories", "diploma spelling", unseen_diploma.mean(), "unseen_share",
                     ", ".join(sorted(batch.loc[unseen_diploma, "diploma"].astype(str).unique())[:8])))

    for feature in ("company", "experience", "diploma", "city"):
        before, after = reference[feature].isna().mean(), batch[feature].isna().mean()
        rows.append(_row("missingness change", feature, abs(after - before), "missing_change",
                         f"{before:.1%} → {after:.1%} missing"))

    predictions = predict_frame(model, batch, level)
    predicted = predictions["predicted_metier"][predictions["predicted_metier"] != ""]
    classes = list(model.classes)
    prior = reference["profile"].value_counts().reindex(classes, fill_value=0).to_numpy()
    observed = predicted.value_counts().reindex(classes, fill_value=0).to_numpy()
    shares = ", ".join(f"{label}: {count / max(observed.sum(), 1):.0%}" for label, count in zip(classes, observed, strict=True))
    rows.append(_row("prediction drift (PSI)", "predicted profile", population_stability_index(prior, observed), "psi",
                     shares, _chi_square_p(prior, observed)))

    labelled = (batch["profile"].fillna("") != "").to_numpy(dtype=bool) & (predictions["predicted_metier"] != "").to_numpy()
    if labelled.any():
        scores = score_predictions(batch.loc[labelled, "profile"].astype(object), predictions.loc[labelled, "predicted_metier"])
        expected = model.metadata.get("cv_metrics", {})
        for metric in ("macro_f1", "accuracy"):
            drop = expected.get(metric, scores[metric]) - scores[metric]
            rows.append(_row("performance", metric, max(drop, 0.0), "metric_drop",
                             f"{scores[metric]:.3f} on the batch vs {expected.get(metric, float('nan')):.3f} out-of-fold"))
        if "prediction_set" in predictions.columns:
            rows += coverage_rows(model, predictions.loc[labelled, "prediction_set"],
                                  batch.loc[labelled, "profile"].astype(object), level)
    return pd.DataFrame(rows)


def group_performance(model: ProfileModel, batch: pd.DataFrame, level: float = DEFAULT_LEVEL,
                      min_rows: int | None = None, n_resamples: int = 500, seed: int = 0) -> pd.DataFrame:
    """Scores of a labelled batch per city, company, diploma and band of experience: the slicing of
    the model card (:func:`datajobs.model.slices.slice_scores`), so a batch's groups read against the
    card's. Empty when the batch has no labelled row the model could score.

    Returns
    -------
    DataFrame
        One row per column and group: rows, accuracy and macro-F1 with their 95 % intervals, the
        coverage of the prediction sets at ``level``, and whether the group is large enough to judge.
    """
    from datajobs.model.coverage import SET_SEPARATOR
    from datajobs.model.slices import MIN_GROUP_ROWS, profile_groups, slice_scores

    predictions = predict_frame(model, batch, level)
    labelled = (batch["profile"].fillna("") != "").to_numpy(dtype=bool) & (predictions["predicted_metier"] != "").to_numpy()
    if not labelled.any():
        return pd.DataFrame()
    truth = batch.loc[labelled, "profile"].astype(object).to_numpy()
    covered = None
    if "prediction_set" in predictions.columns:
        sets = predictions.loc[labelled, "prediction_set"].astype(str).str.split(SET_SEPARATOR, regex=False)
        covered = np.array([job in members for job, members in zip(truth, sets, strict=True)])
    return slice_scores(profile_groups(batch.loc[labelled]), truth,
                        predictions.loc[labelled, "predicted_metier"].to_numpy(dtype=object), covered=covered,
                        min_rows=MIN_GROUP_ROWS if min_rows is None else min_rows, n_resamples=n_resamples, seed=seed)


def coverage_rows(model: ProfileModel, sets: pd.Series, truth: pd.Series, level: float) -> list[dict]:
    """One check per class: how often its labelled rows' prediction sets hold it, against ``level``.

    The value is the shortfall (level minus coverage, 0 when covered); the verdict comes from the
    one-sided exact binomial p-value of a shortfall that large (see ``COVERAGE_P_WARN``).
    """
    from datajobs.model.coverage import SET_SEPARATOR, binomial_interval, shortfall_p_value

    members = [text.split(SET_SEPARATOR) for text in sets.to_numpy(dtype=object)]
    rows = []
    for label in model.classes:
        own = [label in item for item, true in zip(members, truth.to_numpy(dtype=object), strict=True) if true == label]
        if not own:
            continue
        covered, total = int(sum(own)), len(own)
        p_value = shortfall_p_value(covered, total, level)
        low, high = binomial_interval(covered, total)
        verdict = "drift" if p_value < COVERAGE_P_DRIFT else ("warn" if p_value < COVERAGE_P_WARN else "ok")
        rows.append({"check": "set coverage", "feature": label, "value": max(level - covered / total, 0.0),
                     "p_value": p_value, "warn_at": COVERAGE_P_WARN, "drift_at": COVERAGE_P_DRIFT, "verdict": verdict,
                     "detail": f"{covered / total:.1%} of {total} in their set (95 % interval {low:.1%}–{high:.1%}), "
                               f"promised {level:.0%}"})
    return rows


# The measures of THRESHOLDS as the book names them.
MEASURE_NAMES = {"psi": "PSI (drift of a feature or of the predictions)", "unseen_share": "share of unseen values",
                 "missing_change": "change in the share of missing values", "metric_drop": "drop of the score"}


# A Styler table carries no theme padding: without it neighbouring cells run together ("0.0268ok").
_CELL_PADDING = [{"selector": "th, td", "props": "padding: 2px 10px;"}]


def thresholds_table():
    """:data:`THRESHOLDS` as a table for the page (a pandas Styler: every meaning shown whole)."""
    table = pd.DataFrame([{"measure": MEASURE_NAMES.get(name, name), "warn at": rule.warn, "drift at": rule.drift,
                           "meaning": rule.meaning} for name, rule in THRESHOLDS.items()] + [
        {"measure": "coverage of the prediction sets, per class", "warn at": COVERAGE_P_WARN,
         "drift at": COVERAGE_P_DRIFT, "meaning": "p-value of the class's shortfall below the promised level "
         "(one-sided exact binomial test): warn or drift when chance explains it this rarely"}])
    return table.style.hide(axis="index").format(precision=2, subset=["warn at", "drift at"]).set_table_styles(
        _CELL_PADDING)


def checks_table(checks: pd.DataFrame, columns: tuple[str, ...] | None = None):
    """The checks of :func:`monitor_batch` as a table for the page (a pandas Styler): columns and
    metrics in words, a dash where a check has no p-value, every detail shown whole.

    Parameters
    ----------
    checks : DataFrame
        What :func:`monitor_batch` returned.
    columns : tuple of str, optional
        The columns to show (code names, e.g. ``("check", "feature", "value", "verdict")``); all by default.
    """
    from datajobs.model.names import column_name

    shown = checks[list(columns)] if columns else checks
    shown = shown.assign(feature=shown["feature"].map(column_name))
    shown.columns = [column_name(column) for column in shown.columns]
    formats = {"value": "{:.4f}", "p-value": "{:.4f}", "warn at": "{:.2f}", "drift at": "{:.2f}"}
    return shown.style.hide(axis="index").format(
        {name: pattern for name, pattern in formats.items() if name in shown.columns}, na_rep="—").set_table_styles(
        _CELL_PADDING)


def overall_verdict(checks: pd.DataFrame) -> str:
    for verdict in ("drift", "warn"):
        if (checks["verdict"] == verdict).any():
            return verdict
    return "ok"


def make_shifted_batch(frame: pd.DataFrame, size: int = 500, seed: int = 0, new_city: str = "Saint-Etienne",
                       extra_years: float = 10.0, city_share: float = 0.5) -> pd.DataFrame:
    """A batch drawn from ``frame`` with a deliberate shift, to show what drift looks like: a share
    of the profiles moved to a city never seen in training, and every known experience
    ``extra_years`` longer."""
    batch = frame.sample(n=min(size, len(frame)), random_state=seed).reset_index(drop=True)
    moved = np.random.default_rng(seed).random(len(batch)) < city_share
    batch["city"] = batch["city"].astype(object).where(~moved, new_city).astype("string")
    batch["experience"] = (batch["experience"] + extra_years).clip(upper=60.0)
    return batch


def segment_drift(reference: pd.DataFrame, batch: pd.DataFrame, by: str = "city", feature: str = "experience",
                  min_rows: int = 30, n_bins: int = 5) -> pd.DataFrame:
    """PSI of a numeric feature *within each segment* of ``by``.

    :func:`monitor_batch` compares whole distributions, so a shift confined to one segment (the
    profiles of one city, say) is diluted by the others and can stay under the thresholds. This
    check compares each segment of the batch with the same segment of the reference.

    Parameters
    ----------
    reference, batch : DataFrame
        Canonical profiles (the training reference and the new batch).
    by : str
        The categorical column that defines the segments.
    feature : str
        The numeric column compared within each segment (binned on the segment's reference
        quantiles, missing values as their own bin).
    min_rows : int
        Segments with fewer batch or reference rows are left out: their PSI would be noise.
    n_bins : int
        Quantile bins of the segment's reference (fewer than the whole-batch check's ten, because
        a segment has fewer rows to fill them).

    Returns
    -------
    DataFrame
        One row per segment, largest PSI first: ``segment``, ``batch_rows``, ``reference_rows``,
        ``psi`` and ``verdict`` (against ``THRESHOLDS["psi"]``).
    """
    rule = THRESHOLDS["psi"]
    rows = []
    for segment, part in batch.groupby(by, observed=True):
        base = reference.loc[reference[by] == segment, feature]
        if len(part) < min_rows or len(base) < min_rows or base.notna().sum() < 2:
            continue
        edges = experience_bins(base, n_bins)
        value = population_stability_index(_binned_counts(base, edges), _binned_counts(part[feature], edges))
        rows.append({"segment": segment, "batch_rows": len(part), "reference_rows": len(base), "psi": value,
                     "verdict": rule.verdict(value)})
    columns = ["segment", "batch_rows", "reference_rows", "psi", "verdict"]
    return pd.DataFrame(rows, columns=columns).sort_values("psi", ascending=False).reset_index(drop=True)
