"""The model card's Markdown: every section, tables from the computed figures, small groups named."""

from __future__ import annotations

import numpy as np
import pandas as pd

from datajobs.model.slices import group_gaps, slice_scores
from datajobs.report.model_card import (
    MODEL_CARD_FILE,
    gap_sentence,
    render_model_card,
    small_group_sentences,
    stack_concentration,
    write_model_card,
)


def _card():
    rng = np.random.default_rng(0)
    truth = rng.choice(["Data scientist", "Data engineer"], size=400).astype(object)
    predicted = np.where(rng.random(400) < 0.8, truth, "Lead data scientist")
    groups = pd.DataFrame({"city": ["Paris"] * 250 + ["Lyon"] * 120 + ["Nice"] * 30,
                           "diploma": ["Master"] * 300 + ["PhD"] * 100})
    slices = slice_scores(groups, truth, predicted, covered=rng.random(400) < 0.9, min_rows=100, n_resamples=100)
    gaps = group_gaps(groups, truth, predicted, min_rows=100, n_permutations=50)
    return {
        "model": {"name": "datajobs-profile-classifier", "version": "version 3", "created_at": "2026-12-07T15:00:00",
                  "git_commit": "abc1234", "params": "depth 4", "training_rows": 400,
                  "class_counts": {"Data scientist": 210, "Data engineer": 190}, "data_sha256": "f" * 64},
        "evaluation": {"text": "400 profiles, each answered by a model fitted without it (3 folds).", "level": 0.9},
        "metrics": pd.DataFrame({"metric": ["macro-F1"], "value": [0.81234], "low": [0.78], "high": [0.84],
                                 "on": ["cross-validated answers"]}),
        "slices": slices, "gaps": gaps, "min_rows": 100,
        "calibration": {"text": "Stated probabilities are off by 0.020 on average."},
        "coverage_text": "Sets at 90 % hold the true job for 0.903 of the profiles.",
        "coverage": pd.DataFrame({"class": ["Data scientist"], "profiles": [210], "coverage": [0.9]}),
        "failure_modes": ["Data scientist and Lead data scientist with the same stack are confused."],
        "data": {"cities": groups["city"].value_counts().index.tolist(),
                 "stacks": stack_concentration(pd.Series(["Python/SQL"] * 300 + ["Java/Scala"] * 60
                                                         + [f"Stack {n}" for n in range(40)]), top=2)},
    }


def test_the_card_has_every_section_and_the_computed_figures():
    card = _card()
    text = render_model_card(card)
    for heading in ("## Model details", "## Intended use", "## Out-of-scope uses", "## Evaluation data",
                    "## Metrics", "## Performance by group", "### By city", "### By diploma", "## Calibration",
                    "## Prediction sets", "## Known failure modes", "## Caveats"):
        assert heading in text
    assert "| macro-F1 | 0.812 | 0.780 | 0.840 | cross-validated answers |" in text
    assert "version 3" in text and "f" * 64 in text and "Data scientist 210" in text
    assert "Nice (30)" in text  # the group too small to judge is named
    assert "By city, the largest gap" in text
    # The caveat and the out-of-scope use read their figures from the training file.
    assert "the 3 cities of the training file (Paris, Lyon, Nice)" in text
    assert "the 2 most frequent technology stacks cover 90% of the 400 rows (42 distinct stacks): the profiles look templated" in text


def test_a_file_of_varied_stacks_is_not_called_templated():
    stacks = stack_concentration(pd.Series([f"Stack {n}" for n in range(50)] * 2))
    assert stacks == {"top": 10, "share": 0.2, "distinct": 50, "rows": 100}
    from datajobs.report.model_card import caveats
    assert "templated" not in caveats(stacks)[1] and "20% of the 100 rows" in caveats(stacks)[1]


def test_small_groups_and_gaps_in_words():
    card = _card()
    sentences = small_group_sentences(card["slices"], 100)
    assert sentences["diploma"] == "" and "Nice (30)" in sentences["city"]
    sentence = gap_sentence("city", card["gaps"].loc["city"], 100)
    assert "Paris" in sentence and "Lyon" in sentence and "Holm-adjusted p" in sentence
    none = pd.Series({"best": None, "gap": float("nan")})
    assert "fewer than two groups" in gap_sentence("company", none, 100)


def test_the_card_is_written_beside_the_model(tmp_path):
    path = write_model_card(tmp_path, _card())
    assert path == tmp_path / MODEL_CARD_FILE and path.read_text().startswith("# Model card: ")
