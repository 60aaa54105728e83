"""Sphinx extension: the predictor page of the book loads the model bundle and runs it in the browser.

On the pages named in ``datajobs_predictor_pages`` only, it adds

- the bundle written by ``datajobs export-web`` (a script assigning a global, so that it also works
  from ``file://``, where ``fetch()`` of a JSON file is refused), copied to ``_static/datajobs/``;
- a ``require.js`` path for the ``anywidget`` front end vendored in ``_static/vendor/`` (html-manager
  first asks require.js for a widget's module, and would otherwise fall back to a CDN).

``datajobs book`` sets ``datajobs_predictor_bundle`` to the bundle it exported for this build. The
page also names an empty icon (a browser asks for ``/favicon.ico`` otherwise, a 404 when served) and
gets html-manager's icon fonts beside it (see ``_copy_widget_fonts``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)
STATIC_FOLDER = "datajobs"


def _is_predictor_page(app, pagename: str) -> bool:
    return any(pagename.endswith(name) for name in app.config.datajobs_predictor_pages)


def _add_scripts(app, pagename, templatename, context, doctree) -> None:
    if not _is_predictor_page(app, pagename):
        return
    bundle = app.config.datajobs_predictor_bundle
    if not bundle or not Path(bundle).is_file():
        logger.warning(f"{pagename}: no predictor bundle (datajobs_predictor_bundle = {bundle!r}); "
                       "build the book with `datajobs book`, which exports it")
        return
    vendor = context["pathto"]("_static/vendor/", 1)
    # A browser asks for /favicon.ico when a page names no icon: a 404 in the console when served.
    context["metatags"] = context.get("metatags", "") + '\n<link rel="icon" href="data:,">'
    # After require.js and before the widgets are rendered (on load).
    app.add_js_file(None, priority=600,
                    body=f"if (window.requirejs) {{ requirejs.config({{paths: {{anywidget: {vendor + 'anywidget'!r}}}}}); }}")
    app.add_js_file(f"{STATIC_FOLDER}/{Path(bundle).name}", priority=600)
    app.env.datajobs_predictor_pages_written = [*getattr(app.env, "datajobs_predictor_pages_written", []), pagename]


def _copy_bundle(app, exception) -> None:
    bundle = app.config.datajobs_predictor_bundle
    if exception is None and app.builder.format == "html" and bundle and Path(bundle).is_file():
        target = Path(app.outdir) / "_static" / STATIC_FOLDER
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(bundle, target / Path(bundle).name)
        _copy_widget_fonts(app)


def _copy_widget_fonts(app) -> None:
    """html-manager's stylesheet asks for its icon fonts under ``@jupyter-widgets/…`` beside the page
    (its webpack public path is set only after the stylesheet is injected): put them there, or the
    page logs 404s."""
    fonts = sorted((Path(app.outdir) / "_static" / "vendor").glob("*.woff2"))
    for pagename in getattr(app.env, "datajobs_predictor_pages_written", []):
        page_folder = Path(app.builder.get_outfilename(pagename)).parent
        for folder in (page_folder / "@jupyter-widgets", page_folder / "@jupyter-widgets" / "html-manager" / "dist"):
            folder.mkdir(parents=True, exist_ok=True)
            for font in fonts:
                shutil.copy2(font, folder / font.name)


def setup(app):
    app.add_config_value("datajobs_predictor_bundle", "", "html")
    app.add_config_value("datajobs_predictor_pages", ["05_predictor"], "html")
    app.connect("html-page-context", _add_scripts)
    app.connect("build-finished", _copy_bundle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
