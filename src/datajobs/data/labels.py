"""Label bookkeeping: the labels of a data set in class order, the labelled rows, rows per label, and
:class:`LabelError` when there are too few to learn from."""

from __future__ import annotations

import pandas as pd

from datajobs.config import PROFILE_LABELS
from datajobs.errors import DatajobsError


class LabelError(DatajobsError, ValueError):
    """Not enough labelled rows to learn from."""


def ordered_labels(values) -> tuple[str, ...]:
    """The distinct labels among ``values``: the reference labels first, in their usual order,
    then any other label alphabetically (empty and missing values are not labels)."""
    present = {value for value in values if isinstance(value, str) and value}
    return (*[label for label in PROFILE_LABELS if label in present], *sorted(present - set(PROFILE_LABELS)))


def labelled_rows(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Rows with a label (any label: the set is the data's), and how many rows have none."""
    labelled = (frame["profile"].fillna("") != "").astype(bool)
    return frame[labelled].reset_index(drop=True), int((~labelled).sum())


def class_counts(frame: pd.DataFrame) -> dict[str, int]:
    """Rows per label of the labelled rows, in class order (:func:`ordered_labels`)."""
    counts = frame["profile"].value_counts()
    return {label: int(counts[label]) for label in ordered_labels(counts.index)}


def choose_minority(counts: dict[str, int], preferred: str | None = None) -> str:
    """The class the decision rule weights: ``preferred`` when given, else the label with the fewest rows."""
    if preferred is not None:
        if preferred not in counts:
            raise LabelError(f"minority class {preferred!r} is not a label of the data ({', '.join(counts)})")
        return preferred
    return min(counts, key=lambda label: (counts[label], list(counts).index(label)))


def check_class_counts(counts: dict[str, int], needed: int, purpose: str) -> None:
    """Raise :class:`LabelError` in one line naming the smallest label that has fewer than ``needed`` rows."""
    if len(counts) < 2:
        raise LabelError(f"need at least two labels to learn from; found {len(counts)} "
                         f"({', '.join(f'{label}: {count}' for label, count in counts.items()) or 'no labelled row'})")
    label = min(counts, key=lambda name: counts[name])
    if counts[label] < needed:
        raise LabelError(f"label {label!r} has {counts[label]} row{'s' if counts[label] != 1 else ''}; "
                         f"{purpose} needs at least {needed} of each label (add rows or merge the label)")
