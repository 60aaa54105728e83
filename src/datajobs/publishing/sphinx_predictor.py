"""Sphinx extension: the predictor page of the book loads the model bundle and runs it in the browser.

On the pages named in ``datajobs_predictor_pages`` only, it adds

- the bundle written by ``datajobs export-web`` (a script assigning a global, so that it also works
  from ``file://``, where ``fetch()`` of a JSON file is refused), copied to ``_static/datajobs/``;
- a ``require.js`` path for the ``anywidget`` front end vendored in ``_static/vendor/`` (html-manager
  first asks require.js for a widget's module, and would otherwise fall back to a CDN).

On every page of the HTML build that holds widgets (myst-nb then adds the widget state and the scripts of
``nb_ipywidgets_js``: require.js and the html-manager, 3.5 MB, render-blocking) it replaces those scripts
with ``widgets.js`` (``resources/web/``, deferred): anywidget views, the predictor's form among them,
are drawn from the state saved in the page, and only a page holding another kind of widget view loads
the widget manager, after its ``load`` event. The single-page build (the PDF) keeps myst-nb's scripts.

``datajobs book`` sets ``datajobs_predictor_bundle`` to the bundle it exported for this build.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sphinx.util import logging

from datajobs.config import RESOURCES_DIR

logger = logging.getLogger(__name__)
STATIC_FOLDER = "datajobs"
WIDGETS_SCRIPT = RESOURCES_DIR / "web" / "widgets.js"


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
    if app.builder.name != "singlehtml":
        # widgets.js draws the form; defer: the page's text paints before the bundle is read.
        app.add_js_file(f"{STATIC_FOLDER}/{Path(bundle).name}", priority=600, loading_method="defer")
        return
    vendor = context["pathto"]("_static/vendor/", 1)
    # After require.js and embed-amd.js (which defines @jupyter-widgets/base): load the module now,
    # while the page loads, rather than when the widget manager first asks for it after `load`.
    app.add_js_file(None, priority=600,
                    body=f"if (window.requirejs) {{ requirejs.config({{paths: {{anywidget: {vendor + 'anywidget'!r}}}}}); "
                         "requirejs(['anywidget'], function () {}); }")
    app.add_js_file(f"{STATIC_FOLDER}/{Path(bundle).name}", priority=600)


def _script_name(script) -> str:
    return str(getattr(script, "filename", script) or "")


def _defer_widgets(app, pagename, templatename, context, doctree) -> None:
    """Swap myst-nb's widget scripts for the deferred ``widgets.js`` (HTML builder; see the module)."""
    scripts = context.get("script_files")
    manager = list(app.config.nb_ipywidgets_js or {})
    if app.builder.name == "singlehtml" or not scripts or not manager:
        return
    found = [script for script in scripts if _script_name(script).removeprefix("_static/") in manager]
    if not found:
        return  # no widget on this page
    scripts[:] = [script for script in scripts if script not in found]
    pathto = context["pathto"]
    app.add_js_file(f"{STATIC_FOLDER}/{WIDGETS_SCRIPT.name}", priority=900, loading_method="defer",
                    **{"data-manager": " ".join(pathto(f"_static/{name}", 1) for name in manager),
                       "data-anywidget": pathto("_static/vendor/anywidget", 1)})


def _copy_bundle(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / STATIC_FOLDER
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(WIDGETS_SCRIPT, target / WIDGETS_SCRIPT.name)
    bundle = app.config.datajobs_predictor_bundle
    if bundle and Path(bundle).is_file():
        shutil.copy2(bundle, target / Path(bundle).name)


def setup(app):
    app.add_config_value("datajobs_predictor_bundle", "", "html")
    app.add_config_value("datajobs_predictor_pages", ["05_predictor"], "html")
    app.connect("html-page-context", _add_scripts)
    # After myst-nb's handler (priority 500), which adds the widget scripts to the page.
    app.connect("html-page-context", _defer_widgets, priority=800)
    app.connect("build-finished", _copy_bundle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
