"""``run_book``, what ``make book`` and ``datajobs book`` call: notebooks executed, then the book built, all or nothing.

1. every notebook of :data:`~datajobs.publishing.plan.NOTEBOOKS` is executed by papermill with the
   parameters of the chosen profile into ``outputs/notebooks/``, unless its cache key (notebook
   source, parameters, data sha256, package fingerprint, upstream notebooks' keys) is unchanged
   (:mod:`~datajobs.publishing.scheduler`);
2. ``jupyter-book build -W -n --keep-going`` builds ``_build/html`` from the executed notebooks
   and the hand-written pages of ``book/`` (:mod:`~datajobs.publishing.site`); a warning or a cell
   error fails the build.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from datajobs import config
from datajobs.config import project_relative, resolve_path
from datajobs.data.loading import load_profiles
from datajobs.data.writing import OutputError
from datajobs.publishing.errors import BookError
from datajobs.publishing.plan import adapt_profile
from datajobs.publishing.scheduler import execute_notebooks
from datajobs.publishing.site import build_html, check_executed_notebooks, export_predictor_bundle
from datajobs.publishing.transaction import keep_previous_on_failure

__all__ = ["BookError", "run_book"]


def run_book(data_path: str | Path, profile: str = "full", seed: int = config.SEED,
             outputs_dir: str | Path = config.OUTPUTS_DIR, build_parent: str | Path = config.PROJECT_ROOT,
             force: bool = False, log=print) -> Path:
    """Execute the notebooks and build the book; returns the HTML folder.

    All or nothing: when a notebook, the build or a write fails, the previous outputs and book
    are put back (see :func:`~datajobs.publishing.transaction.keep_previous_on_failure`).
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
    from datajobs.data import class_counts, labelled_rows

    loaded = load_profiles(data_path)  # read once: the notebooks' plan uses it too
    adapt_profile(class_counts(labelled_rows(loaded.frame)[0]), profile)
    if not outputs_dir.is_relative_to(config.PROJECT_ROOT):
        # The book's table of contents names the executed notebooks from the project folder.
        raise BookError(f"--outputs {outputs_dir} is outside the project folder {config.PROJECT_ROOT}: the book is "
                        "built from that folder, so the outputs must be inside it (e.g. --outputs outputs/run2)")
    try:
        with keep_previous_on_failure(folders, log):
            execute_notebooks(data_path, profile, seed, outputs_dir, force, log, loaded=loaded)
            check_executed_notebooks(outputs_dir)
            # The manifest already knows whether this data is the sample: no need to hash the file again.
            synthetic = json.loads((outputs_dir / "run_manifest.json").read_text())["synthetic_sample"]
            bundle = export_predictor_bundle(outputs_dir, log)
            html = build_html(outputs_dir, build_parent, synthetic, log, predictor_bundle=bundle)
    except BookError as error:
        # The executed copies named in the message now live in the .failed folder.
        message = str(error).replace(str(outputs_dir) + os.sep, str(outputs_dir) + ".failed" + os.sep)
        raise BookError(message) from None
    except OutputError as error:
        raise BookError(str(error)) from None
    except OSError as error:
        raise BookError(f"cannot write {getattr(error, 'filename', None) or 'the outputs'}: "
                        f"{error.strerror or error}") from None
    log(f"book built in {time.perf_counter() - started:.0f} s: {html / 'index.html'}")
    return html
