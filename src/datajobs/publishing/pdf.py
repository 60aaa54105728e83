"""The whole report as one PDF: Jupyter Book's ``singlehtml`` build printed by headless Chromium.

``make pdf`` calls :func:`make_pdf`: the executed notebooks of the last ``make book`` (never
re-executed here) are built as one HTML page in reading order, served on 127.0.0.1, and printed by
Debian's Chromium through Playwright's ``page.pdf`` with page numbers in the footer. Everything is
local: no network, no LaTeX.

Widgets are printed in their saved state. The singlehtml builder only loads the widget JavaScript
for its root page, so the state saved in each executed notebook and the vendored widget manager are
added to the page before printing; a note then tells the reader that the live predictor needs the
HTML book.
"""

from __future__ import annotations

import contextlib
import functools
import html
import json
import os
import shutil
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from datajobs import config
from datajobs.config import resolve_path
from datajobs.data.writing import write_text
from datajobs.publishing.errors import BookError
from datajobs.publishing.site import BASE_URL_VARIABLE, build_html, check_executed_notebooks

CHROMIUM = os.environ.get("DATAJOBS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
WIDGET_STATE_MIMETYPE = "application/vnd.jupyter.widget-state+json"
PDF_NAME = "datajobs.pdf"
PRINT_PAGE = "print.html"
WIDGET_TIMEOUT_MS = 30_000
MARGINS = {"top": "16mm", "bottom": "16mm", "left": "14mm", "right": "14mm"}
PAPER_WIDTH_PX = round((210 - 14 - 14) / 25.4 * 96)  # A4 less the side margins, in CSS pixels

HEADER = ('<div style="font-size:7.5pt;color:#666;width:100%;margin:0 14mm;display:flex;'
          'justify-content:space-between;font-family:sans-serif">'
          '<span>{title}</span><span>version {version}</span></div>')
FOOTER = ('<div style="font-size:8pt;color:#444;width:100%;text-align:center;font-family:sans-serif">'
          'page <span class="pageNumber"></span> of <span class="totalPages"></span></div>')

# The scripts run in the page before printing, in resources/web/ (see each file's comment).
PRINT_SCRIPTS_DIR = config.RESOURCES_DIR / "web"


def print_script(name: str) -> str:
    """A script of ``resources/web/print_<name>.js``: a function that ``page.evaluate`` calls."""
    return (PRINT_SCRIPTS_DIR / f"print_{name}.js").read_text(encoding="utf-8")


# A drawn widget view: the element the widget manager puts in each view's subarea (an ipywidgets
# view is ``.jupyter-widgets``, an anywidget view ``.jupyter-widgets-disconnected``).
DRAWN_VIEWS = ".cell_output .widget-subarea > .lm-Widget"

def widget_states(executed_dir: Path) -> list[dict]:
    """The widget state saved in each executed notebook (the HTML book embeds the same)."""
    import nbformat

    states = []
    for path in sorted(executed_dir.glob("*.ipynb")):
        state = nbformat.read(path, as_version=4).metadata.get("widgets", {}).get(WIDGET_STATE_MIMETYPE)
        if state and state.get("state"):
            states.append(state)
    return states


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the signature of the base class
        pass


@contextlib.contextmanager
def serve_folder(folder: Path, handler: type[SimpleHTTPRequestHandler] = _QuietHandler):
    """Serve a folder on 127.0.0.1 (a free port) in a thread, for as long as the block runs.

    ``handler`` answers the requests (``benchmarks/lighthouse.py`` passes one that gzips)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def print_pdf(single_html_dir: Path, root_page: str, target: Path, widget_state: list[dict], title: str,
              version: str, base_url: str = "", chromium: str = CHROMIUM) -> Path:
    """Print the book's root page of ``single_html_dir`` to ``target`` (A4, numbered pages, bookmarks)."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    if not Path(chromium).exists():
        raise BookError(f"{chromium} not found: install Debian's chromium (apt-get install chromium) "
                        "or set DATAJOBS_CHROMIUM to a Chromium or Chrome executable")
    target.parent.mkdir(parents=True, exist_ok=True)
    # The root page (``root_page``, e.g. outputs/notebooks/00_introduction.html) holds the whole book,
    # with links written as if it sat at the top of the folder: print a copy placed there.
    write_text(single_html_dir / PRINT_PAGE, (single_html_dir / root_page).read_text())
    where = f" at {base_url}" if base_url else " (make book, then open _build/html/index.html)"
    note = f"Interactive widget, printed in its saved state: the live predictor needs the HTML book{where}."
    with serve_folder(single_html_dir) as root, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 1600})
            # Printing is local: the single-page build still names MathJax's CDN (the book has no
            # formula to typeset); refuse anything not served from the build folder.
            page.route("**/*", lambda route: route.abort() if route.request.url.startswith(("http:", "https:"))
                       and not route.request.url.startswith(root) else route.continue_())
            page.goto(f"{root}/{PRINT_PAGE}", wait_until="load")
            if widget_state:
                _draw_widgets(page, root, widget_state)
                page.evaluate(print_script("widget_notes"), [note, DRAWN_VIEWS])
            page.emulate_media(media="print")
            page.set_viewport_size({"width": PAPER_WIDTH_PX, "height": 1600})  # lay out as on paper
            page.evaluate(print_script("fit_tables"))
            header = HEADER.format(title=html.escape(title), version=html.escape(version))
            page.pdf(path=str(target), format="A4", print_background=True, outline=True, tagged=True,
                     display_header_footer=True, header_template=header, footer_template=FOOTER,
                     margin=MARGINS)
        except PlaywrightError as error:
            raise BookError(f"printing {single_html_dir / PRINT_PAGE} failed: {error.message.splitlines()[0]}") from None
        finally:
            browser.close()
    return target


def _draw_widgets(page, root: str, widget_state: list[dict]) -> None:
    """Add the saved widget state and the vendored widget manager, then wait until every view is drawn."""
    import yaml

    # A view whose model has no saved state cannot be drawn, and one failing view stops the widget
    # manager from drawing the others: leave those out (the HTML book shows nothing for them either).
    saved = sorted({model_id for state in widget_state for model_id in state["state"]})
    expected = page.evaluate(print_script("keep_saved_views"), saved)
    for state in widget_state:
        page.evaluate(print_script("add_widget_state"), state)
    # The scripts the book's configuration gives every widget page (nb_ipywidgets_js), in order.
    book_config = yaml.safe_load((config.PROJECT_ROOT / "_config.yml").read_text())
    for script in book_config["sphinx"]["config"]["nb_ipywidgets_js"]:
        if not (script.endswith("require.js") and page.evaluate("typeof window.requirejs !== 'undefined'")):
            page.add_script_tag(url=f"{root}/_static/{script}")
        if script.endswith("require.js"):
            # Widgets written with anywidget (the predictor) load its front end through require.js:
            # point it at the vendored copy, as the HTML book's predictor page does, not at a CDN.
            page.evaluate("(path) => requirejs.config({paths: {anywidget: path}})", f"{root}/_static/vendor/anywidget")
    page.wait_for_function(
        """([expected, drawn]) => document.querySelectorAll(drawn).length >= expected""",
        arg=[expected, DRAWN_VIEWS], timeout=WIDGET_TIMEOUT_MS)
    page.wait_for_load_state("networkidle")


def make_pdf(outputs_dir: str | Path = config.OUTPUTS_DIR, build_parent: str | Path = config.PROJECT_ROOT,
             log=print) -> Path:
    """Build the single-page book from the executed notebooks of ``outputs_dir`` and print it.

    Returns ``build_parent/_build/pdf/datajobs.pdf``.
    """
    import yaml

    from datajobs import __version__

    outputs_dir, build_parent = resolve_path(outputs_dir), resolve_path(build_parent)
    manifest_path = outputs_dir / "run_manifest.json"
    if not manifest_path.is_file():
        raise BookError(f"{manifest_path} not found: build the book first (make book)")
    check_executed_notebooks(outputs_dir)
    synthetic = json.loads(manifest_path.read_text())["synthetic_sample"]
    started = time.perf_counter()
    # A fresh folder: pages of an earlier build (another root page) must not be printed by mistake.
    shutil.rmtree(build_parent / "_build" / "singlehtml", ignore_errors=True)
    single = build_html(outputs_dir, build_parent, synthetic, log, builder="singlehtml")
    # The build's table of contents (written by the build above) names the root page.
    root_page = yaml.safe_load((outputs_dir / "_toc.build.yml").read_text())["root"] + ".html"
    title = yaml.safe_load((config.PROJECT_ROOT / "_config.yml").read_text())["title"]
    target = print_pdf(single, root_page, build_parent / "_build" / "pdf" / PDF_NAME, widget_states(outputs_dir / "notebooks"),
                       title, __version__, os.environ.get(BASE_URL_VARIABLE, "").strip())
    log(f"PDF written in {time.perf_counter() - started:.0f} s: {target} ({target.stat().st_size / 1e6:.1f} MB)")
    return target
