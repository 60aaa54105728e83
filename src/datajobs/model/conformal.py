"""Class-conditional (Mondrian) split-conformal prediction sets on the model's calibrated probabilities.

For each class ``k`` and level ``1 - alpha``, the conformal rows whose true class is ``k`` give scores
``1 - p_k``; the threshold is their ``ceil((n_k + 1)(1 - alpha))``-th smallest score (Vovk et al. 2005;
Angelopoulos & Bates 2021). A profile's set holds every class whose score is within its class's
threshold. Comparing ``p_k >= floor_k`` with ``floor_k = 1 - threshold_k`` read off the same row is the
same test without a subtraction, so the browser (``resources/web/predictor.js``) gets the same sets bit
for bit. Needs NumPy only: the scoring path imports no scikit-learn.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

LEVELS: tuple[float, ...] = (0.8, 0.9, 0.95)
DEFAULT_LEVEL = 0.9
# A probability within this of its floor counts as reaching it: the browser computes probabilities equal
# to Python's within 1e-9, and a profile identical to a conformal row sits exactly on the floor.
TOLERANCE = 1e-9


def level_key(level: float) -> str:
    """``0.9`` → ``"0.9"``: the key of a level in the saved thresholds."""
    return f"{float(level):g}"


def check_level(level) -> float:
    """A coverage level as a float strictly between 0 and 1, or ValueError with a one-line reason."""
    try:
        value = float(level)
    except (TypeError, ValueError):
        raise ValueError(f"level {level!r} is not a number; give a coverage level such as 0.9") from None
    if not 0.0 < value < 1.0 or math.isnan(value):
        raise ValueError(f"level {level!r} is not between 0 and 1 (exclusive); give e.g. 0.8, 0.9 or 0.95")
    return value


def rows_needed(level: float) -> int:
    """The fewest conformal rows of a class for which ``ceil((n + 1) level) <= n``."""
    n = 1
    while math.ceil((n + 1) * level - 1e-9) > n:
        n += 1
    return n


@dataclass
class ConformalSets:
    """Per-class probability floors for each level, and the conformal rows they were read from.

    ``floors[level_key][class]`` is the smallest probability of ``class`` that keeps it in the set
    at that level; ``None`` where the class had too few conformal rows (it is then always in the set,
    which can only raise coverage, and ``messages`` says so).
    """

    classes: tuple[str, ...]
    floors: dict[str, dict[str, float | None]]
    rows: dict[str, int]
    source: str
    messages: list[str] = field(default_factory=list)

    # -- the sets ------------------------------------------------------------------------------
    def floor_vector(self, level: float) -> np.ndarray:
        """The floors of ``level`` in class order (``-inf`` for a class always kept)."""
        key = level_key(check_level(level))
        if key not in self.floors:
            known = ", ".join(self.floors)
            raise ValueError(f"no conformal thresholds for level {key}; the model has {known}")
        return np.array([-np.inf if self.floors[key][label] is None else self.floors[key][label]
                         for label in self.classes])

    def membership(self, probabilities: np.ndarray, level: float = DEFAULT_LEVEL) -> np.ndarray:
        """Boolean (rows, classes): which classes pass their floor (the raw conformal set, may be empty)."""
        return np.asarray(probabilities, dtype=float) >= self.floor_vector(level)[None, :] - TOLERANCE

    def prediction_sets(self, probabilities: np.ndarray, labels, level: float = DEFAULT_LEVEL
                        ) -> tuple[list[list[str]], np.ndarray]:
        """Each row's set, most probable first, always holding the row's predicted ``label``.

        Returns the sets and a boolean array marking rows whose raw conformal set was empty: no class
        is as probable as the conformal rows of its class, a profile unlike those the model was checked
        on (its set is then its label alone).
        """
        probabilities = np.asarray(probabilities, dtype=float)
        inside = self.membership(probabilities, level)
        empty = ~inside.any(axis=1)
        index = {label: position for position, label in enumerate(self.classes)}
        # Most probable first; ties keep class order (a stable sort on -p).
        order = np.argsort(-probabilities, axis=1, kind="stable")
        sets = []
        for row, label in enumerate(labels):
            inside[row, index[label]] = True
            sets.append([self.classes[column] for column in order[row] if inside[row, column]])
        return sets, empty

    def table(self):
        """The floors as a table: one row per class, one column per level, and the conformal rows."""
        import pandas as pd

        frame = pd.DataFrame({f"{float(key):.0%}": [self.floors[key][label] for label in self.classes]
                              for key in self.floors}, index=pd.Index(self.classes, name="job"))
        frame.insert(0, "conformal rows", [self.rows[label] for label in self.classes])
        return frame.round(4)

    def set_texts(self, probabilities: np.ndarray, label_index: np.ndarray, level: float = DEFAULT_LEVEL,
                  separator: str = " | ") -> tuple[np.ndarray, np.ndarray]:
        """Each row's set as one text (most probable first, holding its label) and its size, for many rows.

        The same sets as :meth:`prediction_sets`, without a Python loop over rows: rows share few
        distinct (order, members) patterns, and each pattern's text is built once.
        """
        probabilities = np.asarray(probabilities, dtype=float)
        rows, width = probabilities.shape
        inside = self.membership(probabilities, level)
        inside[np.arange(rows), label_index] = True
        order = np.argsort(-probabilities, axis=1, kind="stable")
        key = (order * (width ** np.arange(width))).sum(axis=1) * (2 ** width) + (inside * (2 ** np.arange(width))).sum(axis=1)
        patterns, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        texts = np.array([separator.join(self.classes[column] for column in order[row] if inside[row, column])
                          for row in first], dtype=object)
        return texts[inverse.ravel()], inside.sum(axis=1)

    # -- persistence ---------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {"method": "class-conditional split conformal, score 1 - p of the true class",
                "source": self.source, "rows": self.rows, "floors": self.floors, "messages": self.messages}

    @classmethod
    def from_dict(cls, classes: tuple[str, ...], saved: dict) -> ConformalSets:
        return cls(classes=tuple(classes), floors={key: dict(value) for key, value in saved["floors"].items()},
                   rows={label: int(count) for label, count in saved["rows"].items()},
                   source=str(saved.get("source", "")), messages=list(saved.get("messages", [])))


def class_floor(true_class_probabilities: np.ndarray, level: float) -> float | None:
    """The floor of one class at ``level``: minus the ``ceil((n + 1) level)``-th smallest score ``1 - p``
    is the ``ceil((n + 1) level)``-th largest ``p``; None when that rank exceeds ``n``."""
    values = np.sort(np.asarray(true_class_probabilities, dtype=float))[::-1]
    rank = math.ceil((len(values) + 1) * level - 1e-9)
    if rank > len(values):
        return None
    return float(values[rank - 1])


def fit_conformal_sets(probabilities: np.ndarray, true_index: np.ndarray, classes: tuple[str, ...],
                       levels: tuple[float, ...] = LEVELS, source: str = "") -> ConformalSets:
    """Per-class floors at each level from conformal rows' probabilities and true class positions."""
    probabilities = np.asarray(probabilities, dtype=float)
    true_index = np.asarray(true_index)
    floors: dict[str, dict[str, float | None]] = {}
    rows = {label: int((true_index == position).sum()) for position, label in enumerate(classes)}
    messages = []
    for level in levels:
        key = level_key(check_level(level))
        floors[key] = {}
        for position, label in enumerate(classes):
            floor = class_floor(probabilities[true_index == position, position], level)
            floors[key][label] = floor
            if floor is None:
                messages.append(
                    f"{label}: {rows[label]} conformal rows, too few for a {float(level):.0%} guarantee "
                    f"(needs {rows_needed(level)}); at that level it is in every set")
    return ConformalSets(classes=tuple(classes), floors=floors, rows=rows, source=source, messages=messages)


def marginal_floor(probabilities: np.ndarray, true_index: np.ndarray, level: float) -> float:
    """One threshold for every class (the marginal set the class-conditional one is compared with)."""
    probabilities = np.asarray(probabilities, dtype=float)
    true_probabilities = probabilities[np.arange(len(true_index)), np.asarray(true_index)]
    floor = class_floor(true_probabilities, level)
    return -np.inf if floor is None else floor


def coverage_by_class(sets: list[list[str]], truth, classes: tuple[str, ...]) -> dict[str, tuple[int, int]]:
    """(covered, rows) per true class: how often the true label is in the set."""
    counts = {label: [0, 0] for label in classes}
    for members, label in zip(sets, truth, strict=True):
        if label in counts:
            counts[label][1] += 1
            counts[label][0] += label in members
    return {label: (covered, total) for label, (covered, total) in counts.items()}
