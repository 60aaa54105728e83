"""The colour of each profile label, as hex text (no matplotlib): the figures and the predictor share them."""

from __future__ import annotations

from datajobs.config import PROFILE_LABELS
from datajobs.data.labels import ordered_labels

# seaborn's "colorblind" palette (10 colours), then matplotlib's tab20 (20 more), as
# ``matplotlib.colors.to_hex`` writes them: the reference labels keep their colours whatever the
# data; a label of the data's own takes the next colour.
LABEL_COLOURS: tuple[str, ...] = (
    "#0173b2", "#de8f05", "#029e73", "#d55e00", "#cc78bc", "#ca9161", "#fbafe4", "#949494", "#ece133", "#56b4e9",
    "#1f77b4", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#d62728", "#ff9896", "#9467bd", "#c5b0d5",
    "#8c564b", "#c49c94", "#e377c2", "#f7b6d2", "#7f7f7f", "#c7c7c7", "#bcbd22", "#dbdb8d", "#17becf", "#9edae5",
)
REFERENCE_COLOURS: dict[str, str] = dict(zip(PROFILE_LABELS, LABEL_COLOURS, strict=False))


def label_colours(labels) -> dict[str, str]:
    """A hex colour for each label: the reference labels' own, then further colours for other labels."""
    others = [label for label in ordered_labels(labels) if label not in REFERENCE_COLOURS]
    spare = LABEL_COLOURS[len(PROFILE_LABELS):]
    return {**REFERENCE_COLOURS, **{label: spare[index % len(spare)] for index, label in enumerate(others)}}
