"""Small Sphinx extension for the book: fixes of the toolchain that readers would otherwise see.

Jupyter Book 1 registers sphinx-thebe's configuration script once per read of the sources, so a
page can carry the same inline ``const THEBE_JS_URL = …`` twice, and the browser reports "Identifier
'THEBE_JS_URL' has already been declared" on every page. Each page keeps the first copy of every
script here. Every page also names an empty icon, so no browser asks the server for ``/favicon.ico``.
"""

from __future__ import annotations


def _script_key(script) -> tuple:
    attributes = getattr(script, "attributes", {}) or {}
    # An inline script may be registered with filename None once and "" once: the same script.
    return str(getattr(script, "filename", script) or ""), tuple(sorted((name, str(value)) for name, value in attributes.items()))


def drop_duplicate_scripts(app, pagename, templatename, context, doctree) -> None:
    """Keep the first of identical script entries (same file or same inline body)."""
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple] = set()
    unique = []
    for script in scripts:
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def name_an_empty_icon(app, pagename, templatename, context, doctree) -> None:
    """A page that names no icon makes the browser ask for ``/favicon.ico``: a 404 in the console
    of the first page a reader opens on a server."""
    context["metatags"] = context.get("metatags", "") + '\n<link rel="icon" href="data:,">'


def setup(app):
    # Early: `html-page-context` stops at the first handler that returns a template name.
    app.connect("html-page-context", drop_duplicate_scripts, priority=100)
    app.connect("html-page-context", name_an_empty_icon, priority=100)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
