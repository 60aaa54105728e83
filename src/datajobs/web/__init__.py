"""Web wing: the browser bundle of the model, the predictor form and its widget."""

from __future__ import annotations

from datajobs.lazy import lazy_face

# Each public name and the module of this wing that defines it, imported on first use: importing
# one module of the wing (the scoring path, `datajobs --help`) loads nothing else.
_HOMES = {name: module for module, names in {
    "export": ("export_web_bundle", "build_bundle", "BUNDLE_FILE_NAME"),
    "widget": ("PredictorForm", "check_form", "predict_profile"),
}.items() for name in names}
__all__ = sorted(_HOMES)

__getattr__, __dir__ = lazy_face(__name__, _HOMES)
