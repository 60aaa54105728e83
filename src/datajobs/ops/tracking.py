"""Experiment tracking and the model registry (MLflow, embedded by default).

Runs go to a SQLite store in the project (``mlruns/mlflow.db``, ignored by git) unless
``MLFLOW_TRACKING_URI`` says otherwise; ``DATAJOBS_TRACKING=off`` turns tracking off.

Tracking must never break the book or a command: every call goes through :class:`Tracker`, which
turns any MLflow failure (package missing, store read-only or unreachable) into one warning and
carries on without tracking.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import tempfile
import warnings
from pathlib import Path

import pandas as pd

from datajobs import config

REGISTERED_MODEL_NAME = "datajobs-profile-classifier"
CHAMPION_ALIAS = "champion"
PROFILE_MODEL_ARTIFACT = "profile_model"
EXPERIMENT_NAME = "datajobs"


class TrackingWarning(UserWarning):
    """Tracking was skipped; the work itself went on."""


def tracking_enabled() -> bool:
    return os.environ.get("DATAJOBS_TRACKING", "on").lower() not in {"off", "0", "false", "no"}


def tracking_uri() -> str:
    """``MLFLOW_TRACKING_URI`` or the project's SQLite store."""
    if os.environ.get("MLFLOW_TRACKING_URI"):
        return os.environ["MLFLOW_TRACKING_URI"]
    return f"sqlite:///{config.MLFLOW_DIR / 'mlflow.db'}"


def store_folder() -> Path:
    """The folder of a SQLite store (artifacts and downloaded models go next to it, so that a
    test's temporary store leaves nothing in the project); the project's ``mlruns/`` otherwise."""
    uri = tracking_uri()
    if uri.startswith("sqlite:///"):
        return Path(uri[len("sqlite:///"):]).parent
    return config.MLFLOW_DIR


def configure():
    import logging

    import mlflow

    for name in ("mlflow", "alembic", "sqlalchemy"):
        logging.getLogger(name).setLevel(logging.ERROR)
    uri = tracking_uri()
    if uri.startswith("sqlite:///") and not os.environ.get("MLFLOW_TRACKING_URI"):
        config.MLFLOW_DIR.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(uri)
    if mlflow.get_experiment_by_name(EXPERIMENT_NAME) is None:
        artifacts = (store_folder() / "artifacts").as_uri() if uri.startswith("sqlite:///") else None
        mlflow.create_experiment(EXPERIMENT_NAME, artifact_location=artifacts)
    mlflow.set_experiment(EXPERIMENT_NAME)
    return mlflow


class Tracker:
    """A tracking run that degrades to a no-op with a warning when MLflow cannot be used."""

    def __init__(self):
        self.mlflow = None
        self.name = ""
        self.run_id: str | None = None
        self.disabled_reason: str | None = None

    def end(self, status: str = "FINISHED") -> None:
        if self.active:
            with contextlib.suppress(Exception):
                self.mlflow.end_run(status=status)

    def record(self, directory: str | Path) -> None:
        """Write the run id where the book's reproducibility appendix finds it."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / f"{self.name}.json").write_text(json.dumps({
            "name": self.name, "run_id": self.run_id, "tracking_uri": tracking_uri() if self.active else None,
            "skipped": self.disabled_reason}, indent=2))

    def _fail(self, error: BaseException, action: str) -> None:
        self.disabled_reason = f"{action}: {type(error).__name__}: {error}"
        warnings.warn(f"MLflow tracking skipped ({self.disabled_reason}); the work itself is unaffected",
                      TrackingWarning, stacklevel=3)
        self.mlflow = None

    @property
    def active(self) -> bool:
        return self.mlflow is not None

    def _call(self, action: str, function):
        if not self.active:
            return None
        try:
            return function()
        except Exception as error:  # tracking must never break the caller
            self._fail(error, action)
            return None

    def log_params(self, params: dict) -> None:
        flat = {key: json.dumps(value) if isinstance(value, dict | list | tuple) else value
                for key, value in params.items()}
        self._call("log params", lambda: self.mlflow.log_params(flat))

    def log_metrics(self, metrics: dict, step: int | None = None) -> None:
        clean = {key.replace(" ", "_"): float(value) for key, value in metrics.items()
                 if isinstance(value, int | float) and not isinstance(value, bool)}
        self._call("log metrics", lambda: self.mlflow.log_metrics(clean, step=step))

    def set_tags(self, tags: dict) -> None:
        self._call("set tags", lambda: self.mlflow.set_tags({key: str(value) for key, value in tags.items()}))

    def log_dict(self, data: dict, name: str) -> None:
        self._call("log dict", lambda: self.mlflow.log_dict(data, name))

    def log_table(self, frame: pd.DataFrame, name: str) -> None:
        if not self.active:
            return
        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / name
            frame.to_csv(path, index=False)
            self._call("log table", lambda: self.mlflow.log_artifact(str(path)))

    def log_figure(self, figure, name: str) -> None:
        self._call("log figure", lambda: self.mlflow.log_figure(figure, name))

    @contextlib.contextmanager
    def nested(self, name: str):
        """A child run (e.g. one tuning trial); a no-op tracker when tracking is off."""
        child = Tracker()
        if self.active:
            try:
                self.mlflow.start_run(run_name=name, nested=True)
                child.mlflow, child.run_id = self.mlflow, self.mlflow.active_run().info.run_id
            except Exception as error:
                self._fail(error, "start nested run")
        try:
            yield child
        finally:
            if child.active:
                with contextlib.suppress(Exception):
                    self.mlflow.end_run()


def open_run(name: str, tags: dict | None = None) -> Tracker:
    """Start a tracking run and return its :class:`Tracker` (inactive, with a warning, if MLflow
    cannot be used). Notebooks call this in one cell and :meth:`Tracker.end` in their last."""
    tracker = Tracker()
    tracker.name = name
    if not tracking_enabled():
        tracker.disabled_reason = "DATAJOBS_TRACKING=off"
        return tracker
    try:
        mlflow = configure()
        if mlflow.active_run() is not None:
            mlflow.end_run()
        run = mlflow.start_run(run_name=name)
        tracker.mlflow, tracker.run_id = mlflow, run.info.run_id
        from datajobs.model.provenance import git_commit

        tracker.set_tags({"git_commit": git_commit() or "none", **(tags or {})})
    except Exception as error:
        tracker._fail(error, "start run")
    return tracker


@contextlib.contextmanager
def start_run(name: str, tags: dict | None = None):
    """A tracking run as a context: ended as FAILED if the block raises."""
    tracker = open_run(name, tags)
    try:
        yield tracker
    except BaseException:
        tracker.end(status="FAILED")
        raise
    tracker.end()


PROMOTION_RULES = ("never", "better", "always")


def log_profile_model(tracker: Tracker, model, model_dir: Path, register: bool = True,
                      promote: str = "better") -> dict:
    """Log the final model: CatBoost flavour (signature, input example), the complete model
    directory (calibration and decision rule included), and register it.

    ``promote`` says when the new version takes the ``champion`` alias: ``"never"`` (what
    ``datajobs train`` does unless given ``--promote``), ``"always"`` (``--promote``), or
    ``"better"`` (the book's documented rule): when there is no champion yet, or when it beats the
    champion's out-of-fold macro-F1 *on the same data, seed and folds*. A model trained on other
    data never replaces the champion merely for being newer; ``datajobs promote VERSION`` does it
    on purpose.

    Returns what happened (version, champion decision and why), empty when tracking is off.
    """
    if promote not in PROMOTION_RULES:
        raise ValueError(f"promote must be one of {', '.join(PROMOTION_RULES)}")
    if not tracker.active:
        return {}
    outcome: dict = {}

    def log() -> None:
        mlflow = tracker.mlflow
        from mlflow.models import infer_signature

        from datajobs.model.profile_model import profile_frame

        example = model.features(profile_frame("Python/Spark/SQL", "Master", "3", "Lyon", "KPMG"))
        # Integer columns would make MLflow's schema reject a missing value at inference time.
        example = example.astype({column: "float64" for column in example.columns
                                  if pd.api.types.is_integer_dtype(example[column])})
        signature = infer_signature(example, model.estimator.predict_proba(example))
        info = mlflow.catboost.log_model(model.estimator, name="catboost", signature=signature,
                                         input_example=example, pip_requirements=model_requirements())
        mlflow.log_artifacts(str(model_dir), artifact_path=PROFILE_MODEL_ARTIFACT)
        if register:
            outcome.update(_register(mlflow, info.model_uri, model.metadata, promote))

    tracker._call("log model", log)
    return outcome


def model_requirements() -> list[str]:
    """What the logged CatBoost model needs, pinned to this environment's versions (MLflow adds
    itself). Given rather than inferred: MLflow's inference loads the model again in a subprocess
    and scans every installed package, 2.5 s of each book for the same four lines."""
    from importlib.metadata import version

    return [f"{name}=={version(name)}" for name in ("catboost", "numpy", "pandas", "scipy")]


def _fold_identity(metadata: dict) -> str:
    """Out-of-fold scores are comparable only on the same data, seed and folds."""
    return json.dumps([metadata.get("training_data", {}).get("sha256"), metadata.get("seed"),
                       metadata.get("cv_metrics", {}).get("method")])


def _register(mlflow, model_uri: str, metadata: dict, promote: str = "better") -> dict:
    """Register the CatBoost flavour; the version's run also holds the complete model directory."""
    from mlflow import MlflowClient

    client = MlflowClient()
    with contextlib.redirect_stderr(io.StringIO()):  # "Successfully registered ..." chatter
        version = mlflow.register_model(model_uri, REGISTERED_MODEL_NAME)
    score = float(metadata["cv_metrics"]["macro_f1"])
    identity = _fold_identity(metadata)
    client.set_model_version_tag(REGISTERED_MODEL_NAME, version.version, "cv_macro_f1", f"{score:.6f}")
    client.set_model_version_tag(REGISTERED_MODEL_NAME, version.version, "fold_identity", identity)
    try:
        champion = client.get_model_version_by_alias(REGISTERED_MODEL_NAME, CHAMPION_ALIAS)
    except Exception:
        champion = None
    if promote == "always":
        promoted, reason = True, "promoted on request"
    elif promote == "never":
        promoted, reason = False, (f"champion unchanged; promote it with `datajobs promote {version.version}` "
                                   "or train with --promote")
    elif champion is None:
        promoted, reason = True, "no champion yet"
    elif champion.tags.get("fold_identity") != identity:
        promoted, reason = False, (f"champion (version {champion.version}) was scored on other data or folds, so "
                                   f"the scores do not compare; `datajobs promote {version.version}` to switch")
    else:
        champion_score = float(champion.tags.get("cv_macro_f1", "nan"))
        promoted = score > champion_score
        reason = (f"out-of-fold macro-F1 {score:.4f} vs champion {champion_score:.4f} (version "
                  f"{champion.version}) on the same folds")
    if promoted:
        client.set_registered_model_alias(REGISTERED_MODEL_NAME, CHAMPION_ALIAS, version.version)
    return {"registered_model": REGISTERED_MODEL_NAME, "version": int(version.version),
            "champion": promoted, "reason": reason}


def promote_version(version: int) -> dict:
    """Give registered version ``version`` the ``champion`` alias; returns the previous champion's number."""
    configure()
    from mlflow import MlflowClient

    client = MlflowClient()
    target = client.get_model_version(REGISTERED_MODEL_NAME, str(version))  # raises for an unknown version
    try:
        previous = client.get_model_version_by_alias(REGISTERED_MODEL_NAME, CHAMPION_ALIAS).version
    except Exception:
        previous = None
    client.set_registered_model_alias(REGISTERED_MODEL_NAME, CHAMPION_ALIAS, target.version)
    return {"version": int(target.version), "previous": int(previous) if previous else None,
            "cv_macro_f1": target.tags.get("cv_macro_f1")}


def resolve_model_directory(reference: str) -> Path:
    """A model reference → a local directory: a path as is, or ``models:/NAME@ALIAS`` /
    ``models:/NAME/VERSION`` downloaded from the registry."""
    if not reference.startswith("models:/"):
        return Path(reference)
    mlflow = configure()
    from mlflow import MlflowClient

    client = MlflowClient()
    name_and_version = reference[len("models:/"):]
    if "@" in name_and_version:
        name, alias = name_and_version.split("@", 1)
        version = client.get_model_version_by_alias(name, alias)
    else:
        name, number = name_and_version.rsplit("/", 1)
        version = client.get_model_version(name, number)
    store = hashlib.sha256(tracking_uri().encode()).hexdigest()[:10]
    target = store_folder() / "downloads" / store / f"{name}-{version.version}"
    if not (target / PROFILE_MODEL_ARTIFACT).is_dir():
        target.mkdir(parents=True, exist_ok=True)
        mlflow.artifacts.download_artifacts(run_id=version.run_id, artifact_path=PROFILE_MODEL_ARTIFACT,
                                            dst_path=str(target))
    return target / PROFILE_MODEL_ARTIFACT


def champion_state() -> dict:
    """The registry as it stands now: the ``champion`` version and its out-of-fold macro-F1.

    The book reports this after its own registration, so what a reader sees is the state this
    build left, whatever earlier builds registered. Empty when tracking is off or unreachable.
    """
    if not tracking_enabled():
        return {}
    try:
        configure()
        from mlflow import MlflowClient

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            champion = MlflowClient().get_model_version_by_alias(REGISTERED_MODEL_NAME, CHAMPION_ALIAS)
    except Exception:  # no champion yet, or no store: nothing to report
        return {}
    return {"version": int(champion.version), "cv_macro_f1": float(champion.tags.get("cv_macro_f1", "nan"))}


def recorded_run_id(results_dir: str | Path, name: str) -> str | None:
    """The run id a notebook wrote with :meth:`Tracker.record` (None when it kept no run)."""
    path = Path(results_dir) / "tracking" / f"{name}.json"
    if not path.is_file():
        return None
    return json.loads(path.read_text()).get("run_id")


def registered_version(run_id: str | None) -> int | None:
    """The registry version of the model logged by run ``run_id``; None when tracking is off, the
    run registered nothing, or the store cannot be read."""
    if not run_id or not tracking_enabled():
        return None
    try:
        configure()
        from mlflow import MlflowClient

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            versions = MlflowClient().search_model_versions(f"run_id = '{run_id}'")
    except Exception:
        return None
    return max((int(version.version) for version in versions), default=None)


def log_model_card(run_id: str | None, card_path: Path) -> bool:
    """Add the model card to the saved model's artifacts in run ``run_id`` (beside the model
    directory, so a model downloaded from the registry carries its card). Returns whether it was
    logged; a failure is one warning, never an error."""
    if not run_id or not tracking_enabled():
        return False
    try:
        configure()
        from mlflow import MlflowClient

        MlflowClient().log_artifact(run_id, str(card_path), artifact_path=PROFILE_MODEL_ARTIFACT)
    except Exception as error:  # tracking must never break the caller
        warnings.warn(f"MLflow tracking skipped (log model card: {type(error).__name__}: {error}); "
                      "the card is still beside the model", TrackingWarning, stacklevel=2)
        return False
    return True
