"""Report wing: the figures and the display helpers the book's pages use."""

from __future__ import annotations

from datajobs.lazy import lazy_face

# Each public name and the module of this wing that defines it, imported on first use: importing
# one module of the wing (the scoring path, `datajobs --help`) loads nothing else.
_HOMES = {name: module for module, names in {
    "plots": ("plots",),
    "display": ("display", "readable", "scored_table", "model_name", "configuration_name"),
}.items() for name in names}
__all__ = sorted(_HOMES)

__getattr__, __dir__ = lazy_face(__name__, _HOMES)
