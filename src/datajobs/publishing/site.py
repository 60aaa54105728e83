"""The book's site: its build configuration (``_config.build.yml``, ``_toc.build.yml``), the predictor
bundle, and the ``jupyter-book build`` that turns the executed notebooks into HTML."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from datajobs import config
from datajobs.data.writing import write_text
from datajobs.publishing.errors import BookError

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
    write_text(config_path, yaml.safe_dump(book_config, sort_keys=False, allow_unicode=True))
    write_text(toc_path, toc_text)
    return config_path, toc_path


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
    command = [config.executable("jupyter-book"), "build", str(config.PROJECT_ROOT), "--config", str(config_path), "--toc",
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
