"""Small Sphinx extension for the book: fixes of the toolchain that readers would otherwise see.

Jupyter Book 1 registers sphinx-thebe's configuration script once per read of the sources, so a
page can carry the same inline ``const THEBE_JS_URL = …`` twice, and the browser reports "Identifier
'THEBE_JS_URL' has already been declared" on every page. Each page keeps the first copy of every
script here, and every script file is loaded with ``defer`` (the page paints before a script is read;
deferred scripts still run in order, before ``DOMContentLoaded``), but ``documentation_options.js``,
which the inline scripts of the page extend. Figures after a page's first are loaded lazily (``loading="lazy"``,
``decoding="async"``): below the fold, they no longer compete with the text for the reader's connection.
Every page also names an empty icon, so no browser asks the server for ``/favicon.ico``.

pydata-sphinx-theme draws its icons with Font Awesome's ``fontawesome.js``: every free icon as SVG
paths, 1.5 MB (540 KB gzip-compressed) on every page, for the twenty or so icons the theme shows. After
the build, every icon that no page or script names keeps its definition with an empty path (a page
naming one shows an empty icon rather than an error), and the unused source map is removed: 45 KB
gzip-compressed. The theme's stylesheet likewise keeps the ``.fa-…:before`` rules (the same icons as
font glyphs, 1,881 rules) of the icons named only: 65 -> 45 KB gzip-compressed, read before any paint.
"""

from __future__ import annotations

import re
from pathlib import Path

FONTAWESOME = Path("_static") / "scripts" / "fontawesome.js"
THEME_CSS = Path("_static") / "styles" / "pydata-sphinx-theme.css"
_GLYPH_RULE = re.compile(r'(?:\.fa-[a-z0-9-]+:before,?)+\{content:"[^"]*"\}')
# One icon of Font Awesome's packs: name: [width, height, [aliases], "unicode", path or [paths]].
_ICON = re.compile(r'(?P<key>"[a-z0-9-]+"|\b[a-z_$][a-z0-9_$]*):\[\d+,\d+,\[(?P<aliases>[^\]]*)\],"[0-9a-f]+",'
                   r'(?P<path>"(?:[^"\\]|\\.)*"|\[[^\]]*\])\]')
_NAMED = re.compile(r"\bfa-([a-z0-9-]+)")


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


# Read by the page's inline scripts (``DOCUMENTATION_OPTIONS.pagename = …``): must run before them.
KEEP_BLOCKING = ("documentation_options.js",)


def defer_script_files(app, pagename, templatename, context, doctree) -> None:
    """Load every script file of the page with ``defer`` (inline scripts run where they are)."""
    from sphinx.builders.html._assets import _JavaScript

    scripts = context.get("script_files")
    if not scripts:
        return
    for index, script in enumerate(scripts):
        name = str(getattr(script, "filename", "") or "")
        attributes = dict(getattr(script, "attributes", {}) or {})
        if (not name or "body" in attributes or {"async", "defer"} & set(attributes)
                or attributes.get("type", "text/javascript") not in ("text/javascript", "module")
                or name.split("?")[0].endswith(KEEP_BLOCKING)):
            continue
        scripts[index] = _JavaScript(script.filename, priority=script.priority, **attributes, defer="defer")


_IMAGE = re.compile(r"<img (?![^>]*\bloading=)")


def lazy_figures(app, pagename, templatename, context, doctree) -> None:
    """``loading="lazy"`` on every image of the page's body but its first (which may be in view).

    Not in the single-page build the PDF is printed from: Chromium prints a page it never scrolled,
    so it would never fetch a lazy figure."""
    body = context.get("body")
    if not body or app.builder.name == "singlehtml":
        return
    first = _IMAGE.search(body)
    if first:
        context["body"] = body[:first.end()] + _IMAGE.sub('<img loading="lazy" decoding="async" ', body[first.end():])


def name_an_empty_icon(app, pagename, templatename, context, doctree) -> None:
    """A page that names no icon makes the browser ask for ``/favicon.ico``: a 404 in the console
    of the first page a reader opens on a server."""
    context["metatags"] = context.get("metatags", "") + '\n<link rel="icon" href="data:,">'


def icon_names(outdir: Path) -> set[str]:
    """The ``fa-…`` names that the built pages and their scripts mention (not Font Awesome's own, nor the
    vendored widget manager's, which draws its Font Awesome 4 icons with its own font)."""
    names: set[str] = set()
    for path in [*outdir.rglob("*.html"), *(outdir / "_static").rglob("*.js")]:
        if path.name != FONTAWESOME.name and "vendor" not in path.relative_to(outdir).parts:
            names.update(_NAMED.findall(path.read_text(encoding="utf-8", errors="replace")))
    return names


def keep_used_icons(source: str, names: set[str]) -> str:
    """``fontawesome.js`` with an empty path for every icon whose name and aliases are not in ``names``."""
    def trim(match: re.Match) -> str:
        aliases = set(re.findall(r'"([^"]+)"', match.group("aliases")))
        if match.group("key").strip('"') in names or aliases & names:
            return match.group(0)
        return match.group(0)[:match.start("path") - match.start()] + '""]'

    return re.sub(r"\n//# sourceMappingURL=\S+\s*$", "\n", _ICON.sub(trim, source))


def keep_used_glyph_rules(css: str, names: set[str]) -> str:
    """The stylesheet without the ``.fa-…:before`` rules of icons not in ``names``."""
    def trim(match: re.Match) -> str:
        return match.group(0) if set(re.findall(r"\.fa-([a-z0-9-]+):before", match.group(0))) & names else ""

    return _GLYPH_RULE.sub(trim, css)


def trim_fontawesome(app, exception) -> None:
    outdir = Path(app.outdir)
    script, css = outdir / FONTAWESOME, outdir / THEME_CSS
    if exception is not None or app.builder.format != "html" or not script.is_file():
        return
    names = icon_names(outdir)
    script.write_text(keep_used_icons(script.read_text(encoding="utf-8"), names), encoding="utf-8")
    script.with_name(script.name + ".map").unlink(missing_ok=True)
    if css.is_file():
        css.write_text(keep_used_glyph_rules(css.read_text(encoding="utf-8"), names), encoding="utf-8")


def setup(app):
    # Early: `html-page-context` stops at the first handler that returns a template name.
    app.connect("html-page-context", drop_duplicate_scripts, priority=100)
    app.connect("html-page-context", name_an_empty_icon, priority=100)
    app.connect("html-page-context", defer_script_files, priority=950)  # after every extension added its own
    app.connect("html-page-context", lazy_figures)
    app.connect("build-finished", trim_fontawesome)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
