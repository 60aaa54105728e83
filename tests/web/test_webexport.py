"""The browser bundle and its JavaScript evaluator, run by Node against the Python model."""

from __future__ import annotations

import json
import random
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from datajobs.cli.main import main
from datajobs.data import DataFileError, load_profiles
from datajobs.model.profile_model import METADATA_FILE, ProfileModel
from datajobs.web.export import BUNDLE_GLOBAL, export_web_bundle
from datajobs.web.widget import UNCERTAIN_MARGIN, check_form

NODE = shutil.which("node")
requires_node = pytest.mark.skipif(NODE is None, reason="node is not installed")

# Reads the bundle, predicts every profile of a JSON file and prints the results as JSON.
NODE_SCRIPT = """
const fs = require("fs");
require(process.argv[2]);
const inputs = JSON.parse(fs.readFileSync(process.argv[3], "utf8"));
process.stdout.write(JSON.stringify(inputs.map((input) => globalThis.datajobsPredictor.predict(input))));
"""


@pytest.fixture(scope="module")
def model_dir(fast_model, tmp_path_factory):
    return fast_model.save(tmp_path_factory.mktemp("web-model"))


@pytest.fixture(scope="module")
def bundle_path(model_dir, tmp_path_factory):
    return export_web_bundle(model_dir, tmp_path_factory.mktemp("web") / "datajobs-predictor.js")


def run_node(bundle_path, inputs: list[dict], tmp_path) -> list[dict]:
    script = tmp_path / "predict.js"
    script.write_text(NODE_SCRIPT)
    data = tmp_path / "inputs.json"
    data.write_text(json.dumps(inputs, ensure_ascii=False))
    completed = subprocess.run([NODE, str(script), str(bundle_path), str(data)], capture_output=True, text=True,
                               timeout=300, check=True)
    return json.loads(completed.stdout)


def sample_inputs(sample_path, rows: int) -> list[dict]:
    """Form values from the sample file's raw cells, so the browser normalises them like the loader."""
    raw = load_profiles(sample_path).raw.head(rows)
    return [{"technologies": row["Technologies"], "diploma": row["Diplome"], "experience": row["Experience"],
             "city": row["Ville"], "company": row["Entreprise"]} for _, row in raw.iterrows()]


def synthetic_inputs(model, count: int, seed: int = 3) -> list[dict]:
    """Realistic and awkward form values: unseen cities, companies and technologies, aliases, spellings,
    missing or odd experience, empty fields."""
    rng = random.Random(seed)
    technologies = [*model.technology_vocabulary, "banana", "Quantum computing", "sklearn", "hadoop(hdfs)",
                    " pyspark ", "NoSQ", "ML", "Rust"]
    diplomas = ["Master", "MSc degree", "PhD in physics", "bachelor", "No diploma", "BTS", "(not given)", "", None]
    experiences = ["3,5", "2", "0", "12", "6 months", "no experience", "1.5 years", "", None, 4, 2.5, "18 mois",
                   "0.1", "7 ans", "60", "1 month", "2.25"]
    cities = [*model.known_cities, "Saint-Etienne", "  lyon ", "PARIS", "brest", "aix-en-provence", "", None]
    companies = [*model.metadata["categorical_values"]["company"][:30], "Unknown Startup", "", None, "  ACME  "]
    inputs = []
    for _ in range(count):
        picked = rng.sample(technologies, rng.randint(0, 6))
        inputs.append({
            "technologies": picked[: len(picked) // 2],
            "free_text": ", ".join(picked[len(picked) // 2:]),
            "diploma": rng.choice(diplomas), "experience": rng.choice(experiences),
            "city": rng.choice(cities), "company": rng.choice(companies),
        })
    return inputs


def python_results(model, inputs: list[dict]) -> list[dict]:
    """The Python form's answer to each input: error, or probabilities, label, warnings."""
    checked = [check_form(model, item.get("technologies") or (), item.get("free_text") or "", item.get("diploma"),
                          item.get("experience"), item.get("city"), item.get("company")) for item in inputs]
    frames = [entry.frame for entry in checked if entry.frame is not None]
    probabilities = iter(model.predict_proba(pd.concat(frames, ignore_index=True)) if frames else [])
    results = []
    for entry in checked:
        if entry.error:
            results.append({"error": entry.error})
            continue
        row = next(probabilities)
        top = np.sort(row)[::-1]
        results.append({"error": None, "probabilities": row, "warnings": entry.warnings, "caution": entry.caution,
                        "label": str(model.decision.predict(row[np.newaxis, :])[0]),
                        "uncertain": bool(top[0] - top[1] < UNCERTAIN_MARGIN),
                        "technologies": [item for item in entry.frame["technologies"].iloc[0].split("/") if item],
                        "city": entry.frame["city"].iloc[0], "company": entry.frame["company"].iloc[0]})
    return results


def na_to_none(value):
    return None if value is pd.NA or value is None else value


@requires_node
def test_browser_predictor_equals_python_on_sample_and_synthetic_profiles(fast_model, bundle_path, sample_path,
                                                                           tmp_path):
    inputs = sample_inputs(sample_path, 1200) + synthetic_inputs(fast_model, 600)
    expected = python_results(fast_model, inputs)
    actual = run_node(bundle_path, inputs, tmp_path)
    assert len(actual) == len(expected) >= 1000
    differences, predicted = [], 0
    for item, python, browser in zip(inputs, expected, actual, strict=True):
        assert browser["error"] == python["error"], item
        if python["error"]:
            continue
        predicted += 1
        values = np.array([browser["probabilities"][label] for label in fast_model.classes])
        differences.append(np.abs(values - python["probabilities"]).max())
        assert browser["label"] == python["label"], item
        assert browser["warnings"] == python["warnings"], item
        assert browser["caution"] == python["caution"], item
        assert (browser["uncertain_between"] is not None) == python["uncertain"], item
        assert browser["profile"]["technologies"] == python["technologies"], item
        assert browser["profile"]["city"] == na_to_none(python["city"]), item
        assert browser["profile"]["company"] == na_to_none(python["company"]), item
    assert predicted >= 1000
    assert max(differences) <= 1e-9
    # The synthetic half really exercises what the sample cannot: unseen values and missing experience.
    warnings = " ".join(" ".join(result.get("warnings", [])) for result in actual)
    assert "never saw the city" in warnings and "Ignored" in warnings and "Experience not given" in warnings
    assert "No training profile has exactly" in warnings and "No technology the model knows" in warnings
    assert "No training profile has 60 years" in warnings and "lists exactly these technologies" in warnings
    assert any(result.get("caution") for result in actual)


@requires_node
def test_lead_rule_and_errors_come_back_to_the_caller(fast_model, bundle_path, tmp_path):
    inputs = [{}, {"technologies": ["Python"], "experience": "-4"}, {"free_text": "banana, quantum tea"},
              {"technologies": ["Python", "Machine learning"], "diploma": "PhD", "experience": "6", "city": "Paris"}]
    results = run_node(bundle_path, inputs, tmp_path)
    assert "form is empty" in results[0]["error"] and results[0]["label"] is None
    assert "between 0 and 60" in results[1]["error"]
    assert "None of these technologies is known" in results[2]["error"]
    rule = results[3]["decision_rule"]
    assert rule["weighted_class"] == fast_model.decision.weighted_class and rule["weight"] == fast_model.decision.weight
    assert rule["decided"] == (results[3]["label"] != results[3]["argmax_label"])


def test_bundle_is_a_script_assigning_a_global_with_the_vocabularies(fast_model, bundle_path):
    text = bundle_path.read_text()
    assert text.startswith("/*") and f"globalThis.{BUNDLE_GLOBAL} = " in text
    assert "define(" not in text  # require.js is on widget pages: no AMD wrapper
    data = json.loads(text.split(f"globalThis.{BUNDLE_GLOBAL} = ", 1)[1].split(";\n", 1)[0])
    assert data["model"]["classes"] == list(fast_model.classes)
    assert data["vocabularies"]["technologies"] == fast_model.technology_vocabulary
    assert data["vocabularies"]["cities"] == fast_model.known_cities
    assert "missing" not in data["vocabularies"]["companies"] and data["vocabularies"]["companies"]
    assert all(split.get("ctr_index") is not None for tree in data["catboost"]["trees"] for split in tree["splits"]
               if split["split_type"] == "OnlineCtr")


def test_older_model_reads_its_training_file_again(fast_model, tmp_path, sample_path):
    model_dir = fast_model.save(tmp_path / "old")
    metadata = json.loads((model_dir / METADATA_FILE).read_text())
    values = metadata.pop("categorical_values")
    metadata["training_data"] = {"path": str(sample_path), "sha256": load_profiles(sample_path).report.sha256}
    (model_dir / METADATA_FILE).write_text(json.dumps(metadata))
    from datajobs.web.export import training_categories

    assert training_categories(ProfileModel.load(model_dir)) == values
    metadata["training_data"]["sha256"] = "0" * 64
    (model_dir / METADATA_FILE).write_text(json.dumps(metadata))
    with pytest.raises(DataFileError, match="retrain"):
        export_web_bundle(model_dir, tmp_path / "bundle.js")


def test_export_web_command(model_dir, tmp_path, capsys):
    output = tmp_path / "site" / "predictor.js"
    assert main(["export-web", "--model", str(model_dir), "-o", str(output)]) == 0
    assert output.is_file() and "wrote the browser predictor bundle" in capsys.readouterr().out
    assert main(["export-web", "--model", str(tmp_path / "nothing"), "-o", str(output)]) == 2
    assert "not a model directory" in capsys.readouterr().err


# Predicts every input at each level given, with or without the counterfactual search.
NODE_SETS_SCRIPT = """
const fs = require("fs");
require(process.argv[2]);
const inputs = JSON.parse(fs.readFileSync(process.argv[3], "utf8"));
const options = JSON.parse(process.argv[4]);
process.stdout.write(JSON.stringify(inputs.map((input) => {
  try { return globalThis.datajobsPredictor.predict(input, options); }
  catch (error) { return {thrown: error.message}; }
})));
"""


def run_node_with(bundle_path, inputs: list[dict], options: dict, tmp_path) -> list[dict]:
    script = tmp_path / "predict_sets.js"
    script.write_text(NODE_SETS_SCRIPT)
    data = tmp_path / "inputs.json"
    data.write_text(json.dumps(inputs, ensure_ascii=False))
    completed = subprocess.run([NODE, str(script), str(bundle_path), str(data), json.dumps(options)],
                               capture_output=True, text=True, timeout=600, check=True)
    return json.loads(completed.stdout)


@requires_node
@pytest.mark.parametrize("level", [0.8, 0.9, 0.95])
def test_browser_prediction_sets_equal_python_sets(fast_model, bundle_path, sample_path, tmp_path, level):
    inputs = sample_inputs(sample_path, 1200) + synthetic_inputs(fast_model, 600, seed=11)
    options = {"counterfactuals": False} if level == 0.9 else {"level": level, "counterfactuals": False}
    actual = run_node_with(bundle_path, inputs, options, tmp_path)
    expected = python_results(fast_model, inputs)
    scored = [(browser, python) for browser, python in zip(actual, expected, strict=True) if not python["error"]]
    assert len(scored) >= 1500
    rows = np.vstack([python["probabilities"] for _, python in scored])
    sets, empty = fast_model.prediction_sets(rows, [python["label"] for _, python in scored], level)
    for (browser, python), members, was_empty in zip(scored, sets, empty, strict=True):
        assert browser["set"] == members, (python["label"], browser["probabilities"])
        assert browser["set_empty"] == bool(was_empty) and browser["set_level"] == level
        shown = [browser["probabilities"][label] for label in browser["set"]]
        assert python["label"] in browser["set"] and shown == sorted(shown, reverse=True)
    sizes = {len(members) for members in sets}
    assert len(sizes) > 1, "the profiles should not all get sets of one size"


@requires_node
def test_browser_counterfactuals_equal_python_search(fast_model, bundle_path, sample_path, tmp_path):
    from datajobs.model.counterfactuals import counterfactuals

    inputs = sample_inputs(sample_path, 150) + synthetic_inputs(fast_model, 100, seed=5)
    actual = run_node_with(bundle_path, inputs, {}, tmp_path)
    compared = 0
    for item, browser in zip(inputs, actual, strict=True):
        checked = check_form(fast_model, item.get("technologies") or (), item.get("free_text") or "",
                             item.get("diploma"), item.get("experience"), item.get("city"), item.get("company"))
        if checked.error:
            assert browser["error"] and browser["counterfactuals"] is None
            continue
        expected = counterfactuals(fast_model, checked.frame)
        assert [edit["changes"] for edit in browser["counterfactuals"]] == [edit["changes"] for edit in expected]
        assert [edit["label"] for edit in browser["counterfactuals"]] == [edit["label"] for edit in expected]
        for edit, python_edit in zip(browser["counterfactuals"], expected, strict=True):
            assert abs(edit["probability"] - python_edit["probability"]) < 1e-9
            assert edit["size"] == python_edit["size"] and edit["kinds"] == python_edit["kinds"]
        compared += 1
    assert compared >= 200
    found = [edit for browser in actual if browser.get("counterfactuals") for edit in browser["counterfactuals"]]
    assert any(len(edit["changes"]) == 2 for edit in found) and any(len(edit["changes"]) == 1 for edit in found)


@requires_node
@pytest.mark.parametrize("level", [0, 1, 1.5, "abc"])
def test_browser_refuses_a_level_outside_zero_one(bundle_path, tmp_path, level):
    [answer] = run_node_with(bundle_path, [{"technologies": ["Python"]}], {"level": level}, tmp_path)
    assert "is not between 0 and 1" in answer["thrown"]
