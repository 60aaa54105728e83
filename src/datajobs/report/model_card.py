"""The model card (Mitchell et al. 2019) of the saved model, as Markdown written beside it.

Every number in the card comes from the ``card`` dictionary the book's model-card chapter computes
from the trained model and its evaluation (:func:`render_model_card`); the fixed texts here (intended
use and users) hold no number, and the out-of-scope uses and caveats read theirs from the training file. The same sentences serve the book page and the file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from datajobs.model.slices import GROUP_COLUMNS

MODEL_CARD_FILE = "MODEL_CARD.md"

INTENDED_USE = ("Sorting and flagging CVs of data specialists by the job title they most resemble "
                "(Data scientist, Lead data scientist, Data engineer, Data architecte), with the "
                "probabilities and the prediction set in view, so that a person reads the uncertain ones first.")
INTENDED_USERS = ("HR teams and recruiters who triage data-job CVs; analysts who retrain it on their own "
                  "labelled file; teachers using the book as a case study.")
def stack_concentration(technologies: pd.Series, top: int = 10) -> dict:
    """How much of a file its most frequent technology stacks (exact strings) cover: ``top`` (the
    number of stacks counted), ``share`` of the rows they cover, ``distinct`` stacks, ``rows``."""
    counts = technologies.dropna().astype(str).value_counts()
    top = min(top, len(counts))
    return {"top": top, "share": float(counts.iloc[:top].sum() / max(1, counts.sum())),
            "distinct": len(counts), "rows": int(counts.sum())}


def cities_text(cities: list[str], shown: int = 4) -> str:
    """The training file's cities in words, most frequent first: 'the 6 cities of the training file
    (Paris, Lyon, ...)'."""
    listed = ", ".join(cities[:shown]) + (", …" if len(cities) > shown else "")
    return f"the {len(cities)} cit{'y' if len(cities) == 1 else 'ies'} of the training file ({listed})"


def out_of_scope(cities: list[str]) -> tuple[str, ...]:
    """The uses the card rules out; ``cities`` are the training file's, most frequent first."""
    return (
        "Hiring, rejecting, grading or promoting a person without a person deciding: the model predicts the "
        "job title a CV resembles in this data set, not a person's skills, seniority or worth.",
        "Setting or comparing salaries: nothing about pay is in the data.",
        "Profiles outside the training ranges: stacks, diplomas, companies or experience values the model "
        f"never saw, other places than {cities_text(cities)}, jobs other than the "
        "labels it was trained on. The predictor flags unseen values; its answer for them is a guess.",
        "Judging a group of people (a city, a school, a company) from the model's scores on it.",
    )


def caveats(stacks: dict) -> tuple[str, ...]:
    """The card's caveats; ``stacks`` is :func:`stack_concentration` of the training file."""
    covered = (f"In the training file the {stacks['top']} most frequent technology stacks cover "
               f"{stacks['share']:.0%} of the {stacks['rows']:,} rows ({stacks['distinct']:,} distinct stacks)")
    return (
        "The labels are the delivered file's job titles; who assigned them, and how, is not documented. "
        "The model learns to reproduce them, errors included.",
        covered + (": the profiles look templated, and scores on real, free-form CVs may be lower."
                   if stacks["share"] >= 0.5 else
                   "; scores on free-form CVs, written differently from this file's, may still be lower."),
        "The data has no gender, age or nationality, so the card cannot say how the model does on them; a "
        "group's score here is not evidence of fairness towards people.",
        "Group scores come from cross-validated predictions of the same procedure, not of the saved model "
        "itself, which was fitted on every row.",
    )


def judged_text(rows: int, min_rows: int) -> str:
    """Whether a group of ``rows`` profiles is large enough to judge, in words."""
    return "yes" if rows >= min_rows else f"no (under {min_rows} rows)"


def small_group_sentences(slices: pd.DataFrame, min_rows: int) -> dict[str, str]:
    """For each column, one sentence naming its groups too small to judge (empty when none)."""
    sentences = {}
    for column, part in slices.groupby("column", sort=False):
        small = part[~part["judged"].astype(bool)]
        name = GROUP_COLUMNS.get(column, column)
        if small.empty:
            sentences[column] = ""
            continue
        listed = ", ".join(f"{row.group} ({row.rows})" for row in small.itertuples())
        sentences[column] = (f"Too small to judge, with fewer than {min_rows} profiles each, by {name}: {listed}; "
                             "their intervals are wide, and a difference there says nothing.")
    return sentences


def _p_text(p_value: float) -> str:
    return "p < 0.001" if p_value < 0.001 else f"p = {p_value:.3f}"


def gap_sentence(column: str, gap: pd.Series, min_rows: int, level: float = 0.05) -> str:
    """The largest accuracy gap of one column between groups of ``min_rows`` rows or more, and
    whether it is beyond chance after Holm's adjustment, in one sentence."""
    name = GROUP_COLUMNS.get(column, column)
    if gap["best"] is None or pd.isna(gap["gap"]):
        return (f"By {name}, fewer than two groups have {min_rows} profiles or more: no gap can be judged.")
    # "within chance" here means: explained by which jobs the groups hold (the test keeps each job).
    verdict = ("beyond chance" if gap["p_holm"] < level
               else "within what chance explains once each profile keeps its job")
    return (f"By {name}, the largest gap between groups of {min_rows} profiles or more is "
            f"{gap['gap']:.3f} in accuracy, between {gap['best']} ({gap['best_accuracy']:.3f}, "
            f"{int(gap['best_rows'])} profiles) and {gap['worst']} ({gap['worst_accuracy']:.3f}, "
            f"{int(gap['worst_rows'])} profiles; the {gap['worst']} profiles are misread more often): {verdict} ({_p_text(float(gap['p_value']))}, "
            f"{_p_text(float(gap['p_holm'])).replace('p', 'Holm-adjusted p', 1)}, "
            f"{int(gap['judged_groups'])} groups compared).")


def _table(frame: pd.DataFrame) -> str:
    """A Markdown table of ``frame`` (index dropped); floats with three decimals."""
    def cell(value) -> str:
        if isinstance(value, float | np.floating):
            return "–" if np.isnan(value) else f"{value:.3f}"
        return str(value).replace("|", "\\|")

    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def readable_slices(slices: pd.DataFrame, min_rows: int) -> pd.DataFrame:
    """The per-group table as a reader sees it: counts, scores with their intervals as text."""
    def interval(row, name: str) -> str:
        return f"{row[name]:.3f} ({row[name + '_low']:.3f}–{row[name + '_high']:.3f})"

    columns = {"group": slices["group"], "profiles": slices["rows"],
               "accuracy (95 % Wilson)": slices.apply(interval, axis=1, name="accuracy"),
               "macro-F1 (95 % bootstrap)": slices.apply(interval, axis=1, name="macro_f1")}
    if "coverage" in slices:
        columns["set coverage (95 % Wilson)"] = slices.apply(interval, axis=1, name="coverage")
    columns["judged"] = slices["rows"].map(lambda rows: judged_text(int(rows), min_rows))
    return pd.DataFrame(columns).reset_index(drop=True)


def group_section(slices: pd.DataFrame, gaps: pd.DataFrame, min_rows: int) -> list[str]:
    """The card's lines for each group column: its table, its groups too small to judge, its gap."""
    lines = []
    small = small_group_sentences(slices, min_rows)
    for column, name in GROUP_COLUMNS.items():
        part = slices[slices["column"] == column]
        if part.empty:
            continue
        lines += [f"### By {name}", "", _table(readable_slices(part, min_rows)), ""]
        if small.get(column):
            lines += [small[column], ""]
        if column in gaps.index:
            lines += [gap_sentence(column, gaps.loc[column], min_rows), ""]
    return [*lines, "Gaps are tested by permuting group membership within each true job "
            f"({int(gaps['n_permutations'].iloc[0]):,} permutations), p-values adjusted over the columns "
            "with Holm's method (1979).", ""]


def model_section(model: dict) -> list[str]:
    """The card's *Model details*: version, type, settings, training data, inputs and output."""
    counts = ", ".join(f"{label} {count:,}" for label, count in model["class_counts"].items())
    return [
        "## Model details",
        "",
        f"- Version: {model['version']}; trained {model['created_at']} at commit {model['git_commit']}.",
        "- Type: CatBoost gradient-boosted trees (Prokhorenkova et al. 2018) with balanced class weights, "
        "probabilities calibrated by vector scaling, a decision weight on the minority class, and "
        "class-conditional conformal prediction sets.",
        f"- Settings: {model['params']}.",
        f"- Trained on {model['training_rows']:,} labelled profiles ({counts}); data sha256 {model['data_sha256']}.",
        "- Inputs: years of experience, technologies, diploma, city, company. Output: one of the jobs above, "
        "with a probability for each and a prediction set.",
        "",
    ]


def render_model_card(card: dict) -> str:
    """The model card as Markdown.

    Parameters
    ----------
    card : dict
        What the model-card chapter computed: ``model`` (name, version, created_at, params,
        training_rows, class_counts, data_sha256, git_commit), ``evaluation`` (folds, rows, level),
        ``metrics`` (a DataFrame: metric, value, low, high, on), ``slices`` (from
        :func:`datajobs.model.slices.slice_scores`), ``gaps`` (from
        :func:`datajobs.model.slices.group_gaps`), ``min_rows``, ``calibration`` (mean_gap,
        max_gap, worst_class, on), ``coverage`` (a DataFrame: class, rows, coverage, low, high),
        ``failure_modes`` (sentences), ``data`` (``cities``, most frequent first, and ``stacks``, from
        :func:`stack_concentration`).

    Returns
    -------
    str
        The card, headed by the model's name and version.
    """
    model, evaluation, min_rows = card["model"], card["evaluation"], card["min_rows"]
    lines = [
        f"# Model card: {model['name']}",
        "",
        "Written by the book's build from the saved model and its evaluation; every number below is computed. "
        "Layout after Mitchell et al. (2019), *Model cards for model reporting*.",
        "",
        *model_section(model),
        "## Intended use",
        "",
        f"- {INTENDED_USE}",
        f"- Users: {INTENDED_USERS}",
        "",
        "## Out-of-scope uses",
        "",
        *[f"- {text}" for text in out_of_scope(card["data"]["cities"])],
        "",
        "## Evaluation data",
        "",
        f"- {evaluation['text']}",
        "",
        "## Metrics",
        "",
        _table(card["metrics"]),
        "",
        "## Performance by group",
        "",
        f"Accuracy with a 95 % Wilson interval, macro-F1 over the jobs present in the group with a 95 % "
        f"bootstrap interval, and the share of prediction sets at {evaluation['level'] * 100:g} % that hold the "
        f"true job. A group with fewer than {min_rows} profiles is shown but not judged.",
        "",
    ]
    lines += [
        *group_section(card["slices"], card["gaps"], min_rows),
        "## Calibration",
        "",
        f"- {card['calibration']['text']}",
        "",
        "## Prediction sets",
        "",
        f"- {card['coverage_text']}",
        "",
        _table(card["coverage"]),
        "",
        "## Known failure modes",
        "",
        *[f"- {text}" for text in card["failure_modes"]],
        "",
        "## Caveats",
        "",
        *[f"- {text}" for text in caveats(card["data"]["stacks"])],
        "",
    ]
    return "\n".join(lines)


def write_model_card(model_dir: str | Path, card: dict) -> Path:
    """Write :data:`MODEL_CARD_FILE` into the model's folder, so a model handed on carries its card."""
    from datajobs.data.writing import write_text

    path = Path(model_dir) / MODEL_CARD_FILE
    write_text(path, render_model_card(card))
    return path
