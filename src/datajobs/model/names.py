"""Column and metric names in words, as readers see them (the monitoring tables and the book's share them).

The results files keep the code names (``f1_lead_data_scientist``); the pages show these words.
A name that is not known here is shown as it is. The study's experience levels are named here too
(:func:`experience_level_name`), so the model's group slices and the book's pages use the same words.
"""

from __future__ import annotations

from datajobs.config import EXPERIENCE_LEVEL_EDGES, EXPERIENCE_LEVELS, PROFILE_LABELS, label_slug

# Column names of the results and summaries; per-class metrics are built from the label.
COLUMN_WORDS: dict[str, str] = {
    "model": "model",
    "strategy": "imbalance strategy",
    "macro_f1": "macro-F1",
    "macro_f1_argmax": "macro-F1, most probable class",
    "balanced_accuracy": "balanced accuracy",
    "accuracy": "accuracy",
    "log_loss": "log-loss",
    "fit_seconds": "seconds per fit",
    "predict_seconds": "seconds per prediction",
    "depth": "tree depth",
    "l2_leaf_reg": "L2 regularisation",
    "learning_rate": "learning rate",
    "iterations": "iterations",
    "p_value": "p-value",
    "warn_at": "warn at",
    "drift_at": "drift at",
    "batch_rows": "batch rows",
    "reference_rows": "reference rows",
    "precision": "precision",
    "recall": "recall",
    "f1": "F1",
    "support": "rows",
    "mean_gap": "mean gap",
    "max_gap": "largest gap",
    "at_predicted": "stated probability there",
    "observed": "observed share there",
}
_PER_CLASS = {"f1": "F1 of {}", "recall": "recall of {}", "precision": "precision of {}", "weight": "weight of {}"}


def column_name(column: str, labels: tuple[str, ...] = PROFILE_LABELS) -> str:
    """A results column in words: ``f1_lead_data_scientist`` → ``F1 of Lead data scientist``,
    ``lead_data_scientist_weight`` → ``weight of Lead data scientist``, ``macro_f1`` → ``macro-F1``."""
    if column in COLUMN_WORDS:
        return COLUMN_WORDS[column]
    for label in labels:
        slug = label_slug(label)
        for kind, pattern in _PER_CLASS.items():
            if column in (f"{kind}_{slug}", f"{slug}_{kind}"):
                return pattern.format(label)
    return column


def experience_level_name(level: str) -> str:
    """A level of experience with its years: ``avancé`` → ``avancé (5 to 8 years)``; ``missing`` →
    ``not given``. The study's French level names are kept, glossed by their bounds."""
    if level == "missing":
        return "not given"
    if level not in EXPERIENCE_LEVELS:
        return level
    position = EXPERIENCE_LEVELS.index(level)
    low = EXPERIENCE_LEVEL_EDGES[position - 1] if position > 0 else None
    high = EXPERIENCE_LEVEL_EDGES[position] if position < len(EXPERIENCE_LEVEL_EDGES) else None
    if low is None:
        return f"{level} (under {high:g} years)"
    if high is None:
        return f"{level} ({low:g} years or more)"
    return f"{level} ({low:g} to {high:g} years)"
