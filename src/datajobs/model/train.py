"""Fit the final model: CatBoost, calibrated, with a decision rule for the minority class.

The classes are the data's: every label with rows is a class (the four reference labels first,
in their usual order). Everything the final model learns beyond CatBoost's trees (calibration,
the weight of the minority class, by default the label with the fewest rows) is chosen on
out-of-fold predictions of the training rows only, so the same function can be cross-validated
from outside without leakage (see ``benchmarks/``).
"""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime
from itertools import product

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold

from datajobs.config import (
    CATBOOST_PARAMS,
    DIPLOMA_LEVELS,
    SEED,
)
from datajobs.data.labels import (
    check_class_counts,
    choose_minority,
    class_counts,
    labelled_rows,
    ordered_labels,
)
from datajobs.model.calibration import choose_class_weight, fit_vector_scaling
from datajobs.model.candidates import CatBoostFeatures, CatBoostProfileClassifier
from datajobs.model.columns import split_technology_column, stack_text
from datajobs.model.conformal import fit_conformal_sets
from datajobs.model.evaluate import label_slug, score_predictions
from datajobs.model.features import CATEGORICAL_CATBOOST_COLUMNS
from datajobs.model.profile_model import ProfileModel
from datajobs.model.provenance import git_commit, package_versions

DEFAULT_PARAMS: dict = dict(CATBOOST_PARAMS)
# A small search around the defaults: tree depth (interactions) and L2 regularisation (the rare
# companies), at the default learning rate; 2 x 2 = 4 candidates keep the full book within minutes.
TUNING_GRID: dict[str, tuple] = {"depth": (4, 6), "l2_leaf_reg": (3.0, 10.0)}
CALIBRATION_SPLITS = 3


def known_stacks(technologies: pd.Series, vocabulary: list[str]) -> list[str]:
    """The distinct stacks of training rows as the predictor compares them: each row's technologies
    of ``vocabulary``, sorted and joined by ``/`` (a row without one gives no stack)."""
    known = set(vocabulary)
    distinct = pd.unique(technologies.dropna().to_numpy(dtype=object))
    stacks = {stack_text(item for item in items if item in known) for items in split_technology_column(distinct)}
    return sorted(stack for stack in stacks if stack)


def _labels(frame: pd.DataFrame) -> np.ndarray:
    return frame["profile"].astype(object).to_numpy()


def _fit_catboost(frame: pd.DataFrame, params: dict, include_company: bool, seed: int,
                  thread_count: int = -1) -> tuple[CatBoostFeatures, CatBoostProfileClassifier]:
    features = CatBoostFeatures(include_company=include_company).fit(frame)
    classifier = CatBoostProfileClassifier(**params, random_seed=seed, thread_count=thread_count)
    classifier.fit(features.transform(frame), _labels(frame))
    return features, classifier


def _fold_probabilities(frame: pd.DataFrame, params: dict, include_company: bool, seed: int,
                        train: np.ndarray, test: np.ndarray, classes: tuple[str, ...],
                        thread_count: int = -1) -> np.ndarray:
    """Raw probabilities of the ``test`` rows from a model fitted on the ``train`` rows (``classes`` order)."""
    features, classifier = _fit_catboost(frame.iloc[train], params, include_company, seed, thread_count)
    proba = classifier.predict_proba(features.transform(frame.iloc[test]))
    order = [list(classifier.classes_).index(label) for label in classes]
    return proba[:, order]


def _oof_key(frame_digest: str, params: dict, include_company: bool, n_splits: int, seed: int,
             classes: tuple[str, ...]) -> str:
    from datajobs.model import cache

    # CatBoost gives the same trees whatever its thread count (checked), so it is not in the key.
    return cache.make_key(kind="out-of-fold", data=frame_digest, params=params, include_company=include_company,
                          n_splits=n_splits, seed=seed, classes=list(classes))


def _parallel_fits(tasks: list, n_jobs: int = -1) -> list:
    """Run ``(function, args)`` CatBoost fits, results in task order.

    Several fits run side by side, one per core with one CatBoost thread each (on the Dask
    cluster of ``DATAJOBS_DASK_SCHEDULER`` when set): that keeps every core busy, where one fit on
    two threads leaves gaps, and gives the same trees. A single fit uses every core itself.
    ``n_jobs`` caps the fits side by side (-1: one per core); with 1 they run one after another in
    this process on one thread, with no worker process to start: what the book's quick profile
    wants, where notebooks already run side by side and fill the cores (a second thread would
    only fight the other notebook for them).
    """
    import os

    from joblib import Parallel, delayed

    from datajobs.model.backend import default_scheduler, joblib_backend

    if n_jobs != -1 and n_jobs < 1:
        raise ValueError(f"n_jobs must be -1 (one per core) or a whole number of fits, 1 or more; got {n_jobs}")
    if not tasks:
        return []
    if n_jobs == 1 and not default_scheduler():
        return [function(*args, thread_count=1) for function, args in tasks]
    if len(tasks) == 1 and not default_scheduler():
        function, args = tasks[0]
        return [function(*args, thread_count=-1)]
    with joblib_backend() as cluster:
        cores = os.cpu_count() or 1
        return Parallel(n_jobs=-1 if cluster is not None else cores if n_jobs == -1 else min(n_jobs, cores))(
            delayed(function)(*args, thread_count=1) for function, args in tasks)


def out_of_fold_probabilities_for(frame: pd.DataFrame, candidates: list[dict], include_company: bool = True,
                                  n_splits: int = CALIBRATION_SPLITS, seed: int = SEED,
                                  also: list | None = None, classes: tuple[str, ...] | None = None,
                                  n_jobs: int = -1) -> list[np.ndarray]:
    """Out-of-fold raw probabilities of several parameter sets, their folds fitted side by side.

    Each result is cached (:mod:`datajobs.model.cache`) by data, parameters, folds and package code, so
    the notebook that tunes and then fits the chosen parameters pays for those folds once.
    ``also`` holds more ``(function, args)`` fits to run in the same batch; their results follow.
    Columns are in ``classes`` order, by default the data's labels. ``n_jobs``: fits side by
    side (see :func:`_parallel_fits`).
    """
    from datajobs.model import cache

    y = _labels(frame)
    classes = tuple(classes or ordered_labels(y))
    splitter = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    folds = list(splitter.split(np.zeros(len(y)), y))
    digest = cache.frame_digest(frame)
    keys = [_oof_key(digest, params, include_company, n_splits, seed, classes) for params in candidates]
    results: list[np.ndarray | None] = [cache.load_array("oof", key) for key in keys]
    todo = [index for index, result in enumerate(results) if result is None]
    tasks = [(_fold_probabilities, (frame, candidates[index], include_company, seed, train, test, classes))
             for index in todo for train, test in folds]
    fold_probabilities = iter(_parallel_fits(tasks + list(also or []), n_jobs))
    for index in todo:
        probabilities = np.zeros((len(frame), len(classes)))
        for _, test in folds:
            probabilities[test] = next(fold_probabilities)
        cache.store_array("oof", keys[index], probabilities)
        results[index] = probabilities
    return results + list(fold_probabilities)


def out_of_fold_probabilities(frame: pd.DataFrame, params: dict, include_company: bool = True,
                              n_splits: int = CALIBRATION_SPLITS, seed: int = SEED,
                              classes: tuple[str, ...] | None = None, n_jobs: int = -1) -> np.ndarray:
    """Raw CatBoost probabilities of every row from a model that did not see it (columns in ``classes``
    order, by default the data's labels)."""
    return out_of_fold_probabilities_for(frame, [params], include_company, n_splits, seed, classes=classes,
                                         n_jobs=n_jobs)[0]


def _class_index(frame: pd.DataFrame, classes: tuple[str, ...]) -> np.ndarray:
    return np.array([classes.index(label) for label in _labels(frame)])


def tune_catboost(frame: pd.DataFrame, grid: dict[str, tuple] = TUNING_GRID, base: dict = DEFAULT_PARAMS,
                  include_company: bool = True, n_splits: int = CALIBRATION_SPLITS, seed: int = SEED,
                  progress: bool = True, tracker=None, minority: str | None = None, n_jobs: int = -1) -> pd.DataFrame:
    """Inner-CV search: each candidate's out-of-fold macro-F1 after calibration and decision rule.

    Returns one row per candidate (its parameters, macro-F1 with the plain arg-max and with the
    tuned rule, the minority class's F1 and weight, log-loss, seconds), best first. With a
    ``tracker`` (:class:`datajobs.ops.tracking.Tracker`), each candidate is logged as a nested run.
    Every fold of every candidate is fitted side by side (on a Dask cluster with
    ``DATAJOBS_DASK_SCHEDULER``), ``n_jobs`` at a time (-1: one per core).
    """
    counts = class_counts(frame)
    check_class_counts(counts, n_splits, f"tuning with {n_splits} folds")
    classes = tuple(counts)
    minority = choose_minority(counts, minority)
    y_index = _class_index(frame, classes)
    candidates = [dict(zip(grid, values, strict=True)) for values in product(*grid.values())]
    started = time.perf_counter()
    all_raw = out_of_fold_probabilities_for(frame, [{**base, **candidate} for candidate in candidates],
                                            include_company, n_splits, seed, classes=classes, n_jobs=n_jobs)
    # The fits ran together: each candidate is charged an equal share of the wall time.
    seconds = (time.perf_counter() - started) / max(1, len(candidates))
    rows = []
    for candidate, raw in zip(candidates, all_raw, strict=True):
        params = {**base, **candidate}
        calibration = fit_vector_scaling(raw, y_index)
        calibrated = calibration.transform(raw)
        rule, _ = choose_class_weight(calibrated, y_index, classes, minority)
        labels = np.asarray(classes, dtype=object)
        plain = score_predictions(labels[y_index], labels[np.argmax(calibrated, axis=1)], classes)
        ruled = score_predictions(labels[y_index], rule.predict(calibrated), classes)
        log_loss = float(-np.log(np.clip(calibrated[np.arange(len(y_index)), y_index], 1e-9, 1)).mean())
        slug = label_slug(minority)
        row = {**candidate, "macro_f1_argmax": plain["macro_f1"], "macro_f1": ruled["macro_f1"],
               f"f1_{slug}": ruled[f"f1_{slug}"], f"{slug}_weight": rule.weight,
               "log_loss": log_loss, "seconds": seconds}
        rows.append(row)
        if tracker is not None:
            with tracker.nested("tuning " + ", ".join(f"{k}={v}" for k, v in candidate.items())) as trial:
                trial.log_params(params)
                trial.log_metrics({key: value for key, value in row.items() if key not in candidate})
    return pd.DataFrame(rows).sort_values("macro_f1", ascending=False).reset_index(drop=True)


def fit_profile_model(frame: pd.DataFrame, params: dict | None = None, include_company: bool = True,
                      seed: int = SEED, data_sha256: str | None = None, data_path: str | None = None,
                      calibration_splits: int = CALIBRATION_SPLITS, minority: str | None = None,
                      n_jobs: int = -1) -> ProfileModel:
    """Fit the final model on every labelled row of ``frame``.

    The classes are the labels of the data. Steps: out-of-fold probabilities
    (``calibration_splits`` folds) → vector-scaling calibration → weight of the minority class
    (``minority``, by default the label with the fewest rows) maximising out-of-fold macro-F1 →
    CatBoost refitted on all rows. The out-of-fold scores are kept in the metadata as ``cv_metrics``.
    The folds and the refit run side by side, ``n_jobs`` at a time (-1: one per core).

    Raises
    ------
    LabelError
        When there are fewer than two labels, or a label has fewer rows than ``calibration_splits``
        (the message names the label and its count).
    """
    params = {**DEFAULT_PARAMS, **(params or {})}
    frame, excluded = labelled_rows(frame)
    counts = class_counts(frame)
    check_class_counts(counts, calibration_splits, f"training ({calibration_splits}-fold calibration)")
    classes = tuple(counts)
    minority = choose_minority(counts, minority)
    started = time.perf_counter()
    y_index = _class_index(frame, classes)
    # The refit on every row runs beside the out-of-fold folds (one thread each: same trees).
    raw, (features, classifier) = out_of_fold_probabilities_for(
        frame, [params], include_company, calibration_splits, seed,
        also=[(_fit_catboost, (frame, params, include_company, seed))], classes=classes, n_jobs=n_jobs)
    calibration = fit_vector_scaling(raw, y_index)
    calibrated = calibration.transform(raw)
    rule, curve = choose_class_weight(calibrated, y_index, classes, minority)
    labels = np.asarray(classes, dtype=object)
    cv_metrics = score_predictions(labels[y_index], rule.predict(calibrated), classes)
    model = ProfileModel(
        estimator=classifier.model_,
        classes=classes,
        technology_vocabulary=features.vocabulary_,
        include_company=include_company,
        calibration=calibration,
        decision=rule,
        known_cities=sorted(frame["city"].dropna().unique().tolist()),
        known_diplomas=[level for level in DIPLOMA_LEVELS if level in set(frame["diploma"].dropna())],
        known_experience=sorted(float(value) for value in frame["experience"].dropna().unique()),
        known_stacks=known_stacks(frame["technologies"], features.vocabulary_),
        conformal=fit_conformal_sets(calibrated, y_index, classes, source=(
            f"out-of-fold probabilities of the {len(frame)} training rows ({calibration_splits} folds), calibrated; "
            "the calibration and the decision rule were fitted on the same rows, so the coverage is empirical")),
    )
    # Kept in memory (not saved): the rows the thresholds were read from, for the book's checks.
    model.out_of_fold = (calibrated, y_index)
    model.metadata = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "params": params,
        "seed": seed,
        "training_rows": len(frame),
        "rows_without_label_excluded": excluded,
        "class_counts": counts,
        "minority_class": minority,
        "training_data": {"path": data_path, "sha256": data_sha256 or frame_sha256(frame)},
        # The values of each categorical column seen in training: the browser export needs them to
        # read CatBoost's category hashes (see datajobs.web.export), and the web form lists them.
        "categorical_values": categorical_values(features.transform(frame)),
        "cv_metrics": {"method": f"out-of-fold, stratified {calibration_splits}-fold, calibrated, decision rule",
                       **cv_metrics},
        "minority_weight_curve": {str(weight): score for weight, score in curve.items()},
        "package_versions": package_versions(),
        "git_commit": git_commit(),
        "training_seconds": round(time.perf_counter() - started, 2),
    }
    return model


def categorical_values(features: pd.DataFrame) -> dict[str, list[str]]:
    """The distinct values of each categorical column of a CatBoost frame, sorted."""
    return {column: sorted(features[column].astype(str).unique().tolist())
            for column in features.columns if column in CATEGORICAL_CATBOOST_COLUMNS}


def frame_sha256(frame: pd.DataFrame) -> str:
    """A content hash of a canonical frame (when no file is behind it)."""
    hashed = pd.util.hash_pandas_object(frame.astype(object), index=False).to_numpy()
    return hashlib.sha256(hashed.tobytes()).hexdigest()


def load_or_train_model(model_dir, data_path, log=print) -> ProfileModel:
    """Load the model in ``model_dir``; if there is none yet, train one on ``data_path`` and save it."""
    from pathlib import Path

    from datajobs.data.loading import load_profiles
    from datajobs.model.profile_model import METADATA_FILE, MODEL_FILE

    model_dir = Path(model_dir)
    if (model_dir / MODEL_FILE).is_file() and (model_dir / METADATA_FILE).is_file():
        return ProfileModel.load(model_dir)
    log(f"no model in {model_dir}: training one on {data_path} (about half a minute)")
    loaded = load_profiles(data_path)
    model = fit_profile_model(loaded.frame, data_sha256=loaded.report.sha256, data_path=str(data_path))
    model.save(model_dir)
    return model
