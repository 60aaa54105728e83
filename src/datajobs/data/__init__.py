"""Data wing: the schema, reading and normalising profile files, labels, atomic writes, the synthetic sample."""

from __future__ import annotations

from datajobs.lazy import lazy_face

# Each public name and the module of this wing that defines it, imported on first use.
_HOMES = {name: module for module, names in {
    "labels": ("LabelError", "check_class_counts", "choose_minority", "class_counts", "labelled_rows",
               "ordered_labels"),
    "loading": ("check_frame", "file_sha256", "load_profiles", "profiles_to_raw_frame"),
    "schema": ("CANONICAL_COLUMNS", "FEATURE_COLUMNS", "RAW_HEADER", "SCHEMA", "DataFileError", "LoadedProfiles",
               "NormalisationReport", "RowWarning"),
    "writing": ("OutputError", "atomic_path", "write_bytes", "write_table", "write_text"),
}.items() for name in names}
__all__ = sorted(_HOMES)

__getattr__, __dir__ = lazy_face(__name__, _HOMES)
