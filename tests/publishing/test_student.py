"""The student edition: no solution left, sample data and how-to-run included, and every notebook
executes from its own folder (papermill, the quick profile, tracking off)."""

from __future__ import annotations

import zipfile

import jupytext
import nbformat
import pytest

from datajobs.cli.main import main
from datajobs.publishing.execution import execute_notebook
from datajobs.publishing.plan import PROFILES, notebook_source
from datajobs.publishing.student import STUDENT_NOTEBOOKS, ZIP_NAME, find_exercises

pytestmark = pytest.mark.slow

# Smaller than the quick profile where a chapter has a long main part, so that the whole edition
# executes in a couple of minutes; the exercises keep their own sizes.
TEST_PARAMETERS = {
    "03_model_comparison": {"sample_frac": 0.25},
    "04_catboost_selection": {"iterations": 80},
}


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    parent = tmp_path_factory.mktemp("edition")
    assert main(["student", "--out", str(parent / "student")]) == 0
    return parent / "student"


def test_the_edition_holds_notebooks_data_and_a_how_to_run(edition):
    names = sorted(path.name for path in edition.iterdir())
    assert names == sorted([*(f"{name}.ipynb" for name in STUDENT_NOTEBOOKS), "README.md", "data"])
    assert (edition / "data" / "sample" / "profiles_sample.csv").stat().st_size > 100_000
    readme = (edition / "README.md").read_text()
    assert "make student" in readme and "01_data_audit.ipynb" in readme and "..." in readme
    with zipfile.ZipFile(edition.parent / ZIP_NAME) as archive:
        zipped = set(archive.namelist())
    assert zipped == {f"student/{path.relative_to(edition).as_posix()}" for path in edition.rglob("*") if path.is_file()}


def test_no_solution_code_and_no_output_is_left(edition):
    for name in STUDENT_NOTEBOOKS:
        original = jupytext.read(notebook_source(name))
        student = nbformat.read(edition / f"{name}.ipynb", as_version=4)
        student_text = "\n".join(cell.source for cell in student.cells)
        for exercise in find_exercises(original, name):
            for index in exercise.solution_cells:
                for line in original.cells[index].source.splitlines():
                    # A solution line may repeat a starter line (the names it assigns); longer
                    # lines that are not in the starter code must not be there.
                    if len(line) > 25 and line not in "\n".join(original.cells[i].source for i in exercise.starter_cells):
                        assert line not in student_text, f"{name}: solution line left: {line}"
        assert "solution-start" not in student_text and "{solution" not in student_text
        for cell in student.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None
        parameters = next(cell for cell in student.cells if "parameters" in cell.metadata.get("tags", []))
        for key, value in PROFILES["quick"].get(name, {}).items():
            assert f"{key}: " in parameters.source and f"= {value!r}" in parameters.source


def test_every_student_notebook_executes_in_order(edition, monkeypatch):
    # The notebooks resolve paths from DATAJOBS_HOME: the edition's own data, model and outputs.
    monkeypatch.setenv("DATAJOBS_HOME", str(edition))
    monkeypatch.setenv("DATAJOBS_TRACKING", "off")
    for name in STUDENT_NOTEBOOKS:
        executed = edition / "executed" / f"{name}.ipynb"
        executed.parent.mkdir(exist_ok=True)
        execute_notebook(edition / f"{name}.ipynb", executed, TEST_PARAMETERS.get(name, {}))
        notebook = nbformat.read(executed, as_version=4)
        assert not [output for cell in notebook.cells for output in cell.get("outputs", [])
                    if output.get("output_type") == "error"], name
    assert (edition / "outputs" / "model" / "model.cbm").is_file(), "the CatBoost chapter saved its model in the edition"
