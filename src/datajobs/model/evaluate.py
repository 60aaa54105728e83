"""Resampling-aware model comparison: repeated stratified K-fold, tidy results, paired tests.

Every configuration is scored on the *same* folds (one :class:`RepeatedStratifiedKFold` with a
fixed seed), so fold-by-fold differences between two configurations can be compared directly.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy import stats
from sklearn.base import clone
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    f1_score,
    precision_recall_fscore_support,
)
from sklearn.model_selection import RepeatedStratifiedKFold
from tqdm.auto import tqdm

from datajobs.config import MINORITY_LABEL, N_REPEATS, N_SPLITS, PROFILE_LABELS, SEED, label_slug  # noqa: F401
from datajobs.data.labels import ordered_labels
from datajobs.model.candidates import candidate_grid, make_model

METRICS = ("macro_f1", "balanced_accuracy", "accuracy")


def score_predictions(y_true, y_pred, labels: tuple[str, ...] | None = None) -> dict[str, float]:
    """Macro-F1, balanced accuracy, accuracy and per-class precision, recall and F1.

    ``labels`` defaults to every label among the true and predicted values (the data's classes).
    """
    y_true = np.asarray(y_true, dtype=object)
    y_pred = np.asarray(y_pred, dtype=object)
    labels = labels or ordered_labels([*y_true, *y_pred])
    scores = {
        "macro_f1": f1_score(y_true, y_pred, labels=list(labels), average="macro", zero_division=0),
        "balanced_accuracy": balanced_accuracy_score(y_true, y_pred),
        "accuracy": accuracy_score(y_true, y_pred),
    }
    precision, recall, f1, _ = precision_recall_fscore_support(
        y_true, y_pred, labels=list(labels), zero_division=0)
    for label, p, r, f in zip(labels, precision, recall, f1, strict=True):
        slug = label_slug(label)
        scores[f"precision_{slug}"] = p
        scores[f"recall_{slug}"] = r
        scores[f"f1_{slug}"] = f
    return {name: float(value) for name, value in scores.items()}


def macro_f1_of_resamples(true_codes: np.ndarray, predicted_codes: np.ndarray, resamples: np.ndarray,
                           n_labels: int) -> np.ndarray:
    """Macro-F1 (zero when a class is neither true nor predicted, as scikit-learn's zero_division=0)
    of each bootstrap resample, from integer codes (-1: a predicted label outside the classes)."""
    scores = np.empty(len(resamples))
    for row, rows in enumerate(resamples):
        true, predicted = true_codes[rows], predicted_codes[rows]
        hits = np.bincount(true[true == predicted], minlength=n_labels)
        support = np.bincount(true, minlength=n_labels)
        claimed = np.bincount(predicted[predicted >= 0], minlength=n_labels)
        denominator = support + claimed
        scores[row] = np.mean(np.divide(2 * hits, denominator, out=np.zeros(n_labels), where=denominator > 0))
    return scores


def bootstrap_macro_f1(y_true, predictions: dict[str, object], reference: str | None = None,
                       n_resamples: int = 2000, level: float = 0.95, seed: int = SEED) -> pd.DataFrame:
    """How sure a test-split macro-F1 is: percentile bootstrap intervals over the test rows.

    Every scorer is scored on the same resampled rows, so the gain over ``reference`` is paired.

    Parameters
    ----------
    y_true : array-like
        True labels of the test rows.
    predictions : dict
        ``name → predicted labels`` for the same rows.
    reference : str, optional
        A name of ``predictions``; adds the gain over it and its interval.
    n_resamples, level, seed : int, float, int
        Bootstrap resamples, coverage of the interval and seed.

    Returns
    -------
    DataFrame
        One row per scorer: ``macro_f1`` (on the test rows as they are), ``low``, ``high``; with a
        reference also ``gain``, ``gain_low``, ``gain_high`` and ``gain_share_positive`` (share of
        resamples where the scorer beats the reference).
    """
    y_true = np.asarray(y_true, dtype=object)
    labels = ordered_labels(y_true)
    index = {label: code for code, label in enumerate(labels)}
    true_codes = np.array([index[label] for label in y_true])
    rng = np.random.default_rng(seed)
    resamples = rng.integers(0, len(y_true), size=(n_resamples, len(y_true)))
    everything = np.arange(len(y_true))[np.newaxis, :]
    tail = (1 - level) / 2
    rows, samples = {}, {}
    for name, predicted in predictions.items():
        codes = np.array([index.get(label, -1) for label in np.asarray(predicted, dtype=object)])
        samples[name] = macro_f1_of_resamples(true_codes, codes, resamples, len(labels))
        low, high = np.quantile(samples[name], [tail, 1 - tail])
        rows[name] = {"macro_f1": float(macro_f1_of_resamples(true_codes, codes, everything, len(labels))[0]),
                      "low": float(low), "high": float(high)}
    if reference is not None:
        for name in predictions:
            gains = samples[name] - samples[reference]
            low, high = np.quantile(gains, [tail, 1 - tail])
            rows[name].update(gain=rows[name]["macro_f1"] - rows[reference]["macro_f1"], gain_low=float(low),
                              gain_high=float(high), gain_share_positive=float((gains > 0).mean()))
    return pd.DataFrame(rows).T


def classification_report_frame(y_true, y_pred, labels: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Precision, recall, F1 and support per class, plus macro and weighted averages."""
    from sklearn.metrics import classification_report

    labels = labels or ordered_labels([*np.asarray(y_true, dtype=object), *np.asarray(y_pred, dtype=object)])
    report = classification_report(np.asarray(y_true, dtype=object), np.asarray(y_pred, dtype=object),
                                   labels=list(labels), output_dict=True, zero_division=0)
    report.pop("accuracy", None)
    return pd.DataFrame(report).T.rename(columns={"f1-score": "f1"})


def make_folds(y, n_splits: int = N_SPLITS, n_repeats: int = N_REPEATS, seed: int = SEED):
    """The list of (repeat, fold, train_index, test_index) every configuration is scored on."""
    splitter = RepeatedStratifiedKFold(n_splits=n_splits, n_repeats=n_repeats, random_state=seed)
    folds = []
    for number, (train, test) in enumerate(splitter.split(np.zeros(len(y)), np.asarray(y, dtype=object))):
        folds.append((number // n_splits, number % n_splits, train, test))
    return folds


def _fit_and_score(estimator, X: pd.DataFrame, y: np.ndarray, train, test, labels: tuple[str, ...] | None = None,
                   threads: int = 1) -> dict[str, float]:
    from threadpoolctl import threadpool_limits

    # Folds already run side by side: a model's own threads (OpenMP in histogram gradient
    # boosting, BLAS) would only fight them for the same cores.
    with warnings.catch_warnings(), threadpool_limits(limits=threads):
        warnings.simplefilter("ignore", category=UserWarning)
        started = time.perf_counter()
        estimator.fit(X.iloc[train], y[train])
        fitted = time.perf_counter()
        predicted = estimator.predict(X.iloc[test])
        done = time.perf_counter()
    scores = score_predictions(y[test], predicted, labels)
    scores["fit_seconds"] = fitted - started
    scores["predict_seconds"] = done - fitted
    return scores


def cross_validate_configurations(
    frame: pd.DataFrame,
    configurations: dict[tuple[str, str], Callable[[], object]] | None = None,
    n_splits: int = N_SPLITS,
    n_repeats: int = N_REPEATS,
    seed: int = SEED,
    include_company: bool = True,
    fast: bool = False,
    n_jobs: int = 2,
    progress: bool = True,
    scheduler: str | None = None,
    use_cache: bool = True,
) -> pd.DataFrame:
    """Score configurations on the same repeated stratified folds.

    Parameters
    ----------
    frame : DataFrame
        Canonical labelled profiles (``profile`` is the target).
    configurations : dict, optional
        ``(model, strategy) → factory`` returning an unfitted estimator. Defaults to every
        supported pair of :func:`datajobs.model.candidates.candidate_grid`.
    n_splits, n_repeats, seed : int
        The folds.
    include_company, fast : bool
        Passed to :func:`datajobs.model.candidates.make_model` for the default configurations.
    n_jobs : int
        Folds fitted in parallel on this machine (each fit then uses ``cores // n_jobs`` threads;
        with 1, the folds are fitted one after another in this process, on one thread).
    progress : bool
        Show a progress bar.
    scheduler : str, optional
        A Dask scheduler address (``tcp://host:8786``) or ``"local"``: the fits run on that
        cluster through joblib's Dask backend. Defaults to ``DATAJOBS_DASK_SCHEDULER`` if set.
        The results are the same as on this machine.
    use_cache : bool
        Reuse the scores of a (data, configuration, fold, package code) already fitted, from
        :mod:`datajobs.model.cache`; only new folds are fitted.

    Returns
    -------
    DataFrame
        One row per (model, strategy, repeat, fold) with every metric of
        :func:`score_predictions` and the fit and predict times.
    """
    if configurations is None:
        configurations = {
            (model, strategy): (lambda model=model, strategy=strategy:
                                make_model(model, strategy, seed=seed, include_company=include_company, fast=fast))
            for model, strategy in candidate_grid()
        }
    y = frame["profile"].astype(object).to_numpy()
    folds = make_folds(y, n_splits, n_repeats, seed)
    tasks = [(key, repeat, fold, train, test) for key in configurations for repeat, fold, train, test in folds]
    keys, scores = _cached_fold_scores(frame, configurations, tasks, (n_splits, n_repeats, seed), use_cache)
    _fit_missing_folds(frame, y, configurations, tasks, keys, scores, n_jobs, progress, scheduler)
    rows = [{"model": key[0], "strategy": key[1], "repeat": repeat, "fold": fold,
             "n_train": len(train), "n_test": len(test), **score}
            for (key, repeat, fold, train, test), score in zip(tasks, scores, strict=True)]
    return pd.DataFrame(rows)


def _cached_fold_scores(frame: pd.DataFrame, configurations: dict, tasks: list, folds: tuple[int, int, int],
                        use_cache: bool) -> tuple[list[str | None], list[dict | None]]:
    """The cache key of each (configuration, fold) task and its cached scores (None where not cached).

    ``folds`` is ``(n_splits, n_repeats, seed)``; without a cache every key and score is None.
    """
    from datajobs.model import cache

    keys: list[str | None] = [None] * len(tasks)
    scores: list[dict | None] = [None] * len(tasks)
    if use_cache and cache.cache_root() is not None:
        n_splits, n_repeats, seed = folds
        data = cache.frame_digest(frame)
        estimators = {key: cache.estimator_digest(clone(factory())) for key, factory in configurations.items()}
        for position, (key, repeat, fold, _, _) in enumerate(tasks):
            keys[position] = cache.make_key(kind="cv fold", data=data, estimator=estimators[key], n_splits=n_splits,
                                            n_repeats=n_repeats, seed=seed, repeat=repeat, fold=fold)
            scores[position] = cache.load_json("folds", keys[position])
    return keys, scores


def _fit_missing_folds(frame: pd.DataFrame, y: np.ndarray, configurations: dict, tasks: list,
                       keys: list[str | None], scores: list[dict | None], n_jobs: int, progress: bool,
                       scheduler: str | None) -> None:
    """Fit and score every task without scores (in place in ``scores``), storing each in the cache."""
    from datajobs.model import cache
    from datajobs.model.backend import joblib_backend

    labels = ordered_labels(y)  # every fold is scored on all of the data's classes
    missing = [position for position, score in enumerate(scores) if score is None]
    with joblib_backend(scheduler) as cluster:
        if cluster is not None:
            threads = cluster.threads
        elif n_jobs <= 1:
            # One fit at a time runs on one thread: it is asked for when notebooks run side by side
            # and already fill the cores, where more threads spin against each other (and -1, every
            # core, leaves none to spare).
            threads = 1
        else:
            threads = max(1, (os.cpu_count() or 1) // n_jobs)
        jobs = (delayed(_fit_and_score)(clone(configurations[tasks[position][0]]()), frame, y, tasks[position][3],
                                        tasks[position][4], labels, threads)
                for position in missing)
        runner = Parallel(n_jobs=-1 if cluster is not None else n_jobs, return_as="generator")
        for position, score in zip(missing, tqdm(runner(jobs), total=len(missing), desc="cross-validation",
                                                 disable=not progress), strict=True):
            scores[position] = score
            if keys[position] is not None:
                cache.store_json("folds", keys[position], score)


def summarise_results(results: pd.DataFrame, metrics: tuple[str, ...] | None = None,
                      minority: str = MINORITY_LABEL) -> pd.DataFrame:
    """Mean and standard deviation of each metric per (model, strategy), best macro-F1 first.

    The default metrics are :data:`METRICS`, the F1, recall and precision of ``minority`` when the
    data has that label, and the fit time.
    """
    if metrics is None:
        slug = label_slug(minority)
        metrics = (*METRICS, *[name for name in (f"f1_{slug}", f"recall_{slug}", f"precision_{slug}")
                               if name in results.columns],
                   "fit_seconds")
    grouped = results.groupby(["model", "strategy"], sort=False)[list(metrics)]
    summary = grouped.mean().add_suffix("_mean").join(grouped.std(ddof=1).add_suffix("_std"))
    ordered = [f"{metric}_{stat}" for metric in metrics for stat in ("mean", "std")]
    return summary[ordered].sort_values("macro_f1_mean", ascending=False).reset_index()


def format_summary(summary: pd.DataFrame, metrics: tuple[str, ...] | None = None) -> pd.DataFrame:
    """The summary as ``mean ± std`` strings, for a readable table in the book."""
    metrics = metrics or tuple(column[: -len("_mean")] for column in summary.columns if column.endswith("_mean"))
    table = summary[["model", "strategy"]].copy()
    for metric in metrics:
        table[metric] = [f"{mean:.3f} ± {std:.3f}" for mean, std in
                         zip(summary[f"{metric}_mean"], summary[f"{metric}_std"].fillna(0.0), strict=True)]
    return table


def paired_comparison(results: pd.DataFrame, reference: tuple[str, str], metric: str = "macro_f1") -> pd.DataFrame:
    """Compare every configuration with ``reference`` fold by fold on the same folds.

    The p-value is from the corrected resampled t-test of Nadeau and Bengio (2003), which widens
    the variance for the overlap between training sets of different folds; a plain paired t-test
    on CV folds is over-confident.
    """
    keyed = results.set_index(["repeat", "fold"])
    base = keyed[(keyed["model"] == reference[0]) & (keyed["strategy"] == reference[1])][metric]
    if base.empty:
        raise ValueError(f"reference configuration {reference} is not in the results")
    test_share = float((results["n_test"] / results["n_train"]).iloc[0])
    rows = []
    for (model, strategy), group in keyed.groupby(["model", "strategy"], sort=False):
        differences = (group[metric] - base.loc[group.index]).to_numpy()
        count = len(differences)
        mean = float(differences.mean())
        variance = float(differences.var(ddof=1)) if count > 1 else 0.0
        corrected = np.sqrt((1.0 / count + test_share) * variance)
        if (model, strategy) == reference or corrected == 0:
            t_stat, p_value = np.nan, np.nan
        else:
            t_stat = mean / corrected
            p_value = float(2 * stats.t.sf(abs(t_stat), df=count - 1))
        rows.append({"model": model, "strategy": strategy, f"{metric}_difference": mean,
                     "std_of_difference": np.sqrt(variance), "wins": int((differences > 0).sum()),
                     "folds": count, "t": t_stat, "p_value": p_value})
    table = pd.DataFrame(rows)
    # Many configurations are tested against the same reference: correct for multiplicity.
    table["p_holm"] = holm_adjust(table["p_value"].to_numpy())
    return table.sort_values(f"{metric}_difference", ascending=False).reset_index(drop=True)


def holm_adjust(p_values) -> np.ndarray:
    """Holm–Bonferroni adjusted p-values (NaN stays NaN and does not count as a test).

    Controls the family-wise error rate: a configuration is called significantly different only
    when its adjusted p-value is below the level, whatever the number of configurations tested.
    """
    p_values = np.asarray(p_values, dtype=float)
    adjusted = np.full_like(p_values, np.nan)
    tested = np.flatnonzero(~np.isnan(p_values))
    order = tested[np.argsort(p_values[tested], kind="stable")]
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(order) - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted


def permutation_chance(frame: pd.DataFrame, folds: list, model: str = "stack_lookup",
                       n_permutations: int = 100, seed: int = SEED, n_jobs: int = 2) -> dict[str, float]:
    """Macro-F1 of ``model`` refitted on shuffled labels: the score of learning nothing.

    Uses :func:`sklearn.model_selection.permutation_test_score` on the same folds as the
    comparison, ``n_jobs`` permutations at a time. The lookup baseline is the default because it
    refits in milliseconds; any model trained on labels unrelated to its inputs lands at the same
    chance level.

    Returns
    -------
    dict
        ``score`` (true labels), ``chance_mean`` and ``chance_p95`` (over permutations),
        ``p_value`` and ``n_permutations``.
    """
    from sklearn.model_selection import permutation_test_score

    y = frame["profile"].astype(object).to_numpy()
    score, permuted, p_value = permutation_test_score(
        make_model(model), frame, y, cv=[(train, test) for _, _, train, test in folds], scoring="f1_macro",
        n_permutations=n_permutations, random_state=seed, n_jobs=n_jobs)
    return {"model": model, "score": float(score), "chance_mean": float(np.mean(permuted)),
            "chance_p95": float(np.quantile(permuted, 0.95)), "p_value": float(p_value),
            "n_permutations": int(n_permutations)}


def calibration_gaps(y_true, probabilities: np.ndarray, labels: tuple[str, ...], bins: int = 8) -> pd.DataFrame:
    """How far stated probabilities are from observed shares, per class (one against the rest).

    Bins are quantiles of each class's predicted probability, as in the reliability diagram;
    ``labels`` are the classes in the order of the probability columns (``model.classes``).

    Returns
    -------
    DataFrame
        One row per class: ``mean_gap`` (mean absolute gap over bins), ``max_gap`` and the bin
        where it happens (``at_predicted`` mean probability, ``observed`` share).
    """
    from sklearn.calibration import calibration_curve

    y_true = np.asarray(y_true, dtype=object)
    rows = []
    for index, label in enumerate(labels):
        observed, predicted = calibration_curve(y_true == label, probabilities[:, index], n_bins=bins,
                                                strategy="quantile")
        gaps = np.abs(observed - predicted)
        worst = int(np.argmax(gaps))
        rows.append({"class": label, "mean_gap": float(gaps.mean()), "max_gap": float(gaps[worst]),
                     "at_predicted": float(predicted[worst]), "observed": float(observed[worst])})
    return pd.DataFrame(rows).set_index("class")


# The simple baselines of the book, by the name a reader sees.
BASELINES: dict[str, str] = {"dummy (class shares)": "dummy", "stack lookup": "stack_lookup",
                             "stack + diploma lookup": "stack_diploma_lookup",
                             "stack + experience lookup": "stack_experience_lookup"}
# The lookups among them (the rules a recruiter would apply), by the same names.
LOOKUP_BASELINES: tuple[str, ...] = tuple(name for name, model in BASELINES.items() if model.endswith("_lookup"))


def baseline_predictions(train: pd.DataFrame, test: pd.DataFrame, seed: int = SEED) -> dict[str, np.ndarray]:
    """Fit each of :data:`BASELINES` on ``train`` and predict ``test`` (same split as the model)."""
    y_train = train["profile"].astype(object).to_numpy()
    return {name: np.asarray(make_model(model, seed=seed).fit(train, y_train).predict(test), dtype=object)
            for name, model in BASELINES.items()}


def mean_scores(results: pd.DataFrame, model: str, strategy: str = "none") -> dict[str, float]:
    """Every metric of one configuration, averaged over the folds of a results table."""
    rows = results[(results["model"] == model) & (results["strategy"] == strategy)]
    if rows.empty:
        raise ValueError(f"configuration {model} / {strategy} is not in the results")
    return rows.select_dtypes("number").mean().to_dict()


def per_class_f1(scores: dict[str, dict[str, float]], labels: tuple[str, ...]) -> pd.DataFrame:
    """Macro-F1 and the F1 of each class, one row per named scorer (columns named for readers)."""
    columns = {"macro_f1": "macro-F1", **{f"f1_{label_slug(label)}": label for label in labels}}
    return pd.DataFrame(scores).T[list(columns)].rename(columns=columns)
