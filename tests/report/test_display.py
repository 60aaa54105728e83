"""Names as readers see them in the book: models, strategies and metrics in words."""

from __future__ import annotations

import pandas as pd

from datajobs.model.candidates import MODEL_NAMES, STRATEGIES, candidate_grid
from datajobs.model.evaluate import format_summary, summarise_results
from datajobs.report.display import column_name, configuration_name, readable


def test_every_model_strategy_and_metric_of_the_comparison_has_a_name_without_code_spelling():
    for model, strategy in candidate_grid(MODEL_NAMES, STRATEGIES):
        assert "_" not in configuration_name(model, strategy)
    assert configuration_name("hist_gradient_boosting", "class_weight") == "histogram gradient boosting / class weights"
    assert column_name("f1_lead_data_scientist") == "F1 of Lead data scientist"
    assert column_name("recall_data_architecte") == "recall of Data architecte"
    assert column_name("lead_data_scientist_weight") == "weight of Lead data scientist"
    assert column_name("f1_data_analyst", labels=("Data analyst",)) == "F1 of Data analyst"
    assert column_name("something_else") == "something_else"  # unknown names are shown as they are


def test_a_summary_table_reads_in_words_in_cells_index_and_columns():
    results = pd.DataFrame({
        "model": ["catboost", "catboost", "random_forest", "random_forest"],
        "strategy": ["class_weight", "class_weight", "random_over", "random_over"],
        "macro_f1": [0.8, 0.9, 0.7, 0.75], "f1_lead_data_scientist": [0.5, 0.6, 0.4, 0.45],
        "fit_seconds": [1.0, 1.2, 0.5, 0.6]})
    table = format_summary(summarise_results(results, ("macro_f1", "f1_lead_data_scientist")))
    shown = readable(table.set_index(["model", "strategy"]))
    assert list(shown.index.names) == ["model", "imbalance strategy"]
    assert list(shown.index) == [("CatBoost", "class weights"), ("random forest", "random over-sampling")]
    assert list(shown.columns) == ["macro-F1", "F1 of Lead data scientist"]
    flat = readable(table)
    assert list(flat["model"]) == ["CatBoost", "random forest"] and "imbalance strategy" in flat.columns
    grid = readable(results.pivot_table(index="model", columns="strategy", values="macro_f1"))
    assert list(grid.columns) == ["class weights", "random over-sampling"]
    assert grid.columns.name == "imbalance strategy" and list(grid.index) == ["CatBoost", "random forest"]
    assert list(table["model"]) == ["catboost", "random_forest"]  # the original is left as it was


def test_experience_levels_are_glossed_with_their_years():
    from datajobs.report.display import experience_level_name

    assert [experience_level_name(level) for level in ("débutant", "confirmé", "avancé", "expert", "missing")] == [
        "débutant (under 2 years)", "confirmé (2 to 5 years)", "avancé (5 to 8 years)", "expert (8 years or more)",
        "not given"]


def test_feature_names_and_the_scored_batch_read_for_people():
    from datajobs.report.display import feature_name, scored_table

    assert [feature_name(name) for name in ("tech_R", "experience_value", "diploma_rank", "city")] == [
        "R", "exact years (as a category)", "diploma level", "city"]
    batch = pd.DataFrame({"technologies": ["Python/SQL"], "experience": [float("nan")],
                          "predicted_metier": ["Data scientist"], "proba_data_scientist": [0.91234],
                          "warnings": ["Ville: unknown city 'Brest' (not seen in training)"]})
    html = scored_table(batch).to_html()
    assert "not given" in html and "0.912" in html and "Python/\u200bSQL" in html
    assert "unknown city 'Brest' (not seen in training)" in html and "nan" not in html.lower()
