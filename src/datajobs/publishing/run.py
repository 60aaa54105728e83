"""Execute the notebooks with papermill (cached) and build the Jupyter Book.

``run_book`` is what ``make book`` and ``datajobs book`` call:

1. every notebook of :data:`NOTEBOOKS` is executed by papermill with the parameters of the chosen
   profile into ``outputs/notebooks/``, unless its cache key (notebook source, parameters, data
   sha256, package fingerprint, upstream notebooks' keys) is unchanged;
2. ``jupyter-book build -W -n --keep-going`` builds ``_build/html`` from the executed notebooks
   and the hand-written pages of ``book/``; a warning or a cell error fails the build.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from datajobs import config
from datajobs.data.loading import file_sha256, load_profiles
from datajobs.model.candidates import KNN_NEIGHBOURS, SMOTE_NEIGHBOURS

# Executed in this order; "after" names the notebooks whose outputs a notebook reads.
NOTEBOOKS: tuple[dict, ...] = (
    {"name": "01_data_audit", "after": ()},
    {"name": "02_preprocessing", "after": ()},
    {"name": "03_model_comparison", "after": ()},
    {"name": "04_catboost_selection", "after": ()},
    {"name": "05_predictor", "after": ("04_catboost_selection",)},
    {"name": "06_monitoring", "after": ("04_catboost_selection",)},
    # The first page, written last: its key results are read from the chapters' result tables.
    {"name": "00_introduction", "after": ("03_model_comparison", "04_catboost_selection")},
    {"name": "99_reproducibility", "after": ("01_data_audit", "02_preprocessing", "03_model_comparison",
                                             "04_catboost_selection", "05_predictor", "06_monitoring",
                                             "00_introduction")},
)

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
    },
    "full": {
        "02_preprocessing": {"n_splits": 5, "n_repeats": 2},
        "03_model_comparison": {"n_splits": 5, "n_repeats": 2, "fast": False, "sample_frac": 1.0,
                                "n_permutations": 100},
        "04_catboost_selection": {"tuning_splits": 3, "quick_search": False,
                                  "iterations": config.CATBOOST_PARAMS["iterations"]},
        "06_monitoring": {"n_calm_batches": 50},
    },
}


class BookError(RuntimeError):
    """The book could not be produced; the message says which notebook, cell or page."""


@dataclass
class NotebookRun:
    name: str
    parameters: dict
    key: str
    executed: bool
    seconds: float


def resolve_path(path: str | Path) -> Path:
    """A path given to a notebook: absolute as is, relative from the project root (never the cwd)."""
    path = Path(path).expanduser()
    return path if path.is_absolute() else (config.PROJECT_ROOT / path).resolve()


def is_synthetic_sample(data_sha256: str) -> bool:
    """Whether a data file (given by its sha256) is the shipped synthetic sample (same bytes)."""
    return config.SAMPLE_DATA_PATH.is_file() and data_sha256 == file_sha256(config.SAMPLE_DATA_PATH)


def package_fingerprint() -> str:
    """Hash of the package's source: a code change invalidates cached notebooks."""
    from datajobs.model.cache import code_digest

    return code_digest()


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


def project_relative(path: Path) -> str:
    """A path as notebooks show it: relative to the project root when inside it."""
    try:
        return path.resolve().relative_to(config.PROJECT_ROOT).as_posix()
    except ValueError:
        return str(path)


def path_for_readers(path: str | Path) -> str:
    """A path as a page of the book shows it: relative to the project root when inside the
    project, otherwise the file's name alone (the folders of the build machine mean nothing to a
    reader; the file's sha256 beside it identifies it)."""
    path = Path(path)
    try:
        return resolve_path(path).relative_to(config.PROJECT_ROOT).as_posix()
    except ValueError:
        return path.name


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
    from datajobs.model.train import CALIBRATION_SPLITS, LabelError, check_class_counts

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


def _execute(source: Path, target: Path, parameters: dict, progress: bool = False, position: int = 0) -> None:
    """Execute one notebook with papermill; ``progress`` draws cells done / total and elapsed time
    (on line ``position`` of the terminal when notebooks run side by side)."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    bar = {"desc": f"  {target.stem}", "unit": "cell", "leave": False, "mininterval": 1.0, "position": position,
           "bar_format": "{desc}: {n_fmt}/{total_fmt} cells, {elapsed} elapsed"} if progress else False
    try:
        papermill.execute_notebook(str(source), str(target), parameters=parameters, cwd=str(config.PROJECT_ROOT),
                                   kernel_name="python3", progress_bar=bar, log_output=False,
                                   # The kernel's own log is noise here: "running over TCP without
                                   # encryption" at each start (it runs on this machine only), and
                                   # "KeyboardInterrupt caught in kernel" when papermill shuts it down
                                   # (jupyter_client interrupts a kernel before stopping it). A cell's
                                   # error or a dead kernel is still reported by papermill.
                                   extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
    except PapermillExecutionError as error:
        raise BookError(f"notebook {source.name} failed in cell {error.exec_count or error.cell_index}: "
                        f"{error.ename}: {error.evalue} (executed copy with the traceback: {target})") from None
    tidy_for_readers(target)


def tidy_for_readers(path: Path) -> None:
    """Remove the build's traces from an executed notebook before it is published.

    The cell papermill injects with this run's parameters is hidden like the ``parameters`` cell,
    and papermill's record of the input and output paths (absolute paths of the build machine) is
    made relative to the project root, so that a downloaded notebook shows no build path.
    """
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if ("injected-parameters" in tags or "parameters" in tags) and "remove-cell" not in tags:
            cell.metadata["tags"] = [*tags, "remove-cell"]
    recorded = notebook.metadata.get("papermill", {})
    for key in ("input_path", "output_path"):
        if recorded.get(key):
            recorded[key] = project_relative(Path(recorded[key]))
    nbformat.write(notebook, path)


# Seconds each notebook took on the shipped 3,000-row sample on the quiet 2-core development machine,
# two notebooks at a time (`benchmarks/yardstick.py book`), used to say up front how long a run
# takes until this machine has timings of its own (kept in the cache stamps).
TYPICAL_SECONDS: dict[str, dict[str, float]] = {
    "quick": {"01_data_audit": 7, "02_preprocessing": 12, "03_model_comparison": 20,
              "04_catboost_selection": 16, "05_predictor": 3, "06_monitoring": 4, "00_introduction": 3,
              "99_reproducibility": 3},
    "full": {"01_data_audit": 8, "02_preprocessing": 25, "03_model_comparison": 105,
             "04_catboost_selection": 27, "05_predictor": 3, "06_monitoring": 10, "00_introduction": 3,
             "99_reproducibility": 3},
}
TYPICAL_ROWS = 3000


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


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def execute_notebooks(data_path: Path, profile: str = "full", seed: int = config.SEED,
                      outputs_dir: Path = config.OUTPUTS_DIR, force: bool = False,
                      log=print, progress: bool | None = None, jobs: int | None = None) -> list[NotebookRun]:
    """Execute every notebook (or reuse its cached execution) and write the run manifest.

    Says up front roughly how long the notebooks to execute will take; ``progress`` (default:
    when stderr is a terminal) shows each notebook's cells done / total and elapsed time.
    Notebooks whose upstream notebooks are done run ``jobs`` at a time (default :func:`book_jobs`).
    If one fails, the others already running finish, nothing new starts, and its error is raised.
    """
    if profile not in PROFILES:
        raise BookError(f"unknown profile {profile!r}; choose from {', '.join(PROFILES)}")
    progress = sys.stderr.isatty() if progress is None else progress
    loaded = load_profiles(data_path)  # fail early, with the loader's clear error, on a bad file
    from datajobs.model.train import class_counts, labelled_rows

    adapted, notes = adapt_profile(class_counts(labelled_rows(loaded.frame)[0]), profile)
    for name, note in notes.items():
        log(f"  {name}: {note}")
    data_sha = loaded.report.sha256
    rows = len(loaded.frame)
    fingerprint = package_fingerprint()
    executed_dir = outputs_dir / "notebooks"
    executed_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = outputs_dir / "run_manifest.json"
    keys: dict[str, str] = {}
    plan = []
    # The notebooks' kernels inherit this: fold results are cached beside the outputs they feed.
    os.environ.setdefault("DATAJOBS_CACHE_DIR", str(outputs_dir / "cache"))
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
        plan.append((name, unexecuted, target, stamp, parameters, key, cached, reuse,
                     0.0 if reuse else expected_seconds(name, profile, rows, cached)))
    to_run = [entry for entry in plan if not entry[7]]
    jobs = book_jobs() if jobs is None else max(1, jobs)
    if to_run:
        expected = [entry[8] for entry in to_run]
        side_by_side = f", {jobs} at a time" if jobs > 1 and len(to_run) > 1 else ""
        log(f"  {len(to_run)} of {len(plan)} notebooks to execute ({profile} profile, {rows:,} rows{side_by_side}): "
            f"about {_duration(max(max(expected), sum(expected) / jobs))}, then a few seconds for the HTML")
    runs: dict[str, NotebookRun] = {}
    for name, _, _, _, parameters, key, cached, reuse, _ in plan:
        if reuse:
            runs[name] = NotebookRun(name, parameters, key, False, cached["seconds"])
            log(f"  {name}: unchanged, cached ({cached['seconds']:.0f} s when executed)")
    if len(to_run) > 1 and jobs > 1:
        _prepare_tracking_store()  # before notebooks side by side might both create it

    lock = threading.Lock()

    def say(message: str) -> None:  # one whole line at a time, whichever notebook's thread speaks
        with lock:
            if progress and log is print:
                from tqdm import tqdm

                tqdm.write(message, file=sys.stdout)  # above the notebooks' progress bars, not through them
            else:
                log(message)

    def in_plan_order() -> list[NotebookRun]:
        return [runs[entry[0]] for entry in plan if entry[0] in runs]

    def execute(entry: tuple, position: int) -> float:
        name, unexecuted, target, stamp, parameters, key, cached, _, expected = entry
        say(f"  {name}: executing (about {_duration(expected)}) ...")
        started = time.perf_counter()
        stamp.unlink(missing_ok=True)
        _execute(unexecuted, target, parameters, progress, position)
        seconds = time.perf_counter() - started
        stamp.write_text(json.dumps({"key": key, "seconds": seconds, "profile": profile, "rows": rows}))
        say(f"  {name}: done in {_duration(seconds)}")
        return seconds

    # Notebooks whose inputs are ready run side by side (``jobs`` at a time), the longest first:
    # each pays a kernel start and a serial part that would otherwise leave a core idle.
    after = {spec["name"]: spec["after"] for spec in NOTEBOOKS}
    pending = list(to_run)
    running: dict = {}
    failure: BaseException | None = None

    def schedule(pool: ThreadPoolExecutor) -> None:
        nonlocal failure
        while running or (pending and failure is None):
            ready = sorted((entry for entry in pending if all(upstream in runs for upstream in after[entry[0]])),
                           key=lambda entry: -entry[8])
            while failure is None and ready and len(running) < jobs:
                entry = ready.pop(0)
                pending.remove(entry)
                if entry[0] == "99_reproducibility":  # the appendix reads every other notebook's run
                    _write_manifest(manifest_path, data_path, data_sha, profile, seed, in_plan_order())
                position = min(set(range(jobs)) - {slot for _, slot in running.values()})
                running[pool.submit(execute, entry, position)] = (entry, position)
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                (name, _, _, _, parameters, key, *_), _ = running.pop(future)
                try:
                    runs[name] = NotebookRun(name, parameters, key, True, future.result())
                except BookError as error:
                    if failure is None:
                        failure = error
                        for other, _ in running.values():
                            say(f"  {name} failed: letting {other[0]} finish before stopping")
                except BaseException as error:  # noqa: BLE001 - reported after the others finish
                    failure = failure or error

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        try:
            schedule(pool)
        except KeyboardInterrupt:
            # Kernels run in sessions of their own, so Ctrl-C does not reach them: stop them, and
            # the notebooks' threads end at once instead of running to their end.
            _stop_kernels()
            raise
    if failure is not None:
        raise failure
    _write_manifest(manifest_path, data_path, data_sha, profile, seed, in_plan_order())
    return in_plan_order()


def book_jobs() -> int:
    """How many notebooks run side by side: ``DATAJOBS_BOOK_JOBS``, else 2 on a machine with two
    cores or more (each notebook's heavy cells already use every core: more would only compete)."""
    setting = os.environ.get("DATAJOBS_BOOK_JOBS", "").strip()
    if setting:
        if not setting.isdigit() or int(setting) < 1:
            raise BookError(f"DATAJOBS_BOOK_JOBS={setting!r}: expected a whole number of notebooks, 1 or more")
        return int(setting)
    return 2 if (os.cpu_count() or 1) >= 2 else 1


def _stop_kernels() -> None:
    """Kill this process's children (the notebooks' kernels and their workers)."""
    try:
        import psutil
    except ImportError:
        return
    for child in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            child.kill()


def _prepare_tracking_store() -> None:
    """Create the MLflow store and experiment once, here, when notebooks side by side would both
    find it missing and race to create it. Tracking problems never stop the book: the notebooks
    report them on their pages."""
    from datajobs.ops import tracking

    uri = tracking.tracking_uri()
    if not tracking.tracking_enabled() or not uri.startswith("sqlite:///") or Path(uri[len("sqlite:///"):]).is_file():
        return
    with contextlib.suppress(Exception):
        tracking._configure()


def _write_manifest(path: Path, data_path: Path, data_sha: str, profile: str, seed: int,
                    runs: list[NotebookRun]) -> None:
    from datajobs.model.train import git_commit, package_versions

    manifest = {
        "data_path": project_relative(data_path), "data_sha256": data_sha,
        "synthetic_sample": is_synthetic_sample(data_sha),
        "profile": profile, "seed": seed, "git_commit": git_commit(), "package_versions": package_versions(),
        "notebooks": [{"name": run.name, "parameters": run.parameters, "seconds": round(run.seconds, 1),
                       "executed_this_run": run.executed, "cache_key": run.key[:16]} for run in runs],
    }
    path.write_text(json.dumps(manifest, indent=2) + "\n")


SYNTHETIC_BANNER = ("This build ran on the <b>synthetic sample</b> shipped with the project, not on real "
                    "profiles: figures and scores illustrate the method only. "
                    "Run <code>make book DATA=your.csv</code> for real results.")


def launch_settings(environment: dict[str, str] | None = None) -> dict:
    """The ``repository`` and ``launch_buttons`` settings of the book, from the environment.

    Launch buttons (Binder, and JupyterHub when ``DATAJOBS_JUPYTERHUB_URL`` is set) need the
    public repository: they are shown only when ``DATAJOBS_REPOSITORY_URL`` is set (``make book
    REPOSITORY_URL=...``). ``DATAJOBS_REPOSITORY_BRANCH`` defaults to ``main`` and
    ``DATAJOBS_BINDERHUB_URL`` to the public mybinder.org. Returns an empty dict otherwise.
    """
    environment = os.environ if environment is None else environment
    url = environment.get("DATAJOBS_REPOSITORY_URL", "").strip()
    if not url:
        return {}
    buttons = {"notebook_interface": "jupyterlab",
               "binderhub_url": environment.get("DATAJOBS_BINDERHUB_URL", "").strip() or "https://mybinder.org"}
    if environment.get("DATAJOBS_JUPYTERHUB_URL", "").strip():
        buttons["jupyterhub_url"] = environment["DATAJOBS_JUPYTERHUB_URL"].strip()
    return {"repository": {"url": url, "branch": environment.get("DATAJOBS_REPOSITORY_BRANCH", "").strip() or "main",
                           "path_to_book": ""},
            "launch_buttons": buttons}



BASE_URL_VARIABLE = "DATAJOBS_BASE_URL"  # where the site is published, e.g. https://owner.github.io/repo/


def citation_substitutions() -> dict[str, str]:
    """The "How to cite" section's fields, read from the top-level ``CITATION.cff``."""
    import yaml

    citation = yaml.safe_load((config.PROJECT_ROOT / "CITATION.cff").read_text())
    authors = ", ".join(author.get("name") or f"{author['given-names']} {author['family-names']}"
                        for author in citation["authors"])
    return {"cite_authors": authors, "cite_title": citation["title"], "cite_version": str(citation["version"]),
            "cite_date": str(citation["date-released"]), "cite_year": str(citation["date-released"])[:4]}


def add_site_settings(book_config: dict, base_url: str) -> None:
    """``html_baseurl`` and a sitemap when the site's address is known (a sitemap needs absolute URLs)."""
    sphinx_config = book_config.setdefault("sphinx", {}).setdefault("config", {})
    book_config.setdefault("parse", {})["myst_substitutions"] = citation_substitutions()
    if not base_url:
        return
    base_url = base_url.rstrip("/") + "/"
    sphinx_config.update({"html_baseurl": base_url, "ogp_site_url": base_url, "sitemap_url_scheme": "{link}",
                          "sitemap_excludes": ["search.html", "genindex.html"]})
    book_config["sphinx"]["extra_extensions"] = [*book_config["sphinx"].get("extra_extensions", []), "sphinx_sitemap"]


def write_build_config(outputs_dir: Path, synthetic: bool, predictor_bundle: Path | None = None) -> tuple[Path, Path]:
    """The book's ``_config.yml`` and ``_toc.yml`` for this run (banner, outputs folder, launch buttons,
    site address, predictor bundle)."""
    import yaml

    book_config = yaml.safe_load((config.PROJECT_ROOT / "_config.yml").read_text())
    book_config.setdefault("html", {})["announcement"] = SYNTHETIC_BANNER if synthetic else ""
    book_config.update(launch_settings())
    add_site_settings(book_config, os.environ.get(BASE_URL_VARIABLE, "").strip())
    if predictor_bundle is not None:
        book_config.setdefault("sphinx", {}).setdefault("config", {})["datajobs_predictor_bundle"] = str(predictor_bundle)
    toc_text = (config.PROJECT_ROOT / "_toc.yml").read_text()
    relative = outputs_dir.resolve().relative_to(config.PROJECT_ROOT).as_posix()
    toc_text = toc_text.replace("outputs/notebooks/", f"{relative}/notebooks/")
    config_path = outputs_dir / "_config.build.yml"
    toc_path = outputs_dir / "_toc.build.yml"
    config_path.write_text(yaml.safe_dump(book_config, sort_keys=False, allow_unicode=True))
    toc_path.write_text(toc_text)
    return config_path, toc_path


def _jupyter_book() -> str:
    local = Path(sys.executable).with_name("jupyter-book")
    return str(local) if local.exists() else (shutil.which("jupyter-book") or "jupyter-book")


def export_predictor_bundle(outputs_dir: Path, log=print) -> Path:
    """The browser bundle of the model the notebooks trained (``outputs/web/``), for the predictor page."""
    from datajobs.web.export import BUNDLE_FILE_NAME, export_web_bundle

    started = time.perf_counter()
    path = export_web_bundle(outputs_dir / "model", outputs_dir / "web" / BUNDLE_FILE_NAME)
    log(f"  predictor bundle: {path.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - started:.0f} s")
    return path


def build_html(outputs_dir: Path, build_parent: Path, synthetic: bool, log=print, builder: str = "html",
               predictor_bundle: Path | None = None) -> Path:
    """Run ``jupyter-book build -W -n --keep-going`` and return the HTML folder.

    ``builder="singlehtml"`` writes the whole book as one page (``_build/singlehtml``), which
    :mod:`datajobs.publishing.pdf` prints; ``predictor_bundle`` is the model's browser bundle the predictor page loads.
    """
    vendored = config.PROJECT_ROOT / "book" / "_static" / "vendor"
    if not (vendored / "embed-amd.js").is_file():
        raise BookError(f"widget JavaScript is not vendored in {vendored}: run `make setup` (npm install)")
    if not (vendored / "anywidget.js").is_file():
        raise BookError(f"the predictor's widget JavaScript is not vendored in {vendored}: run `make setup`")
    if predictor_bundle is None:  # a rebuild of an existing run (tests, the PDF) uses the bundle it exported
        from datajobs.web.export import BUNDLE_FILE_NAME

        exported = outputs_dir / "web" / BUNDLE_FILE_NAME
        predictor_bundle = exported if exported.is_file() else None
    config_path, toc_path = write_build_config(outputs_dir, synthetic, predictor_bundle)
    command = [_jupyter_book(), "build", str(config.PROJECT_ROOT), "--config", str(config_path), "--toc",
               str(toc_path), "--path-output", str(build_parent), "--builder", builder, "-W", "-n", "--keep-going"]
    log_path = outputs_dir / ("jupyter-book-build.log" if builder == "html" else f"jupyter-book-{builder}.log")
    started = time.perf_counter()
    with open(log_path, "w") as handle:
        result = subprocess.run(command, cwd=config.PROJECT_ROOT, stdout=handle, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYDEVD_DISABLE_FILE_VALIDATION": "1"})
    if result.returncode != 0:
        problems = [line for line in log_path.read_text().splitlines()
                    if "WARNING" in line or "ERROR" in line or "Error" in line]
        raise BookError("jupyter-book build failed:\n  " + "\n  ".join(problems[-15:] or ["see " + str(log_path)])
                        + f"\nfull log: {log_path}")
    log(f"  jupyter-book build ({builder}): {time.perf_counter() - started:.0f} s")
    return build_parent / "_build" / builder


def check_executed_notebooks(outputs_dir: Path) -> None:
    """Refuse to publish a notebook holding an error output (a cell that raised but was kept)."""
    import nbformat

    for path in sorted((outputs_dir / "notebooks").glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        for index, cell in enumerate(notebook.cells):
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    raise BookError(f"{path.name}, cell {index}: {output.get('ename')}: {output.get('evalue')}")


@contextlib.contextmanager
def keep_previous_on_failure(folders: list[Path], log=print):
    """Back up ``folders`` (the outputs and the HTML); on any failure, put them back as they were.

    The executed notebooks, the model and ``_build/html`` then always come from one complete
    run. The failed run's folders are kept next to them with a ``.failed`` suffix for
    inspection. A backup left by an interrupted run (killed before it could restore) is the last
    complete state, and is restored first.
    """
    backups = {folder: folder.with_name(f".{folder.name}.previous") for folder in folders}
    for folder, backup in backups.items():
        if backup.is_dir():
            shutil.rmtree(folder, ignore_errors=True)
            backup.rename(folder)
            log(f"  restored {project_relative(folder)} from an interrupted run")
        if folder.is_dir():
            shutil.copytree(folder, backup, symlinks=True)
    try:
        yield
    except BaseException:
        for folder, backup in backups.items():
            failed = folder.with_name(f"{folder.name}.failed")
            shutil.rmtree(failed, ignore_errors=True)
            if folder.is_dir():
                folder.rename(failed)
            if backup.is_dir():
                backup.rename(folder)
        kept = " and ".join(project_relative(folder) for folder in folders if folder.is_dir())
        log(f"  build failed: {kept or 'nothing'} left as before; the failed run is in "
            + ", ".join(project_relative(folder.with_name(f"{folder.name}.failed")) for folder in folders))
        raise
    for backup in backups.values():
        shutil.rmtree(backup, ignore_errors=True)


def run_book(data_path: str | Path, profile: str = "full", seed: int = config.SEED,
             outputs_dir: str | Path = config.OUTPUTS_DIR, build_parent: str | Path = config.PROJECT_ROOT,
             force: bool = False, log=print) -> Path:
    """Execute the notebooks and build the book; returns the HTML folder.

    All or nothing: when a notebook, the build or a write fails, the previous outputs and book
    are put back (see :func:`keep_previous_on_failure`).
    """
    data_path = resolve_path(data_path)
    outputs_dir = resolve_path(outputs_dir)
    build_parent = resolve_path(build_parent)
    # All of _build (HTML, Sphinx's environment, executed copies), so a restored book and Sphinx's
    # record of what it built stay in step.
    build_dir = build_parent / "_build"
    folders = [outputs_dir] + ([] if build_dir.is_relative_to(outputs_dir) else [build_dir])
    started = time.perf_counter()
    log(f"book on {project_relative(data_path)} ({profile} profile)")
    # A bad file, or a label too small for the profile, stops here: nothing backed up or executed.
    from datajobs.model.train import class_counts, labelled_rows

    adapt_profile(class_counts(labelled_rows(load_profiles(data_path).frame)[0]), profile)
    try:
        with keep_previous_on_failure(folders, log):
            execute_notebooks(data_path, profile, seed, outputs_dir, force, log)
            check_executed_notebooks(outputs_dir)
            # The manifest already knows whether this data is the sample: no need to hash the file again.
            synthetic = json.loads((outputs_dir / "run_manifest.json").read_text())["synthetic_sample"]
            bundle = export_predictor_bundle(outputs_dir, log)
            html = build_html(outputs_dir, build_parent, synthetic, log, predictor_bundle=bundle)
    except BookError as error:
        # The executed copies named in the message now live in the .failed folder.
        message = str(error).replace(str(outputs_dir) + os.sep, str(outputs_dir) + ".failed" + os.sep)
        raise BookError(message) from None
    except OSError as error:
        raise BookError(f"cannot write {getattr(error, 'filename', None) or 'the outputs'}: "
                        f"{error.strerror or error}") from None
    log(f"book built in {time.perf_counter() - started:.0f} s: {html / 'index.html'}")
    return html
