"""Exercises of the study chapters and the student edition of the notebooks.

The chapters' exercises are written with ``sphinx-exercise``'s gated directives, so that starter
code and solutions can be executed code cells::

    ```{exercise-start} Title
    :label: ex-some-label
    ```
    (statement, starter code cells)
    ```{exercise-end}
    ```
    ```{solution-start} ex-some-label
    :class: dropdown
    ```
    (solution code cells and prose, executed at build time, hidden behind a toggle)
    ```{solution-end}
    ```

:func:`find_exercises` reads that structure from a notebook, :func:`strip_solutions` removes every
solution block, and :func:`write_student_edition` writes the notebooks without solutions or
outputs, with the quick profile's parameters as defaults, plus the sample data and a how-to-run
page, into a folder and a zip that a teacher can hand out.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from datajobs import config
from datajobs.errors import DatajobsError

# The chapters of the student edition, in the order they must run (05, 06 and 07 read the model 04 saves).
STUDENT_NOTEBOOKS: tuple[str, ...] = (
    "01_data_audit", "02_preprocessing", "03_model_comparison", "04_catboost_selection", "05_predictor",
    "06_monitoring", "07_prediction_sets",
)
STUDENT_PROFILE = "quick"
ZIP_NAME = "datajobs-student.zip"

# A gated directive: its opening fence (backticks or colons), the name, the argument line and
# option lines, up to the closing fence of the same length.
_DIRECTIVE = re.compile(
    r"^(?P<fence>`{3,}|:{3,})\{(?P<name>(?:exercise|solution)-(?:start|end))\}(?P<argument>[^\n]*)\n"
    r"(?P<body>.*?)^(?P=fence)[ \t]*$\n?",
    re.MULTILINE | re.DOTALL,
)
_LABEL = re.compile(r"^:label:\s*(\S+)", re.MULTILINE)


class ExerciseStructureError(DatajobsError, ValueError):
    """Unbalanced or unlabelled exercise and solution directives in a notebook."""


@dataclass
class Exercise:
    """One exercise of a notebook: its label, title and the indices of its code cells."""

    label: str
    title: str
    starter_cells: list[int] = field(default_factory=list)
    solution_cells: list[int] = field(default_factory=list)

    @property
    def code_cells(self) -> list[int]:
        return [*self.starter_cells, *self.solution_cells]


def _directives(source: str) -> list[re.Match]:
    return list(_DIRECTIVE.finditer(source))


def find_exercises(notebook, name: str = "notebook") -> list[Exercise]:
    """The exercises of a notebook, in order, with the code cells of each.

    Parameters
    ----------
    notebook : nbformat.NotebookNode
        A notebook (read with ``jupytext.read`` or ``nbformat.read``).
    name : str
        How errors name the notebook.

    Returns
    -------
    list of Exercise
        Each exercise with its starter code cells (between ``exercise-start`` and
        ``exercise-end``) and solution code cells (between ``solution-start`` and
        ``solution-end`` of the solution that names its label).

    Raises
    ------
    ExerciseStructureError
        When a directive is not closed, is nested in another, an exercise has no label, or a
        solution names an exercise that does not exist.
    """
    exercises: dict[str, Exercise] = {}
    current: tuple[str, Exercise] | None = None  # ("exercise" | "solution", exercise)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            if current is not None:
                kind, exercise = current
                (exercise.starter_cells if kind == "exercise" else exercise.solution_cells).append(index)
            continue
        if cell.cell_type != "markdown":
            continue
        for match in _directives(cell.source):
            kind, edge = match["name"].split("-")
            where = f"{name}, cell {index}: {{{match['name']}}}"
            if edge == "start":
                if current is not None:
                    raise ExerciseStructureError(f"{where} opens inside an unclosed {{{current[0]}-start}}")
                if kind == "exercise":
                    label = _LABEL.search(match["body"])
                    if label is None:
                        raise ExerciseStructureError(f"{where} has no :label:")
                    exercise = Exercise(label[1], match["argument"].strip())
                    exercises[exercise.label] = exercise
                else:
                    target = match["argument"].strip()
                    if target not in exercises:
                        raise ExerciseStructureError(f"{where} names {target!r}, which is no exercise above it")
                    exercise = exercises[target]
                current = (kind, exercise)
            else:
                if current is None or current[0] != kind:
                    raise ExerciseStructureError(f"{where} closes nothing")
                current = None
    if current is not None:
        raise ExerciseStructureError(f"{name}: {{{current[0]}-start}} of {current[1].label!r} is never closed")
    return list(exercises.values())


def _strip_markdown(source: str, inside: bool) -> tuple[str, bool]:
    """Drop the parts of a markdown cell that belong to a solution; turn exercise directives
    into plain headings that Jupyter renders. Returns the new text and whether a solution is
    still open at the end of the cell."""
    kept: list[str] = []
    position = 0
    for match in _directives(source):
        if not inside:
            kept.append(source[position:match.start()])
        name = match["name"]
        if name == "solution-start":
            inside = True
        elif name == "solution-end":
            inside = False
        elif name == "exercise-start" and not inside:
            kept.append(f"### Exercise: {match['argument'].strip()}\n")
        position = match.end()
    if not inside:
        kept.append(source[position:])
    return re.sub(r"\n{3,}", "\n\n", "".join(kept)).strip(), inside


def strip_solutions(notebook):
    """A copy of ``notebook`` without solutions and without outputs.

    Every cell, or part of a markdown cell, between ``solution-start`` and ``solution-end`` is
    removed; exercise directives become ``### Exercise: title`` headings; outputs, execution
    counts and execution metadata are cleared.
    """
    import copy

    find_exercises(notebook)  # refuse a notebook whose directives do not balance
    student = copy.deepcopy(notebook)
    cells = []
    inside = False
    for cell in student.cells:
        if cell.cell_type == "markdown":
            cell.source, inside_after = _strip_markdown(cell.source, inside)
            inside = inside_after
            if cell.source:
                cells.append(cell)
            continue
        if inside:
            continue
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            for key in ("execution", "papermill"):
                cell.metadata.pop(key, None)
        cells.append(cell)
    student.cells = cells
    student.metadata.pop("papermill", None)
    return student


_PARAMETER_LINE = re.compile(r"^(?P<name>[A-Za-z_]\w*)(?P<annotation>\s*:\s*[^=]+?)?\s*=\s*(?P<value>.+?)"
                             r"(?P<comment>\s+#.*)?$")


def set_parameter_defaults(notebook, values: dict) -> None:
    """Write ``values`` as the literals of the notebook's ``parameters`` cell (in place).

    Raises
    ------
    KeyError
        When a value names no parameter of the cell, or the notebook has no parameters cell.
    """
    cell = next((cell for cell in notebook.cells if "parameters" in cell.metadata.get("tags", [])), None)
    if cell is None:
        raise KeyError("the notebook has no cell tagged 'parameters'")
    remaining = dict(values)
    lines = []
    for line in cell.source.splitlines():
        match = _PARAMETER_LINE.match(line)
        if match and match["name"] in remaining:
            line = (f"{match['name']}{match['annotation'] or ''} = {remaining.pop(match['name'])!r}"
                    f"{match['comment'] or ''}")
        lines.append(line)
    if remaining:
        raise KeyError(f"no parameter named {', '.join(sorted(remaining))} in the parameters cell")
    cell.source = "\n".join(lines)


HOW_TO_RUN = """# datajobs: student edition

These notebooks are the chapters of the datajobs case study (telling data-job profiles apart)
with the **solutions removed**. Each chapter ends with exercises: a statement, a level, a time
estimate and starter code. Replace each `...` with your code; the solutions are in the book.

## What is here

- `{first}.ipynb` … `{last}.ipynb`: the chapters, to run **in order** (the monitoring chapter
  reads the model that the CatBoost chapter saves in `outputs/model/`);
- `data/sample/profiles_sample.csv`: a synthetic sample of {rows:,} profiles (no real person);
- this page.

## How to run it

You need the `datajobs` package and Jupyter in one Python environment (3.11 or newer). From a
clone of the project repository:

```bash
make setup                                      # creates .venv, installs datajobs and the book toolchain
.venv/bin/pip install -c constraints.txt -e ".[teach]"   # adds JupyterLab
make student                                    # writes this folder into _build/student/
cd _build/student && ../../.venv/bin/jupyter lab
```

`make lab` does the last three steps at once. In a classroom JupyterHub or on Binder, the
environment is already there: open this folder and start with `{first}.ipynb`.

Run each notebook from top to bottom (*Run → Run All Cells* first, then work on the exercises).
Paths such as `data/sample/profiles_sample.csv` are read from the folder that holds the
notebooks (or from the clone, when datajobs is installed from it); set the `DATAJOBS_HOME`
environment variable to point somewhere else.

## Speed

The parameters cell at the top of each notebook holds the **quick** profile ({quick}): every
exercise runs in under a minute on two cores. To scale up, raise the folds or the sample share in
that cell, or, in the exercises, the number of rows they sample; the comments say which.
To use your own labelled file, set `data_path` to it.
"""


def _quick_summary() -> str:
    from datajobs.publishing.plan import PROFILES

    values = {key: value for parameters in PROFILES[STUDENT_PROFILE].values() for key, value in parameters.items()}
    return ", ".join(f"`{key} = {value!r}`" for key, value in values.items())


def write_student_edition(out_dir: str | Path = config.PROJECT_ROOT / "_build" / "student",
                          names: tuple[str, ...] = STUDENT_NOTEBOOKS, make_zip: bool = True) -> Path:
    """Write the student edition: notebooks without solutions or outputs, sample data, README.

    Parameters
    ----------
    out_dir : str or Path
        The folder to (re)create; the zip, when asked for, is written beside it
        (``<out_dir>/../datajobs-student.zip``).
    names : tuple of str
        The chapters, by notebook name.
    make_zip : bool
        Also write the zip.

    Returns
    -------
    Path
        The folder written.
    """
    import nbformat

    from datajobs.data.writing import write_text
    from datajobs.publishing.plan import PROFILES, notebook_source

    out_dir = Path(out_dir)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    (out_dir / "data" / "sample").mkdir(parents=True)
    for name in names:
        import jupytext

        notebook = strip_solutions(jupytext.read(notebook_source(name)))
        set_parameter_defaults(notebook, PROFILES[STUDENT_PROFILE].get(name, {}))
        notebook.metadata.pop("jupytext", None)  # a plain notebook, not paired with a source
        nbformat.write(notebook, out_dir / f"{name}.ipynb")
    shutil.copy2(config.SAMPLE_DATA_PATH, out_dir / "data" / "sample" / config.SAMPLE_DATA_PATH.name)
    rows = sum(1 for _ in config.SAMPLE_DATA_PATH.open(encoding="utf-8")) - 1
    write_text(out_dir / "README.md", HOW_TO_RUN.format(first=names[0], last=names[-1], rows=rows,
                                                        quick=_quick_summary()))
    if make_zip:
        archive = out_dir.parent / ZIP_NAME
        with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as handle:
            for path in sorted(out_dir.rglob("*")):
                if path.is_file():
                    handle.write(path, Path(out_dir.name) / path.relative_to(out_dir))
    return out_dir


def exercise_durations(executed_notebook, name: str = "notebook"):
    """Seconds each exercise's code cells took, from papermill's per-cell execution metadata.

    Returns
    -------
    DataFrame
        One row per exercise: ``label``, ``title``, ``cells``, ``seconds`` (all its cells) and
        ``slowest_cell_seconds``.
    """
    import pandas as pd

    rows = []
    for exercise in find_exercises(executed_notebook, name):
        durations = []
        for index in exercise.code_cells:
            metadata = executed_notebook.cells[index].metadata.get("papermill", {})
            if metadata.get("duration") is None:
                raise ValueError(f"{name}, cell {index}: no papermill duration (was it executed by papermill?)")
            durations.append(float(metadata["duration"]))
        rows.append({"label": exercise.label, "title": exercise.title, "cells": len(durations),
                     "seconds": sum(durations), "slowest_cell_seconds": max(durations, default=0.0)})
    return pd.DataFrame(rows, columns=["label", "title", "cells", "seconds", "slowest_cell_seconds"])
