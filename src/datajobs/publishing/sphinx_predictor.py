"""Sphinx extension: the predictor page of the book loads the model bundle and runs it in the browser.

On the pages named in ``datajobs_predictor_pages`` only, it adds

- the bundle written by ``datajobs export-web`` (a script assigning a global, so that it also works
  from ``file://``, where ``fetch()`` of a JSON file is refused), copied to ``_static/datajobs/``;
- a ``require.js`` path for the ``anywidget`` front end vendored in ``_static/vendor/`` (html-manager
  first asks require.js for a widget's module, and would otherwise fall back to a CDN).

``datajobs book`` sets ``datajobs_predictor_bundle`` to the bundle it exported for this build.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)
STATIC_FOLDER = "datajobs"


def _is_predictor_page(app, pagename: str) -> bool:
    # The single-page build (printed to PDF) holds the predictor too.
    return app.builder.name == "singlehtml" or any(pagename.endswith(name) for name in app.config.datajobs_predictor_pages)


def _add_scripts(app, pagename, templatename, context, doctree) -> None:
    if not _is_predictor_page(app, pagename):
        return
    bundle = app.config.datajobs_predictor_bundle
    if not bundle or not Path(bundle).is_file():
        logger.warning(f"{pagename}: no predictor bundle (datajobs_predictor_bundle = {bundle!r}); "
                       "build the book with `datajobs book`, which exports it")
        return
    vendor = context["pathto"]("_static/vendor/", 1)
    # After require.js and embed-amd.js (which defines @jupyter-widgets/base): load the module now,
    # while the page loads, rather than when the widget manager first asks for it after `load`.
    app.add_js_file(None, priority=600,
                    body=f"if (window.requirejs) {{ requirejs.config({{paths: {{anywidget: {vendor + 'anywidget'!r}}}}}); "
                         "requirejs(['anywidget'], function () {}); }")
    app.add_js_file(f"{STATIC_FOLDER}/{Path(bundle).name}", priority=600)


def _copy_bundle(app, exception) -> None:
    bundle = app.config.datajobs_predictor_bundle
    if exception is None and app.builder.format == "html" and bundle and Path(bundle).is_file():
        target = Path(app.outdir) / "_static" / STATIC_FOLDER
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(bundle, target / Path(bundle).name)


def setup(app):
    app.add_config_value("datajobs_predictor_bundle", "", "html")
    app.add_config_value("datajobs_predictor_pages", ["05_predictor"], "html")
    app.connect("html-page-context", _add_scripts)
    app.connect("build-finished", _copy_bundle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
