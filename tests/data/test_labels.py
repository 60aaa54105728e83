"""The label set is the data's: a fifth profile through train, predict, evaluate and the plots;
small files adapted or stopped before any notebook."""

from __future__ import annotations

import json
import subprocess
import sys

import matplotlib
import numpy as np
import pandas as pd
import pytest

from datajobs import config
from datajobs.cli.main import main
from datajobs.data import LabelError, choose_minority, class_counts, load_profiles, ordered_labels
from datajobs.data.synth import generate_profiles, write_profiles_csv
from datajobs.model.train import fit_profile_model
from datajobs.publishing.errors import BookError
from datajobs.publishing.plan import adapt_profile
from datajobs.report import plots
from tests.conftest import FAST_PARAMS

matplotlib.use("Agg")
NEW_LABEL = "Machine learning engineer"


def five_class_profiles(sizes: dict[str, int], seed: int = 11) -> pd.DataFrame:
    """Synthetic raw profiles with a fifth label: data scientists whose stack has a deep-learning
    framework become machine-learning engineers, so the new class is learnable."""
    pool = generate_profiles(6000, seed)
    deep = pool["Technologies"].str.contains("Tensorflow|Deep learning|Pytorch|Keras", case=False)
    pool.loc[(pool["Metier"] == "Data scientist") & deep, "Metier"] = NEW_LABEL
    parts = [pool[pool["Metier"] == label].head(count) for label, count in sizes.items()]
    assert all(len(part) == count for part, count in zip(parts, sizes.values(), strict=True))
    return pd.concat(parts).sample(frac=1.0, random_state=seed).reset_index(drop=True)


FIVE_CLASSES = {"Data scientist": 160, "Lead data scientist": 70, "Data engineer": 120, "Data architecte": 60,
                NEW_LABEL: 45}
# Small enough to need the book's adaptations (5 rows of the new label), big enough to run.
SMALL_FIVE_CLASSES = {"Data scientist": 14, "Lead data scientist": 7, "Data engineer": 12, "Data architecte": 8,
                      NEW_LABEL: 5}


@pytest.fixture(scope="module")
def five_class_path(tmp_path_factory):
    return write_profiles_csv(five_class_profiles(FIVE_CLASSES), tmp_path_factory.mktemp("five") / "five.csv")


def test_fifth_label_is_a_class_in_validate_not_a_warning(five_class_path, capsys):
    loaded = load_profiles(five_class_path)
    assert ordered_labels(loaded.frame["profile"]) == (*config.PROFILE_LABELS, NEW_LABEL)
    assert loaded.report.labels[NEW_LABEL] == 45
    assert not [warning for warning in loaded.report.warnings if warning.column == "Metier"]
    assert main(["validate", str(five_class_path)]) == 0
    assert f"{NEW_LABEL} 45 (not a reference label)" in capsys.readouterr().out


def test_reference_labels_keep_their_spelling_normalisation(write_csv):
    path = write_csv("Metier;Technologies;Diplome;Experience;Ville\n  lead DATA scientist ;Python;Master;1;Paris\n"
                     "Data Engineer;Spark;Master;1;Paris\nMLOps engineer;Docker;Master;1;Paris\n")
    assert list(load_profiles(path).frame["profile"]) == ["Lead data scientist", "Data engineer", "MLOps engineer"]


def test_minority_class_comes_from_the_data_or_a_parameter():
    counts = {"Data scientist": 30, "Lead data scientist": 12, "Data engineer": 20, NEW_LABEL: 9}
    assert choose_minority(counts) == NEW_LABEL
    assert choose_minority(counts, "Lead data scientist") == "Lead data scientist"
    with pytest.raises(LabelError, match="'Data analyst' is not a label"):
        choose_minority(counts, "Data analyst")


def test_five_classes_train_predict_evaluate_from_the_command_line(five_class_path, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("DATAJOBS_TRACKING", "off")
    model_dir = tmp_path / "model"
    assert main(["train", "--data", str(five_class_path), "--out", str(model_dir), "--iterations", "60"]) == 0
    out = capsys.readouterr().out
    assert f"{NEW_LABEL} (45)" in out and "without a label" not in out
    assert f"{NEW_LABEL} F1" in out  # the data's minority class is the one the rule weights
    metadata = json.loads((model_dir / "metadata.json").read_text())
    assert metadata["classes"] == [*config.PROFILE_LABELS, NEW_LABEL]
    assert metadata["minority_class"] == NEW_LABEL and metadata["decision_rule"]["weighted_class"] == NEW_LABEL

    target = tmp_path / "predicted.csv"
    assert main(["predict", "--model", str(model_dir), str(five_class_path), "-o", str(target)]) == 0
    predicted = pd.read_csv(target, sep=";", keep_default_na=False)
    assert "proba_machine_learning_engineer" in predicted.columns
    assert np.allclose(predicted.filter(like="proba_").sum(axis=1), 1.0, atol=1e-3)
    assert NEW_LABEL in set(predicted["predicted_metier"])

    capsys.readouterr()
    assert main(["evaluate", "--model", str(model_dir), "--data", str(five_class_path)]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert set(scores["per_class_f1"]) == {*config.PROFILE_LABELS, NEW_LABEL}
    assert scores["rows"] == sum(FIVE_CLASSES.values()) and scores["labels_unknown_to_the_model"] == {}


def test_evaluate_counts_a_label_the_model_never_saw(tmp_path, five_class_path, fast_model, capsys):
    model_dir = fast_model.save(tmp_path / "four")
    assert main(["evaluate", "--model", str(model_dir), "--data", str(five_class_path)]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert scores["labels_unknown_to_the_model"] == {NEW_LABEL: 45}
    assert scores["rows"] == sum(FIVE_CLASSES.values())


def test_plots_draw_a_fifth_label_with_its_own_colour(five_class_path):
    frame = load_profiles(five_class_path).frame
    colours = plots.label_colours(frame["profile"])
    assert colours["Data scientist"] == plots.PALETTE["Data scientist"]
    assert colours[NEW_LABEL] not in [plots.PALETTE[label] for label in config.PROFILE_LABELS]
    for figure in (plots.plot_class_balance(frame["profile"]), plots.plot_experience_by_profile(frame),
                   plots.plot_crosstab_heatmap(frame, "diploma", "Diploma by profile")):
        matplotlib.pyplot.close(figure)


def test_a_label_with_too_few_rows_stops_training_in_one_line(tmp_path):
    profiles = five_class_profiles({**SMALL_FIVE_CLASSES, NEW_LABEL: 2})
    frame = load_profiles(write_profiles_csv(profiles, tmp_path / "tiny.csv")).frame
    with pytest.raises(LabelError, match=rf"label '{NEW_LABEL}' has 2 rows; .* at least 3"):
        fit_profile_model(frame, params=FAST_PARAMS)


def test_small_file_profile_is_adapted_and_said():
    counts = dict(SMALL_FIVE_CLASSES)
    adapted, notes = adapt_profile(counts, "full")
    assert adapted["02_preprocessing"]["n_splits"] == 5 and "02_preprocessing" not in notes
    quick, quick_notes = adapt_profile(counts, "quick")
    assert quick["03_model_comparison"]["sample_frac"] == 1.0  # half of 5 rows cannot fill 3 folds
    assert f"'{NEW_LABEL}', has 5 rows" in quick_notes["03_model_comparison"]
    smaller, smaller_notes = adapt_profile({**counts, NEW_LABEL: 4}, "full")
    assert smaller["02_preprocessing"]["n_splits"] == 4 and "4 folds instead of 5" in smaller_notes["02_preprocessing"]


def test_too_small_label_stops_the_book_before_any_notebook(tmp_path):
    with pytest.raises(BookError, match=rf"label '{NEW_LABEL}' has 3 rows; the book .* at least 4"):
        adapt_profile({**SMALL_FIVE_CLASSES, NEW_LABEL: 3}, "quick")
    path = write_profiles_csv(five_class_profiles({**SMALL_FIVE_CLASSES, NEW_LABEL: 3}), tmp_path / "tiny.csv")
    outputs = tmp_path / "outputs"
    result = subprocess.run([sys.executable, "-m", "datajobs.cli", "book", "--data", str(path), "--profile", "quick",
                             "--outputs", str(outputs)], capture_output=True, text=True)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and f"label '{NEW_LABEL}' has 3 rows" in errors[0]
    assert not (outputs / "notebooks").exists()


def test_thirty_row_file_trains_with_small_folds(tmp_path):
    # 30 rows: k-NN's 15 neighbours and SMOTE's 5 would exceed a training fold.
    from datajobs.model.candidates import make_model
    from datajobs.model.evaluate import cross_validate_configurations

    sizes = {"Data scientist": 9, "Lead data scientist": 5, "Data engineer": 9, "Data architecte": 7}
    frame = load_profiles(write_profiles_csv(five_class_profiles(sizes), tmp_path / "thirty.csv")).frame
    configurations = {(model, strategy): (lambda model=model, strategy=strategy: make_model(model, strategy, fast=True))
                      for model, strategy in (("knn", "smote"), ("knn", "none"), ("logistic_regression", "smote"))}
    results = cross_validate_configurations(frame, configurations, n_splits=3, n_repeats=1, n_jobs=1, progress=False)
    assert len(results) == 9 and results["macro_f1"].notna().all()
    assert class_counts(frame) == sizes
