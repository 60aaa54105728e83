"""The book end to end: notebooks executed by papermill (quick profile), HTML built, pages checked
in headless Chromium. Slow: each build executes every notebook."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from datajobs import config
from datajobs.model.evaluate import LOOKUP_BASELINES
from datajobs.publishing.errors import BookError
from datajobs.publishing.execution import execute_notebook
from datajobs.publishing.plan import NOTEBOOKS, materialise_notebook, notebook_source
from datajobs.publishing.scheduler import execute_notebooks
from tests.browser import chromium_page, crawl_book, pixel_spread, static_server
from tests.conftest import build_quick_book
from tests.predictor_page import FORM_PROFILES, fill_and_predict, python_answer, wait_ready, watch

pytestmark = pytest.mark.slow
STUDY_PAGES = [spec["name"] for spec in NOTEBOOKS]


def test_one_page_per_notebook_with_figures_and_no_errors(sample_book):
    outputs, html = sample_book
    for name in STUDY_PAGES:
        page = (html / "outputs" / "test-sample" / "notebooks" / f"{name}.html").read_text()
        assert "Traceback" not in page and "output_error" not in page, name
        assert "output stderr" not in page, f"{name} shows warnings or logs on stderr"
        if name not in {"00_introduction", "05_predictor", "06_monitoring", "99_reproducibility"}:
            assert len(re.findall(r"<img [^>]*src=\"[^\"]*_images/", page)) >= 1, name
    for page in ("book/references.html", "book/methods.html", "book/exercises.html"):
        assert (html / page).is_file()


def test_numbers_in_prose_come_from_glue(sample_book):
    _, html = sample_book
    page = (html / "outputs" / "test-sample" / "notebooks" / "01_data_audit.html").read_text()
    text = re.sub(r"<[^>]+>", "", page)
    assert "The file holds 3,000 profiles and 0 were lost" in text
    assert "{glue" not in page


def test_every_page_carries_the_synthetic_banner(sample_book):
    _, html = sample_book
    pages = list((html / "outputs").rglob("*.html")) + list((html / "book").glob("*.html"))
    assert len(pages) >= 10
    for page in pages:
        assert "synthetic sample" in page.read_text(), page


def test_manifest_and_cache(sample_book, sample_path):
    outputs, _ = sample_book
    manifest = json.loads((outputs / "run_manifest.json").read_text())
    assert manifest["synthetic_sample"] is True and len(manifest["data_sha256"]) == 64
    assert [entry["name"] for entry in manifest["notebooks"]] == STUDY_PAGES
    runs = execute_notebooks(sample_path, "quick", outputs_dir=outputs, log=lambda _: None)
    assert not any(run.executed for run in runs), "an unchanged rebuild must not execute any notebook"
    assert (outputs / "model" / "model.cbm").is_file()


def test_same_seed_gives_identical_metrics(sample_book, sample_path):
    outputs, _ = sample_book
    first = (outputs / "results" / "model_comparison_folds.csv").read_text()
    other = config.OUTPUTS_DIR / "test-repeat"
    shutil.rmtree(other, ignore_errors=True)
    execute_notebooks(sample_path, "quick", outputs_dir=other, log=lambda _: None)
    import pandas as pd

    columns = lambda frame: frame.drop(columns=["fit_seconds", "predict_seconds"])  # noqa: E731
    pd.testing.assert_frame_equal(columns(pd.read_csv(outputs / "results" / "model_comparison_folds.csv")),
                                  columns(pd.read_csv(other / "results" / "model_comparison_folds.csv")))
    assert first


def test_screenshots_index_and_predictor(sample_book, tmp_path):
    _, html = sample_book
    with static_server(html) as base, chromium_page() as page:
        page.goto(f"{base}/index.html")  # redirects to the introduction
        page.wait_for_url("**/notebooks/00_introduction.html")
        page.wait_for_selector("article h1")
        assert "Telling data jobs apart" in page.inner_text("article h1")
        index_png = page.screenshot()
        (tmp_path / "index.png").write_bytes(index_png)
        assert pixel_spread(index_png) > 0.05
        page.goto(f"{base}/outputs/test-sample/notebooks/05_predictor.html")
        page.wait_for_selector(".dj-widget[data-ready='true']", timeout=20_000)  # drawn by the vendored widget manager
        widget = page.locator(".dj-predictor").first
        widget.scroll_into_view_if_needed()
        predictor_png = page.screenshot()
        (tmp_path / "predictor.png").write_bytes(predictor_png)
        assert pixel_spread(predictor_png) > 0.05
        text = page.inner_text("body")
        assert "Predicted profile:" in text and "VBox(children" not in text
        assert page.locator(".dj-predictor").count() == 1


@pytest.fixture(scope="module")
def book_model(sample_book):
    from datajobs.model.profile_model import ProfileModel

    outputs, _ = sample_book
    return ProfileModel.load(outputs / "model")


@pytest.mark.parametrize("scheme", ["file", "http"])
def test_predictor_page_runs_the_model_in_the_browser(sample_book, book_model, scheme):
    _, html = sample_book
    page_path = "outputs/test-sample/notebooks/05_predictor.html"
    source = (html / page_path).read_text()
    assert "datajobs-predictor.js" in source and "make app" in source
    assert "datajobs-predictor.js" not in (html / "outputs/test-sample/notebooks/04_catboost_selection.html").read_text()
    with static_server(html) as base, chromium_page(height=1400) as page:
        root = html.resolve().as_uri() if scheme == "file" else base
        errors, outside = watch(page, (root + "/", "data:", "blob:"))
        page.goto(f"{root}/{page_path}")
        wait_ready(page)
        assert page.locator(".dj-label").inner_text()  # the example is predicted on load, in the browser
        for values in FORM_PROFILES:
            shown = fill_and_predict(page, values)
            expected = python_answer(book_model, values)
            assert shown["label"] == expected["label"], values
            for label, probability in expected["probabilities"].items():
                assert abs(shown["probabilities"][label] - probability) <= 1e-6, values
            for warning in expected["warnings"]:
                assert warning in shown["text"]
            assert "SHAP" in shown["text"] and "make app" in shown["text"]
        profiles = [{**values, "experience": experience, "city": city}
                    for values in FORM_PROFILES for experience in ("", "1", "4,5", "12", "30")
                    for city in ("Paris", "Toulouse", "Brest", "", "Rennes", "Nice", "lille", "Saint-Malo")][:200]
        answers = page.evaluate("profiles => profiles.map(p => window.datajobsPredictor.predict(p))", profiles)
        assert len(answers) == 200
        for values, answer in zip(profiles, answers, strict=True):
            expected = python_answer(book_model, values)
            assert answer["label"] == expected["label"], values
            assert max(abs(answer["probabilities"][label] - p) for label, p in expected["probabilities"].items()) <= 1e-9
        assert errors == [] and outside == []


def test_a_failing_cell_names_notebook_and_cell(tmp_path):
    source = tmp_path / "broken.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("x = 1"), new_code_cell("1 / 0")],
                                metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                         "language": "python"}}), source)
    with pytest.raises(BookError, match=r"broken.ipynb failed in cell 2: ZeroDivisionError"):
        execute_notebook(source, tmp_path / "out.ipynb", {})


def test_outputs_outside_the_project_get_one_line_before_any_work(sample_path, tmp_path):
    outside = tmp_path / "elsewhere"
    result = subprocess.run([sys.executable, "-m", "datajobs.cli", "book", "--data", str(sample_path),
                             "--profile", "quick", "--outputs", str(outside)], capture_output=True, text=True)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"datajobs book: error: --outputs {outside} is outside the project folder {config.PROJECT_ROOT}: the book "
        "is built from that folder, so the outputs must be inside it (e.g. --outputs outputs/run2)"]
    assert not outside.exists()


def _use_timed_notebooks(monkeypatch, folder, specs: dict, log_path) -> None:
    """Make the book's plan tiny MyST notebooks that record when they start and end (and may sleep
    or fail); ``specs`` maps each name to (upstream notebooks, cell body). Tracking is off."""
    from datajobs.publishing import plan

    notebooks = []
    for name, (after, body) in specs.items():
        (folder / f"{name}.md").write_text(
            "---\njupytext:\n  text_representation:\n    extension: .md\n    format_name: myst\n"
            "kernelspec:\n  display_name: Python 3\n  language: python\n  name: python3\n---\n\n"
            f"```{{code-cell}}\nimport time\nwith open({str(log_path)!r}, 'a') as log:\n"
            f"    log.write(f'{name} start {{time.time()}}\\n')\n{body}\n"
            f"with open({str(log_path)!r}, 'a') as log:\n    log.write(f'{name} end {{time.time()}}\\n')\n```\n")
        notebooks.append({"name": name, "after": after})
    monkeypatch.setattr(plan, "NOTEBOOKS", tuple(notebooks))
    monkeypatch.setattr(plan, "notebook_source", lambda name: folder / f"{name}.md")
    monkeypatch.setenv("DATAJOBS_TRACKING", "off")


def _events(log_path) -> dict:
    return {" ".join(line.split()[:2]): float(line.split()[2]) for line in log_path.read_text().splitlines()}


def test_ready_notebooks_run_side_by_side_after_their_inputs(sample_path, tmp_path, monkeypatch):
    log_path = tmp_path / "events.log"
    _use_timed_notebooks(monkeypatch, tmp_path, {"first": ((), "time.sleep(3)"), "second": ((), "time.sleep(3)"),
                                                 "reader": (("first",), "")}, log_path)
    lines = []
    runs = execute_notebooks(sample_path, "quick", outputs_dir=tmp_path / "out", log=lines.append, jobs=2)
    events = _events(log_path)
    # Two notebooks without inputs ran at the same time; the reader waited for its input.
    assert events["first start"] < events["second end"] and events["second start"] < events["first end"]
    assert events["reader start"] >= events["first end"]
    assert [run.name for run in runs] == ["first", "second", "reader"]
    assert "3 of 3 notebooks to execute (quick profile, 3,000 rows, 2 at a time)" in lines[0]
    manifest = json.loads((tmp_path / "out" / "run_manifest.json").read_text())
    assert [entry["name"] for entry in manifest["notebooks"]] == ["first", "second", "reader"]
    # One at a time when asked (DATAJOBS_BOOK_JOBS=1): the same results, no overlap.
    log_path.unlink()
    monkeypatch.setenv("DATAJOBS_BOOK_JOBS", "1")
    execute_notebooks(sample_path, "quick", outputs_dir=tmp_path / "out", log=lines.append, force=True)
    events = _events(log_path)
    assert events["second start"] >= events["first end"] or events["first start"] >= events["second end"]


def test_a_failing_notebook_stops_the_book_after_the_running_ones_finish(sample_path, tmp_path, monkeypatch):
    log_path = tmp_path / "events.log"
    _use_timed_notebooks(monkeypatch, tmp_path, {"slow": ((), "time.sleep(4)"), "broken": ((), "1 / 0"),
                                                 "after_broken": (("broken",), "")}, log_path)
    lines = []
    with pytest.raises(BookError, match=r"broken.ipynb failed in cell 1: ZeroDivisionError"):
        execute_notebooks(sample_path, "quick", outputs_dir=tmp_path / "out", log=lines.append, jobs=2)
    events = _events(log_path)
    assert "slow end" in events, "the notebook already running was let finish"
    assert "after_broken start" not in events, "nothing new starts after a failure"
    assert any("broken failed: letting slow finish before stopping" in line for line in lines)


def test_book_jobs_setting(monkeypatch):
    from datajobs.publishing.scheduler import book_jobs

    monkeypatch.setenv("DATAJOBS_BOOK_JOBS", "3")
    assert book_jobs() == 3
    monkeypatch.setenv("DATAJOBS_BOOK_JOBS", "two")
    with pytest.raises(BookError, match="DATAJOBS_BOOK_JOBS='two'"):
        book_jobs()


def test_bad_data_stops_before_any_notebook(write_csv):
    path = write_csv("Entreprise;Metier;Diplome;Experience;Ville\nA;Data scientist;Master;1;Paris\n")
    result = subprocess.run([sys.executable, "-m", "datajobs.cli", "book", "--data", str(path), "--profile", "quick",
                             "--outputs", str(config.OUTPUTS_DIR / "test-bad")], capture_output=True, text=True)
    assert result.returncode == 2 and "Technologies" in result.stderr and str(path) in result.stderr
    assert "Traceback" not in result.stderr


def test_book_leaves_tracked_runs_and_a_champion(sample_book, tracking_store, monkeypatch):
    outputs, html = sample_book
    monkeypatch.setenv("MLFLOW_TRACKING_URI", tracking_store)
    import mlflow

    # An earlier test of this session may have set another store in this process's mlflow.
    mlflow.set_tracking_uri(tracking_store)
    runs = mlflow.search_runs(experiment_names=["datajobs"])
    names = set(runs["tags.mlflow.runName"])
    assert {"01_data_audit", "02_preprocessing", "03_model_comparison", "04_catboost_selection", "06_monitoring"} <= names
    tuning = runs[runs["tags.mlflow.parentRunId"].notna()]
    assert len(tuning) == 2, "the quick search logs its two candidates as nested runs"
    champion = mlflow.MlflowClient().get_model_version_by_alias("datajobs-profile-classifier", "champion")
    assert int(champion.version) == 1
    appendix = (html / "outputs" / "test-sample" / "notebooks" / "99_reproducibility.html").read_text()
    for run_id in runs[runs["tags.mlflow.parentRunId"].isna()]["run_id"]:
        assert run_id in appendix


def test_a_notebook_runs_with_tracking_disabled(sample_path, tmp_path, monkeypatch):
    monkeypatch.setenv("DATAJOBS_TRACKING", "off")
    source = materialise_notebook(notebook_source("01_data_audit"), tmp_path / "source.ipynb")
    execute_notebook(source, tmp_path / "01.ipynb",
             {"data_path": str(sample_path), "results_dir": str(tmp_path / "results")})
    record = json.loads((tmp_path / "results" / "tracking" / "01_data_audit.json").read_text())
    assert record["run_id"] is None and record["skipped"] == "DATAJOBS_TRACKING=off"


@pytest.mark.real_data
def test_book_on_the_real_file_with_tracking_disabled(real_path):
    outputs, html = build_quick_book("real", real_path, {"DATAJOBS_TRACKING": "off"})
    manifest = json.loads((outputs / "run_manifest.json").read_text())
    assert manifest["synthetic_sample"] is False
    page = (html / "outputs" / "test-real" / "notebooks" / "01_data_audit.html").read_text()
    assert "synthetic sample" not in page
    assert "The file holds 7,649 profiles and 0 were lost" in re.sub(r"<[^>]+>", "", page)
    # The file lives outside the project: no page shows the folders of the build machine.
    forbidden = [str(config.PROJECT_ROOT), str(Path(real_path).resolve().parent), "{glue"]
    assert crawl_book(html, book_pages(html, "test-real"), forbidden=forbidden) == {}


def book_pages(html, outputs_name: str) -> list:
    """Every page of the book a reader can reach from the navigation."""
    return sorted((html / "outputs" / outputs_name / "notebooks").glob("*.html")) + sorted((html / "book").glob("*.html"))


def test_every_page_reads_clean_in_a_browser(sample_book):
    _, html = sample_book
    pages = book_pages(html, "test-sample")
    assert len(pages) >= len(STUDY_PAGES) + 3
    problems = crawl_book(html, pages, forbidden=[str(config.PROJECT_ROOT), "{glue"])
    assert problems == {}


def glued_values(notebook_path) -> dict:
    """Every value a notebook glued (myst-nb stores them as outputs tagged with a scrapbook name)."""
    import ast

    values = {}
    for cell in nbformat.read(notebook_path, as_version=4).cells:
        for output in cell.get("outputs", []):
            record = output.get("metadata", {}).get("scrapbook", {})
            key = record.get("mime_prefix", "") + "text/plain"
            if record.get("name") and key in output.get("data", {}):
                name, text = record["name"], output["data"][key]
                try:
                    values[name] = ast.literal_eval(text)
                except (ValueError, SyntaxError):
                    values[name] = text
    return values


def test_key_results_box_matches_the_chapters_and_the_results_tables(sample_book):
    import pandas as pd

    outputs, html = sample_book
    intro = glued_values(outputs / "notebooks" / "00_introduction.ipynb")
    chapter = glued_values(outputs / "notebooks" / "04_catboost_selection.ipynb")
    comparison = glued_values(outputs / "notebooks" / "03_model_comparison.ipynb")
    scores = pd.read_csv(outputs / "results" / "test_split_scores.csv", index_col="model")
    folds = pd.read_csv(outputs / "results" / "model_comparison_folds.csv")
    means = folds.groupby(["model", "strategy"])["macro_f1"].mean()
    lookup = intro["best_lookup"]
    assert lookup == chapter["best_lookup"] and lookup in LOOKUP_BASELINES
    # The best lookup is the best of all three on the test split, the experience lookup included.
    assert scores.loc[lookup, "macro-F1"] == scores.loc[list(LOOKUP_BASELINES), "macro-F1"].max()
    assert "stack + experience lookup" in LOOKUP_BASELINES
    assert intro["final_macro_f1"] == pytest.approx(chapter["test_macro_f1"])
    assert intro["final_macro_f1"] == pytest.approx(scores.loc["final model (CatBoost)", "macro-F1"])
    assert intro["lookup_macro_f1"] == pytest.approx(chapter["best_lookup_macro_f1"])
    assert intro["lookup_macro_f1"] == pytest.approx(scores.loc[lookup, "macro-F1"])
    assert intro["dummy_macro_f1"] == pytest.approx(scores.loc["dummy (class shares)", "macro-F1"])
    assert intro["gain_macro_f1"] == pytest.approx(chapter["test_gain"])
    assert intro["n_test"] == chapter["n_test"]
    for name in ("top_error_true", "top_error_predicted", "lead_weight", "final_weight", "worst_gap",
                 "worst_gap_class", "mean_gap", "worst_level", "rate_missing", "rate_known", "test_macro_f1_low",
                 "test_macro_f1_high", "test_gain_low", "test_gain_high", "final_oof_macro_f1"):
        assert intro[name] == (pytest.approx(chapter[name], nan_ok=True) if isinstance(intro[name], float)
                               else chapter[name]), name
    assert intro["top_error_share"] == pytest.approx(chapter["pair_error_share"])
    # The rule's effect in the introduction is the chapter's, label for label.
    assert f"{chapter['n_overridden']} profiles ({chapter['n_overridden_right']} corrected, " \
           f"{chapter['n_overridden_wrong']} made wrong)" in intro["rule_text"]
    assert f"{chapter['rule_precision_change']:+.3f}" in intro["rule_text"]
    assert intro["cv_catboost"] == pytest.approx(means[("catboost", "class_weight")])
    assert intro["cv_lookup"] == pytest.approx(comparison["best_lookup_macro_f1"])
    assert intro["chance_macro_f1"] == pytest.approx(comparison["chance_mean"])
    page = re.sub(r"<[^>]+>", "", (html / "outputs" / "test-sample" / "notebooks" / "00_introduction.html").read_text())
    assert "Key results of this build" in page
    assert f"{intro['final_macro_f1']:.3f}" in page and f"{intro['lookup_macro_f1']:.3f}" in page




def test_small_five_label_file_builds_the_quick_book(tmp_path):
    # One build covers a label of the data's own and a file too small for the quick profile's folds.
    from datajobs.data.synth import write_profiles_csv
    from tests.data.test_labels import NEW_LABEL, SMALL_FIVE_CLASSES, five_class_profiles

    path = write_profiles_csv(five_class_profiles(SMALL_FIVE_CLASSES), tmp_path / "five_small.csv")
    outputs, html = build_quick_book("five", path, {"DATAJOBS_TRACKING": "off"})
    metadata = json.loads((outputs / "model" / "metadata.json").read_text())
    assert metadata["classes"][-1] == NEW_LABEL and metadata["minority_class"] == NEW_LABEL
    from bs4 import BeautifulSoup

    # The page's Markdown turns straight quotes into curly ones.
    pages = {name: BeautifulSoup((html / "outputs" / "test-five" / "notebooks" / f"{name}.html").read_text(),
                                 "html.parser").get_text().replace("\u2018", "'").replace("\u2019", "'")
             for name in STUDY_PAGES}
    assert f"'{NEW_LABEL}', has 5 rows" in pages["03_model_comparison"]  # the page says why it changed
    assert "all rows instead of 50%" in pages["03_model_comparison"]
    assert "Small file" not in pages["02_preprocessing"]  # 3 folds fit 5 rows: nothing to adapt
    assert NEW_LABEL in pages["04_catboost_selection"]
    manifest = json.loads((outputs / "run_manifest.json").read_text())
    comparison = next(entry for entry in manifest["notebooks"] if entry["name"] == "03_model_comparison")
    assert comparison["parameters"]["sample_frac"] == 1.0


EXERCISE_CHAPTERS = ("01_data_audit", "02_preprocessing", "03_model_comparison", "04_catboost_selection",
                     "06_monitoring", "07_prediction_sets")


def test_every_study_chapter_has_exercises_with_hidden_executed_solutions(sample_book):
    from bs4 import BeautifulSoup

    from datajobs.publishing.student import find_exercises

    outputs, html = sample_book
    for name in EXERCISE_CHAPTERS:
        executed = nbformat.read(outputs / "notebooks" / f"{name}.ipynb", as_version=4)
        expected = len(find_exercises(executed, name))
        assert expected >= 1, name
        page = BeautifulSoup((html / "outputs" / "test-sample" / "notebooks" / f"{name}.html").read_text(),
                             "html.parser")
        exercises = page.select("div.exercise")
        solutions = page.select("div.solution")
        assert len(exercises) == len(solutions) == expected, name
        for exercise in exercises:
            assert exercise.select("div.cell_input"), f"{name}: an exercise without starter code"
            assert re.search(r"Level: (beginner|intermediate|advanced) · Time: \d+ minutes", exercise.get_text())
        for solution in solutions:
            assert "dropdown" in solution["class"], f"{name}: a solution shown without a toggle"
            assert solution.select("div.cell_input div.highlight"), f"{name}: a solution without code"
            assert solution.select("div.cell_output"), f"{name}: a solution whose code shows no executed output"
        assert "Learning objectives" in page.get_text(), name


def test_exercise_cells_finish_within_a_minute_in_the_quick_profile(sample_book):
    """The durations papermill recorded for each cell when the book executed the chapters."""
    from datajobs.publishing.student import exercise_durations

    outputs, _ = sample_book
    for name in EXERCISE_CHAPTERS:
        durations = exercise_durations(nbformat.read(outputs / "notebooks" / f"{name}.ipynb", as_version=4), name)
        print(durations.round(1).to_string(index=False))
        assert (durations["seconds"] <= 60).all(), f"{name}: an exercise takes more than a minute\n{durations}"


def test_launch_buttons_appear_only_with_a_repository_url(sample_book, monkeypatch):
    from datajobs.publishing.site import build_html

    outputs, html = sample_book
    page = "outputs/test-sample/notebooks/02_preprocessing.html"
    assert "mybinder.org/v2" not in (html / page).read_text()
    monkeypatch.setenv("DATAJOBS_REPOSITORY_URL", "https://github.com/example-org/datajobs")
    launched = build_html(outputs, outputs / "with-launch-buttons", synthetic=True, log=lambda _: None)
    assert ("https://mybinder.org/v2/gh/example-org/datajobs/main?urlpath=lab/tree/"
            "outputs/test-sample/notebooks/02_preprocessing.ipynb") in (launched / page).read_text()


def test_pages_show_paths_relative_to_the_project_or_the_file_name_alone(tmp_path):
    from datajobs.config import path_for_readers
    from datajobs.publishing.plan import parameters_for_readers

    assert path_for_readers(config.PROJECT_ROOT / "data" / "sample.csv") == "data/sample.csv"
    assert path_for_readers("outputs/results") == "outputs/results"
    outside = tmp_path / "exports" / "cv base.csv"
    assert path_for_readers(outside) == "cv base.csv"
    shown = parameters_for_readers({"data_path": str(outside), "seed": 42, "small_file_note": "",
                                    "results_dir": "outputs/results", "fast": False})
    assert shown == "seed = 42, fast = False"
    assert parameters_for_readers({"data_path": str(outside)}) == "none besides the data file"


def test_the_model_card_is_beside_the_model_logged_with_it_and_agrees_with_its_page(sample_book, tracking_store):
    import pandas as pd
    from mlflow import MlflowClient

    from datajobs.ops import tracking

    outputs, html = sample_book
    card = (outputs / "model" / "MODEL_CARD.md").read_text()
    page = glued_values(outputs / "notebooks" / "08_model_card.ipynb")
    figures = json.loads((outputs / "results" / "model_card.json").read_text())
    assert f"| macro-F1 | {page['cv_macro_f1']:.3f} | {page['cv_macro_f1_low']:.3f} |" in card
    for column in ("city", "company", "diploma", "experience_band"):
        assert page[f"gap_{column}"] in card, column  # the page and the card say the same sentence
    assert page["version_text"] in card
    slices = pd.read_csv(outputs / "results" / "group_slices.csv")
    assert (slices.groupby("column")["rows"].sum() == figures["n_answered"]).all()
    assert ((slices["rows"] >= figures["min_rows"]) == slices["judged"]).all()
    # The introduction's limitation sentence quotes the card's largest gap.
    intro = glued_values(outputs / "notebooks" / "00_introduction.ipynb")
    if figures["largest_gap"]:
        assert f"{figures['largest_gap']['gap']:.3f}, by {figures['largest_gap']['column']}" in intro["group_gap_text"]
    # Logged in the model's own run, beside the model directory, so a model from the registry carries it.
    run_id = tracking.recorded_run_id(outputs / "results", "04_catboost_selection")
    logged = [item.path for item in MlflowClient(tracking_uri=tracking_store).list_artifacts(
        run_id, tracking.PROFILE_MODEL_ARTIFACT)]
    assert f"{tracking.PROFILE_MODEL_ARTIFACT}/MODEL_CARD.md" in logged
    text = re.sub(r"<[^>]+>", "", (html / "outputs" / "test-sample" / "notebooks" / "08_model_card.html").read_text())
    assert "Performance by group" in text and "{glue" not in text


def test_the_datasheet_page_reads_its_figures_from_the_data(sample_book, profiles):
    outputs, html = sample_book
    values = glued_values(outputs / "notebooks" / "09_datasheet.ipynb")
    assert values["n_rows"] == len(profiles)
    assert values["n_stacks"] == profiles.dropna(subset=["profile"])["technologies"].astype(str).nunique()
    assert values["missing_experience"] == pytest.approx(profiles["experience"].isna().mean())
    text = re.sub(r"<[^>]+>", "", (html / "outputs" / "test-sample" / "notebooks" / "09_datasheet.html").read_text())
    assert "What the data cannot say" in text and "synthetic sample" in text
