"""Model wing: features, candidate pipelines, calibration, evaluation, training and the saved model."""

from __future__ import annotations

from datajobs.lazy import lazy_face

# Each public name and the module of this wing that defines it, imported on first use: importing
# one module of the wing (the scoring path, `datajobs --help`) loads nothing else.
_HOMES = {name: module for module, names in {
    "profile_model": ("ProfileModel", "predict_frame", "profile_frame", "probability_columns"),
    "train": ("fit_profile_model", "load_or_train_model", "tune_catboost"),
    "evaluate": ("score_predictions", "cross_validate_configurations", "summarise_results"),
    "candidates": ("make_model", "candidate_grid"),
    "provenance": ("git_commit", "package_versions"),
    "backend": ("joblib_backend", "ScaleError"),
    "colours": ("label_colours",),
    "names": ("column_name",),
}.items() for name in names}
__all__ = sorted(_HOMES)

__getattr__, __dir__ = lazy_face(__name__, _HOMES)
