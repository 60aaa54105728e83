"""Exercises of the study chapters: the package functions they call, their structure in the
notebook sources, the index page, and the solution stripping of the student edition."""

from __future__ import annotations

import re

import jupytext
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from datajobs import config
from datajobs.model.calibration import DecisionRule, decision_weight_curve
from datajobs.model.evaluate import score_predictions
from datajobs.model.features import encode_by_majority_profile_leaky
from datajobs.ops.monitor import segment_drift
from datajobs.publishing.plan import PROFILES, notebook_source
from datajobs.publishing.student import (
    STUDENT_NOTEBOOKS,
    ExerciseStructureError,
    find_exercises,
    set_parameter_defaults,
    strip_solutions,
)

CHAPTERS_WITH_EXERCISES = ("01_data_audit", "02_preprocessing", "03_model_comparison", "04_catboost_selection",
                           "06_monitoring", "07_prediction_sets")


def source(name: str):
    return jupytext.read(notebook_source(name))


# -- the package functions the exercises call ------------------------------------------------------
def test_majority_encoding_reads_the_label_of_a_company_seen_once(profiles):
    labelled = profiles[profiles["profile"].notna()].reset_index(drop=True)
    leaked = encode_by_majority_profile_leaky(labelled, "company")
    counts = labelled["company"].map(labelled["company"].value_counts())
    once = counts == 1
    assert once.any(), "the sample has companies seen once"
    assert (leaked.loc[once, "company"] == labelled.loc[once, "profile"]).all()
    assert leaked["company"].isna().equals(labelled["company"].isna())
    assert set(leaked["company"].dropna()) <= set(config.PROFILE_LABELS)
    assert not labelled["company"].isin(config.PROFILE_LABELS).any(), "the input frame is left untouched"


def test_decision_weight_curve_trades_precision_for_recall():
    rng = np.random.default_rng(0)
    probabilities = rng.dirichlet(np.ones(4), size=400)
    y_true = np.asarray(config.PROFILE_LABELS, dtype=object)[rng.integers(0, 4, size=400)]
    curve = decision_weight_curve(probabilities, y_true, config.PROFILE_LABELS, config.MINORITY_LABEL,
                                  weights=(0.5, 1.0, 2.0, 4.0))
    assert list(curve["weight"]) == [0.5, 1.0, 2.0, 4.0]
    assert curve["predicted_share"].is_monotonic_increasing and curve["recall"].is_monotonic_increasing
    plain = DecisionRule(config.PROFILE_LABELS, config.MINORITY_LABEL, 1.0).predict(probabilities)
    at_one = curve.set_index("weight").loc[1.0]
    scores = score_predictions(y_true, plain)
    assert at_one["macro_f1"] == pytest.approx(scores["macro_f1"])
    assert at_one["recall"] == pytest.approx(scores["recall_lead_data_scientist"])
    assert at_one["precision"] == pytest.approx(scores["precision_lead_data_scientist"])


def test_segment_drift_finds_a_shift_confined_to_one_city(profiles):
    batch = profiles.sample(n=600, random_state=3).reset_index(drop=True)
    city = profiles["city"].value_counts().index[3]
    shifted = batch.copy()
    inside = shifted["city"] == city
    shifted.loc[inside, "experience"] = shifted.loc[inside, "experience"] + 5
    table = segment_drift(profiles, shifted, by="city")
    assert table.iloc[0]["segment"] == city and table.iloc[0]["verdict"] == "drift"
    calm = segment_drift(profiles, batch, by="city")
    assert table.iloc[0]["psi"] > 5 * calm["psi"].max()
    assert (table["batch_rows"] >= 30).all() and (table["reference_rows"] >= 30).all()


# -- the exercises in the notebook sources ---------------------------------------------------------
@pytest.mark.parametrize("name", CHAPTERS_WITH_EXERCISES)
def test_every_study_chapter_has_exercises_with_starter_code_and_executed_solutions(name):
    notebook = source(name)
    exercises = find_exercises(notebook, name)
    assert exercises, f"{name} has no exercise"
    text = "\n".join(cell.source for cell in notebook.cells)
    for exercise in exercises:
        assert exercise.starter_cells and exercise.solution_cells, exercise.label
        level_and_time = (rf":label: {exercise.label}\n```\n\n"
                          r"\*\*Level:\*\* (beginner|intermediate|advanced) · \*\*Time:\*\* \d+ minutes")
        assert re.search(level_and_time, text), f"{exercise.label}: no level and time under the title"
        assert f"```{{solution-start}} {exercise.label}\n:class: dropdown" in text, f"{exercise.label}: not hidden"
    assert "Learning objectives" in text
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert not re.search(r"^\s*(def|class) ", cell.source, re.MULTILINE), f"{name}: logic belongs in the package"


def test_the_exercises_page_indexes_every_exercise():
    labels = {exercise.label for name in STUDENT_NOTEBOOKS for exercise in find_exercises(source(name), name)}
    page = (config.PROJECT_ROOT / "book" / "exercises.md").read_text()
    assert set(re.findall(r"\{ref\}`(ex-[\w-]+)`", page)) == labels
    assert len(labels) >= 9


# -- the student edition's stripping ---------------------------------------------------------------
@pytest.mark.parametrize("name", CHAPTERS_WITH_EXERCISES)
def test_strip_solutions_removes_every_solution_and_keeps_the_starter_code(name):
    notebook = source(name)
    exercises = find_exercises(notebook, name)
    student = strip_solutions(notebook)
    student_sources = [cell.source for cell in student.cells]
    for exercise in exercises:
        for index in exercise.solution_cells:
            assert notebook.cells[index].source not in student_sources
        for index in exercise.starter_cells:
            assert notebook.cells[index].source in student_sources
        assert f"### Exercise: {exercise.title}" in "\n".join(student_sources)
    joined = "\n".join(student_sources)
    assert "solution-start" not in joined and "solution-end" not in joined and "exercise-start" not in joined
    assert find_exercises(student) == []


def test_strip_solutions_handles_solution_prose_shared_with_other_text():
    notebook = new_notebook(cells=[
        new_markdown_cell("Intro.\n\n```{exercise-start} Add\n:label: ex-add\n```\n\nAdd one."),
        new_code_cell("total = ...  # your code"),
        new_markdown_cell("```{exercise-end}\n```\n\n```{solution-start} ex-add\n:class: dropdown\n```\n\nHint."),
        new_code_cell("total = 1 + 1", outputs=[]),
        new_markdown_cell("Secret explanation.\n\n```{solution-end}\n```\n\n## Next section"),
    ])
    student = strip_solutions(notebook)
    text = "\n".join(cell.source for cell in student.cells)
    assert "total = 1 + 1" not in text and "Hint." not in text and "Secret" not in text
    assert "Intro." in text and "### Exercise: Add" in text and "Add one." in text and "## Next section" in text
    assert "total = ...  # your code" in text


@pytest.mark.parametrize("cells, message", [
    (["```{exercise-start} A\n:label: ex-a\n```"], "never closed"),
    (["```{exercise-start} A\n```", "```{exercise-end}\n```"], "no :label:"),
    (["```{solution-start} ex-missing\n```", "```{solution-end}\n```"], "no exercise above"),
    (["```{exercise-end}\n```"], "closes nothing"),
])
def test_unbalanced_directives_are_refused(cells, message):
    notebook = new_notebook(cells=[new_markdown_cell(text) for text in cells])
    with pytest.raises(ExerciseStructureError, match=message):
        find_exercises(notebook, "broken")


def test_parameter_defaults_take_the_quick_profile():
    notebook = source("03_model_comparison")
    set_parameter_defaults(notebook, PROFILES["quick"]["03_model_comparison"])
    cell = next(cell for cell in notebook.cells if "parameters" in cell.metadata.get("tags", []))
    assert "sample_frac: float = 0.5  # share of the rows used" in cell.source
    assert "fast: bool = True  #" in cell.source
    with pytest.raises(KeyError, match="no_such_parameter"):
        set_parameter_defaults(notebook, {"no_such_parameter": 1})


def test_starter_code_does_not_use_names_only_solutions_define():
    """Starter cells run in the student edition, where no solution ran before them: they must not
    use a name that only a solution defines."""
    for name in CHAPTERS_WITH_EXERCISES:
        notebook = source(name)
        solution_names: set[str] = set()
        for exercise in find_exercises(notebook, name):
            for index in exercise.solution_cells:
                solution_names |= set(re.findall(r"^(\w+)\s*(?:,\s*\w+\s*)?=", notebook.cells[index].source, re.M))
        starter_names: set[str] = set()
        for exercise in find_exercises(notebook, name):
            for index in exercise.starter_cells:
                starter_names |= set(re.findall(r"^(\w+)\s*=", notebook.cells[index].source, re.M))
        for exercise in find_exercises(notebook, name):
            for index in exercise.starter_cells:
                used = set(re.findall(r"\b(\w+)\b", notebook.cells[index].source))
                only_in_solutions = (used & solution_names) - starter_names
                assert not only_in_solutions, f"{name}: starter of {exercise.label} uses {only_in_solutions}"

