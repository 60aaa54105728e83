"""Operations wing: batch scoring (here and on Dask), monitoring and experiment tracking."""

from __future__ import annotations

from datajobs.lazy import lazy_face

# Each public name and the module of this wing that defines it, imported on first use: importing
# one module of the wing (the scoring path, `datajobs --help`) loads nothing else.
_HOMES = {name: module for module, names in {
    "scoring": ("score_file", "predict_file", "ScoringSummary", "summary_csv"),
    "dask_scoring": ("score_files_on_dask", "expand_inputs"),
    "monitor": ("monitor_batch", "overall_verdict", "THRESHOLDS"),
    "tracking": ("tracking",),
}.items() for name in names}
__all__ = sorted(_HOMES)

__getattr__, __dir__ = lazy_face(__name__, _HOMES)
