"""The book's run plan: which notebooks run, in what order, with which parameters, and which can be reused.

The notebooks and their reading order come from the book's ``_toc.yml``; :data:`READS` declares which
notebooks' outputs each one reads, and so the order they run in.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

from datajobs import config
from datajobs.config import project_relative
from datajobs.model.candidates import KNN_NEIGHBOURS, SMOTE_NEIGHBOURS
from datajobs.publishing.errors import BookError

TOC_PATH = config.PROJECT_ROOT / "_toc.yml"
EXECUTED_PREFIX = "outputs/notebooks/"  # where the table of contents finds the executed notebooks
EVERY_NOTEBOOK = "every other notebook"

# The notebooks whose outputs a notebook reads (the others read only the data file).
READS: dict[str, tuple[str, ...] | str] = {
    "05_predictor": ("04_catboost_selection",),
    "06_monitoring": ("04_catboost_selection",),
    "07_prediction_sets": ("04_catboost_selection",),
    # The model card reads the saved model, the test-split results and the tracking run of the CatBoost chapter.
    "08_model_card": ("04_catboost_selection",),
    # The first page, written after the chapters: its key results are read from the chapters' result tables.
    "00_introduction": ("03_model_comparison", "04_catboost_selection", "08_model_card"),
    # The appendix reads every other notebook's run (the run manifest, written before it starts).
    "99_reproducibility": EVERY_NOTEBOOK,
}


def toc_notebooks(toc_path: Path = TOC_PATH) -> list[str]:
    """The executed notebooks the table of contents names: its chapters in reading order, then its
    root page (the introduction, which sums up the chapters)."""
    import yaml

    if not toc_path.is_file():
        return []
    toc = yaml.safe_load(toc_path.read_text())
    files = [entry["file"] for part in toc.get("parts", []) for entry in part.get("chapters", [])] + [toc["root"]]
    return [file[len(EXECUTED_PREFIX):] for file in files if file.startswith(EXECUTED_PREFIX)]


def execution_order(names: list[str], reads: dict) -> tuple[dict, ...]:
    """Each notebook with the notebooks it runs after (``after``), in the order given except that a
    notebook runs after those it reads."""
    after = {name: tuple(other for other in names if other != name) if reads.get(name) == EVERY_NOTEBOOK
             else tuple(reads.get(name, ())) for name in names}
    ordered: list[str] = []
    while len(ordered) < len(names):
        ready = [name for name in names if name not in ordered and all(upstream in ordered for upstream in after[name])]
        if not ready:
            raise BookError(f"notebooks that read each other's outputs in a cycle: {sorted(set(names) - set(ordered))}")
        ordered.append(ready[0])
    return tuple({"name": name, "after": after[name]} for name in ordered)


# Executed in this order; "after" names the notebooks whose outputs a notebook reads.
NOTEBOOKS: tuple[dict, ...] = execution_order(toc_notebooks(), READS)

# Parameters of each profile; a notebook receives only those it declares in its parameters cell.
PROFILES: dict[str, dict[str, dict]] = {
    # The quick profile's fits are small: each notebook fits them in its own process (n_jobs 1), as
    # notebooks run side by side and fill the cores; two worker processes per notebook cost more
    # CPU to start (about 1.7 s each) than they save: about 9 % off the quick book's wall time.
    "quick": {
        "02_preprocessing": {"n_splits": 3, "n_repeats": 1, "n_jobs": 1},
        "03_model_comparison": {"n_splits": 3, "n_repeats": 1, "fast": True, "sample_frac": 0.5,
                                "n_permutations": 20, "n_jobs": 1},
        "04_catboost_selection": {"tuning_splits": 3, "quick_search": True, "iterations": 100, "n_jobs": 1},
        "06_monitoring": {"n_calm_batches": 10},
        "07_prediction_sets": {"n_splits": 3, "iterations": 100, "n_jobs": 1},
        "08_model_card": {"n_splits": 3, "iterations": 100, "n_jobs": 1, "n_resamples": 200, "n_permutations": 200},
    },
    "full": {
        "02_preprocessing": {"n_splits": 5, "n_repeats": 2},
        "03_model_comparison": {"n_splits": 5, "n_repeats": 2, "fast": False, "sample_frac": 1.0,
                                "n_permutations": 100},
        "04_catboost_selection": {"tuning_splits": 3, "quick_search": False,
                                  "iterations": config.CATBOOST_PARAMS["iterations"]},
        "06_monitoring": {"n_calm_batches": 50},
        "07_prediction_sets": {"n_splits": 5, "iterations": config.CATBOOST_PARAMS["iterations"]},
        "08_model_card": {"n_splits": 5, "iterations": config.CATBOOST_PARAMS["iterations"], "n_resamples": 1000,
                          "n_permutations": 1000},
    },
}

# Seconds each notebook took on the shipped 3,000-row sample on the quiet 2-core development machine,
# two notebooks at a time (`benchmarks/yardstick.py book`), used to say up front how long a run
# takes until this machine has timings of its own (kept in the cache stamps).
TYPICAL_SECONDS: dict[str, dict[str, float]] = {
    "quick": {"01_data_audit": 7, "02_preprocessing": 12, "03_model_comparison": 20,
              "04_catboost_selection": 16, "05_predictor": 3, "06_monitoring": 4, "07_prediction_sets": 12,
              "08_model_card": 15, "09_datasheet": 4, "00_introduction": 3, "99_reproducibility": 3},
    "full": {"01_data_audit": 8, "02_preprocessing": 25, "03_model_comparison": 105,
             "04_catboost_selection": 27, "05_predictor": 3, "06_monitoring": 10, "07_prediction_sets": 30,
             "08_model_card": 40, "09_datasheet": 4, "00_introduction": 3, "99_reproducibility": 3},
}
TYPICAL_ROWS = 3000


@dataclass
class PlannedNotebook:
    """One notebook of the run plan: where it is, what it is given, and whether its cached run is reused."""

    name: str
    after: tuple[str, ...]  # the notebooks whose outputs it reads
    unexecuted: Path  # the .ipynb made from its markdown source
    target: Path  # the executed copy
    stamp: Path  # its cache stamp (key, seconds, profile, rows)
    parameters: dict
    key: str
    cached: dict  # the stamp of its last execution, if its executed copy is still there
    reuse: bool
    expected: float  # rough seconds to execute it (0 when reused)
    reads_every_run: bool  # it reads the run manifest of every other notebook: written just before it starts


def notebook_source(name: str) -> Path:
    """The text source of a notebook: MyST markdown paired by jupytext, so edits diff as text."""
    return config.NOTEBOOKS_DIR / f"{name}.md"


def materialise_notebook(source: Path, target: Path) -> Path:
    """Write the ``.ipynb`` that papermill or Voilà runs from a notebook's MyST-markdown source."""
    import jupytext
    import nbformat

    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(jupytext.read(source), target)
    return target


def _declared_parameters(notebook: Path) -> set[str]:
    import papermill

    return set(papermill.inspect_notebook(str(notebook)))


def package_fingerprint() -> str:
    """Hash of the package's source: a code change invalidates cached notebooks."""
    from datajobs.model.cache import code_digest

    return code_digest()


def parameters_for_readers(parameters: dict) -> str:
    """A notebook's parameters as one line, ``name = value``: the choices that shape its results.
    Files and folders (the same data file and output folders for every notebook) and empty texts
    are left out."""
    return ", ".join(f"{name} = {value}" for name, value in parameters.items()
                     if value != "" and not name.endswith(("_path", "_dir"))) or "none besides the data file"


# The held-out share of the CatBoost page (its notebook's default) and the folds of the final
# model's calibration: together they set the fewest rows a label needs for the book to run.
CATBOOST_TEST_SIZE = 0.2


def adapt_profile(counts: dict[str, int], profile: str) -> tuple[dict[str, dict], dict[str, str]]:
    """Fit a profile's parameters to the data's smallest label, before any notebook runs.

    Stratified folds need at least as many rows of each label as folds; the CatBoost page holds
    out ``CATBOOST_TEST_SIZE`` of each label and calibrates on 3 folds of the rest. When the
    smallest label has too few rows for a page's folds (or for its sampled share), the page gets
    fewer folds (or all rows) and a sentence saying so; when it cannot run at all, the book stops.

    Returns
    -------
    (parameters, notes)
        Each notebook's profile parameters after adaptation, and for each adapted notebook the
        sentence its page shows.

    Raises
    ------
    BookError
        In one line naming the label and its row count, when a label has too few rows.
    """
    from datajobs.data import LabelError, check_class_counts
    from datajobs.model.train import CALIBRATION_SPLITS

    parameters = {name: dict(values) for name, values in PROFILES[profile].items()}
    needed = next(rows for rows in range(CALIBRATION_SPLITS, 1000)
                  if rows - math.ceil(rows * CATBOOST_TEST_SIZE) >= CALIBRATION_SPLITS)
    try:
        check_class_counts(counts, needed, f"the book ({CALIBRATION_SPLITS} folds on the "
                           f"{1 - CATBOOST_TEST_SIZE:.0%} training split)")
    except LabelError as error:
        raise BookError(str(error)) from None
    label = min(counts, key=lambda name: counts[name])
    smallest = counts[label]
    notes: dict[str, str] = {}
    for name, values in parameters.items():
        changes = []
        fraction = values.get("sample_frac", 1.0)
        if "n_splits" in values and fraction < 1.0 and round(smallest * fraction) < values["n_splits"]:
            changes.append(f"all rows instead of {fraction:.0%}")
            values["sample_frac"] = 1.0
        if "n_splits" in values and smallest < values["n_splits"]:
            changes.append(f"{smallest} folds instead of {values['n_splits']}")
            values["n_splits"] = smallest
        if name == "03_model_comparison":
            # Rows of the smallest label, and of all labels, in a training fold of this page.
            folds = values["n_splits"]
            used = round(smallest * values.get("sample_frac", 1.0))
            minority_rows = used - math.ceil(used / folds)
            fold_rows = int(sum(counts.values()) * values.get("sample_frac", 1.0) * (folds - 1) / folds)
            if minority_rows - 1 < SMOTE_NEIGHBOURS:
                changes.append(f"SMOTE with {max(1, minority_rows - 1)} neighbours instead of {SMOTE_NEIGHBOURS}")
            if fold_rows < KNN_NEIGHBOURS:
                changes.append(f"k-NN with {fold_rows} neighbours instead of {KNN_NEIGHBOURS}")
        if changes:
            notes[name] = (f"This file is small: its smallest label, {label!r}, has {smallest} rows, so this page "
                           f"uses {' and '.join(changes)}: each training fold must hold every label, and "
                           "enough rows for the neighbours.")
    return parameters, notes


def notebook_parameters(name: str, declared: set[str], data_path: Path, profile: str, seed: int,
                        outputs_dir: Path, adapted: dict[str, dict] | None = None,
                        notes: dict[str, str] | None = None) -> dict:
    values = {
        "data_path": project_relative(data_path),
        "seed": seed,
        "model_dir": project_relative(outputs_dir / "model"),
        "results_dir": project_relative(outputs_dir / "results"),
        "manifest_path": project_relative(outputs_dir / "run_manifest.json"),
        **(adapted or PROFILES[profile]).get(name, {}),
        "small_file_note": (notes or {}).get(name, ""),
    }
    return {key: value for key, value in values.items() if key in declared}


def _cache_key(source: Path, parameters: dict, data_sha: str, fingerprint: str, upstream: list[str]) -> str:
    payload = json.dumps({"source": hashlib.sha256(source.read_bytes()).hexdigest(), "parameters": parameters,
                          "data": data_sha, "package": fingerprint, "upstream": upstream}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def expected_seconds(name: str, profile: str, rows: int, stamp: dict) -> float:
    """A rough duration: this machine's last run of the notebook in this profile, else the typical
    figure. Each notebook pays a fixed start-up (kernel, imports: the quickest notebook's time);
    the rest grows about linearly with the rows."""
    startup = min(TYPICAL_SECONDS[profile].values())
    if stamp.get("profile") == profile and stamp.get("rows"):
        measured, measured_rows = stamp["seconds"], stamp["rows"]
    else:
        measured, measured_rows = TYPICAL_SECONDS[profile].get(name, startup), TYPICAL_ROWS
    return startup + max(measured - startup, 0.0) * rows / measured_rows


def plan_notebooks(data_path: Path, data_sha: str, rows: int, profile: str, seed: int, outputs_dir: Path,
                   force: bool, adapted: dict[str, dict], notes: dict[str, str]) -> list[PlannedNotebook]:
    """Every notebook of :data:`NOTEBOOKS`, in order, with its parameters and cache key (notebook
    source, parameters, data sha256, package fingerprint, upstream notebooks' keys); its cached
    run is reused when the key is unchanged, unless ``force``."""
    fingerprint = package_fingerprint()
    executed_dir = outputs_dir / "notebooks"
    executed_dir.mkdir(parents=True, exist_ok=True)
    names = {spec["name"] for spec in NOTEBOOKS}
    keys: dict[str, str] = {}
    plan = []
    for spec in NOTEBOOKS:
        name = spec["name"]
        source = notebook_source(name)
        target = executed_dir / f"{name}.ipynb"
        stamp = executed_dir / f"{name}.cache.json"
        unexecuted = materialise_notebook(source, outputs_dir / "sources" / f"{name}.ipynb")
        parameters = notebook_parameters(name, _declared_parameters(unexecuted), data_path, profile, seed,
                                         outputs_dir, adapted, notes)
        key = _cache_key(source, parameters, data_sha, fingerprint, [keys[upstream] for upstream in spec["after"]])
        keys[name] = key
        cached = json.loads(stamp.read_text()) if stamp.is_file() and target.is_file() else {}
        reuse = not force and cached.get("key") == key
        plan.append(PlannedNotebook(
            name, tuple(spec["after"]), unexecuted, target, stamp, parameters, key, cached, reuse,
            0.0 if reuse else expected_seconds(name, profile, rows, cached),
            reads_every_run=len(names) > 1 and names - {name} <= set(spec["after"])))
    return plan
