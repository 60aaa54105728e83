"""The workflows behind the ``datajobs`` commands: train and register, predict, evaluate, monitor, promote.

Each one takes plain values (paths, numbers) and returns what the command prints; a problem the user can
fix is raised as a :class:`~datajobs.errors.DatajobsError`.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from datajobs import config
from datajobs.errors import DatajobsError
from datajobs.model.conformal import DEFAULT_LEVEL


class WorkflowError(DatajobsError):
    """A workflow cannot run as asked (an unreachable registry model, a file with no label, ...)."""


def load_model(reference: str):
    """A model directory, or a registry reference such as models:/datajobs-profile-classifier@champion."""
    from datajobs.data import DataFileError
    from datajobs.model.profile_model import ProfileModel

    if reference.startswith("models:/"):
        from datajobs.ops.tracking import resolve_model_directory

        try:
            return ProfileModel.load(resolve_model_directory(reference))
        except DataFileError:
            raise
        except Exception as error:  # registry unreachable, unknown name or alias
            raise WorkflowError(f"cannot load {reference} from the MLflow registry "
                                f"({type(error).__name__}: {error})") from None
    return ProfileModel.load(reference)


@dataclass
class TrainingOutcome:
    """A trained and saved model, what the registry did with it, and the tracking run."""

    model: object
    registry: dict | None
    run_id: str | None


def train_and_register(data: str, out: str, sheet: str | None = None, seed: int = config.SEED,
                       include_company: bool = True, iterations: int | None = None, minority: str | None = None,
                       promote: bool = False) -> TrainingOutcome:
    """Train on every labelled row of ``data``, save to ``out``, track the run and register the model
    (as champion when ``promote``)."""
    from datajobs.data import LabelError, load_profiles
    from datajobs.model.train import fit_profile_model
    from datajobs.ops import tracking

    loaded = load_profiles(data, sheet=sheet)
    data_path = str(Path(data).resolve())
    try:
        params = {"iterations": iterations} if iterations else None
        model = fit_profile_model(loaded.frame, params=params, include_company=include_company, seed=seed,
                                  data_sha256=loaded.report.sha256, data_path=data_path, minority=minority)
    except LabelError as error:
        raise LabelError(f"{data}: {error}") from None
    model.save(out)
    with tracking.start_run("datajobs train", {"entry_point": "datajobs train"}) as tracker:
        tracker.log_params({"data_path": data_path, "data_sha256": loaded.report.sha256,
                            "seed": seed, "include_company": include_company, **model.metadata["params"]})
        tracker.log_metrics({f"cv_{name}": value for name, value in model.metadata["cv_metrics"].items()})
        registry = tracking.log_profile_model(tracker, model, Path(out), promote="always" if promote else "never")
    return TrainingOutcome(model, registry, tracker.run_id)


def predict_batch(model_reference: str, input_path: str, output_path: str | None = None, sheet: str | None = None,
                  raw: bool = False, dask: str | None = None, level: float = DEFAULT_LEVEL):
    """Score a batch file and return its :class:`~datajobs.ops.scoring.ScoringSummary`.

    On a Dask cluster when ``dask`` names its scheduler; otherwise a workbook (or a ``sheet``) is read
    and written whole, and a CSV chunk by chunk. Without ``output_path`` the predictions go to stdout.
    """
    from datajobs.ops.scoring import ScoringSummary, predict_file, score_file, summary_csv

    if dask:
        return _predict_on_dask(model_reference, input_path, output_path, dask, level)
    model = load_model(model_reference)
    _check_model_level(model, level)
    workbook = any(str(name).lower().endswith((".xlsx", ".xlsm")) for name in (input_path, output_path or ""))
    if workbook or sheet:
        # A workbook is read and written whole.
        output = predict_file(model, input_path, output_path, sheet=sheet, raw=raw, level=level)
        if output_path is None:
            sys.stdout.write(summary_csv(output))
        summary = ScoringSummary()
        summary.add(output)
        return summary
    # Read, scored and written chunk by chunk: memory stays flat however large the file.
    return score_file(model, input_path, output_path, raw=raw, level=level)


def _check_model_level(model, level: float) -> None:
    """A level the model has thresholds for, or one line saying which it has."""
    if model.conformal is not None:
        try:
            model.conformal.floor_vector(level)
        except ValueError as error:
            raise WorkflowError(f"--level: {error}") from None


def _predict_on_dask(model_reference: str, input_path: str, output_path: str | None, scheduler: str,
                     level: float = DEFAULT_LEVEL):
    from datajobs.ops.dask_scoring import expand_inputs, score_files_on_dask

    if model_reference.startswith("models:/"):
        raise WorkflowError("--dask takes a model directory (export a registry model with `datajobs` first)")
    inputs = expand_inputs(input_path)
    output = Path(output_path) if output_path else None
    per_input = output is not None and (output.is_dir() or output_path.endswith("/"))
    if per_input:
        output.mkdir(parents=True, exist_ok=True)
    # Otherwise several inputs go into one file, their rows one after the other, header once.
    _check_model_level(load_model(model_reference), level)
    return score_files_on_dask(model_reference, inputs, output, scheduler, one_file_per_input=per_input, level=level)


def evaluate_model(model_reference: str, data: str, sheet: str | None = None) -> dict:
    """The scores of a model on a labelled file: accuracy, macro-F1, balanced accuracy, F1 per class.

    A label the model never saw is scored too (it is always wrong) and counted apart.
    """
    from datajobs.data import labelled_rows, load_profiles
    from datajobs.model.evaluate import score_predictions

    model = load_model(model_reference)
    frame, excluded = labelled_rows(load_profiles(data, sheet=sheet).frame)
    if frame.empty:
        raise WorkflowError(f"{data}: no row has a Metier label to evaluate against")
    truth = frame["profile"].astype(object)
    unknown = sorted(set(truth) - set(model.classes))
    # A label the model never saw is scored too (it is always wrong): the score must not hide it.
    scores = score_predictions(truth, model.predict(frame), (*model.classes, *unknown))
    return {
        "rows": len(frame), "rows_without_label_excluded": excluded,
        "labels_unknown_to_the_model": {label: int((truth == label).sum()) for label in unknown},
        "accuracy": round(scores["accuracy"], 4), "macro_f1": round(scores["macro_f1"], 4),
        "balanced_accuracy": round(scores["balanced_accuracy"], 4),
        "per_class_f1": {label: round(scores[f"f1_{config.label_slug(label)}"], 4) for label in model.classes},
    }


def monitor_report(model_reference: str, reference_path: str, batch_path: str) -> dict:
    """Drift and quality checks of a batch against the training data, tracked as a run; the report as a dict."""
    from datajobs.data import load_profiles
    from datajobs.ops import tracking
    from datajobs.ops.monitor import THRESHOLDS, group_performance, monitor_batch, overall_verdict

    model = load_model(model_reference)
    reference = load_profiles(reference_path)
    batch = load_profiles(batch_path)
    checks = monitor_batch(model, reference.frame, batch.frame)
    verdict = overall_verdict(checks)
    report = {
        "verdict": verdict, "reference": str(reference_path), "batch": str(batch_path),
        "batch_rows": len(batch.frame), "reference_rows": len(reference.frame),
        "thresholds": {name: {"warn": rule.warn, "drift": rule.drift, "meaning": rule.meaning}
                       for name, rule in THRESHOLDS.items()},
        "checks": json.loads(checks.to_json(orient="records")),
        # Labelled batches: per-group scores, sliced as in the model card (empty when unlabelled).
        "groups": json.loads(group_performance(model, batch.frame).to_json(orient="records")),
    }
    with tracking.start_run("datajobs monitor", {"entry_point": "datajobs monitor", "verdict": verdict}) as tracker:
        tracker.log_params({"reference_sha256": reference.report.sha256, "batch_sha256": batch.report.sha256,
                            "model": model_reference})
        tracker.log_metrics({f"{row.check.split(' ')[0]}_{row.feature}".replace(" ", "_"): row.value
                             for row in checks.itertuples()})
        tracker.log_dict(report, "monitoring_report.json")
    report["mlflow_run_id"] = tracker.run_id
    return report


def promote_champion(version: int) -> dict:
    """Make registered version ``version`` the champion; returns its number, the previous one and its macro-F1."""
    from datajobs.ops import tracking

    if not tracking.tracking_enabled():
        raise WorkflowError("tracking is off (DATAJOBS_TRACKING=off): there is no registry to promote in")
    try:
        return tracking.promote_version(version)
    except Exception as error:  # unknown version, store unreachable
        raise WorkflowError(f"cannot promote version {version} of {tracking.REGISTERED_MODEL_NAME} "
                            f"({type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''})") from None
