"""Lighthouse (mobile, simulated slow 4G) on every page of the built book, served gzip-compressed.

Serves ``_build/html`` on a free 127.0.0.1 port, compressing text files (HTML, JavaScript, CSS,
JSON, SVG, fonts other than WOFF/WOFF2) with gzip as GitHub Pages does, and runs npm ``lighthouse``
(pinned in package.json, installed by ``make setup``) with Debian's Chromium on every page of the
book. Prints per page: performance, accessibility and best-practices scores, first and largest
contentful paint, and the bytes transferred before the reader interacts; then the site's total size.

Targets (issue 23): performance >= 0.90, accessibility >= 0.95, best practices >= 0.95 on every
page; on the predictor page LCP <= 2.5 s and transfer <= 600 KB. Exit status 1 when a target is
missed. Build the book first (``make book``).

    .venv/bin/python benchmarks/lighthouse.py [--html _build/html] [--pages 05_predictor ...] [--json out.json]
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
from http.server import SimpleHTTPRequestHandler
from pathlib import Path

from datajobs.publishing.pdf import serve_folder

ROOT = Path(__file__).resolve().parents[1]
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = "/usr/bin/chromium"
CHROME_FLAGS = ("--headless=new --no-sandbox --disable-gpu --disable-background-networking "
                "--disable-component-update --disable-sync --no-first-run")
COMPRESSED = {".html", ".js", ".css", ".json", ".svg", ".txt", ".xml", ".map", ".ttf", ".eot", ".ico"}
TARGETS = {"performance": 0.90, "accessibility": 0.95, "best-practices": 0.95}
PREDICTOR = "05_predictor"
PREDICTOR_LCP_MS = 2500
PREDICTOR_BYTES = 600 * 1024


class GzipHandler(SimpleHTTPRequestHandler):
    """Static files; text files gzip-compressed when the client accepts it (compressed once, kept)."""

    cache: dict[Path, bytes] = {}
    lock = threading.Lock()

    def log_message(self, format, *args):  # noqa: A002 - the signature of the base class
        pass

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if (path.suffix not in COMPRESSED or not path.is_file()
                or "gzip" not in self.headers.get("Accept-Encoding", "")):
            return super().send_head()
        with self.lock:
            if path not in self.cache:
                self.cache[path] = gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)
            body = self.cache[path]
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Vary", "Accept-Encoding")
        self.end_headers()
        return io.BytesIO(body)


def book_pages(html: Path) -> list[Path]:
    """Every page of the book a reader reaches from the navigation (the notebooks, then book/)."""
    return sorted(html.glob("outputs/**/notebooks/*.html")) + sorted(html.glob("book/*.html"))


def run_lighthouse(url: str) -> dict:
    """Lighthouse's JSON report of ``url`` (mobile preset, simulated throttling: Lighthouse's defaults)."""
    with tempfile.TemporaryDirectory(prefix="lighthouse-") as scratch:
        report = Path(scratch) / "report.json"
        command = [str(LIGHTHOUSE), url, "--output=json", f"--output-path={report}", "--quiet",
                   "--only-categories=performance,accessibility,best-practices",
                   f"--chrome-flags={CHROME_FLAGS} --user-data-dir={Path(scratch) / 'profile'}"]
        environment = {**os.environ, "CHROME_PATH": CHROMIUM}
        subprocess.run(command, check=True, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       timeout=300)
        return json.loads(report.read_text())


def summary(report: dict) -> dict:
    audits, categories = report["audits"], report["categories"]
    return {
        **{name: categories[name]["score"] for name in TARGETS},
        "fcp_ms": audits["first-contentful-paint"]["numericValue"],
        "lcp_ms": audits["largest-contentful-paint"]["numericValue"],
        "transfer_bytes": audits["total-byte-weight"]["numericValue"],
        "failed_audits": sorted(name for category in ("accessibility", "best-practices")
                                for ref in categories[category]["auditRefs"]
                                if (score := audits[ref["id"]].get("score")) is not None and score < 1
                                and ref["weight"] > 0 for name in [ref["id"]]),
    }


def misses(name: str, row: dict) -> list[str]:
    found = [f"{key} {row[key]:.2f} < {target}" for key, target in TARGETS.items() if (row[key] or 0) < target]
    if name.endswith(PREDICTOR):
        if row["lcp_ms"] > PREDICTOR_LCP_MS:
            found.append(f"LCP {row['lcp_ms'] / 1000:.1f} s > {PREDICTOR_LCP_MS / 1000} s")
        if row["transfer_bytes"] > PREDICTOR_BYTES:
            found.append(f"transfer {row['transfer_bytes'] / 1024:.0f} KB > {PREDICTOR_BYTES // 1024} KB")
    return found


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--pages", nargs="*", default=None, help="only pages whose name holds one of these")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    arguments = parser.parse_args()
    html = arguments.html.resolve()
    if not (html / "index.html").is_file():
        sys.exit(f"{html}/index.html not found: build the book first (make book)")
    if not LIGHTHOUSE.exists():
        sys.exit(f"{LIGHTHOUSE} not found: run make setup (npm ci installs lighthouse)")
    pages = [page for page in book_pages(html)
             if not arguments.pages or any(part in page.stem for part in arguments.pages)]
    rows: dict[str, dict] = {}
    print(f"{'page':<28} {'perf':>5} {'a11y':>5} {'b.p.':>5} {'FCP s':>6} {'LCP s':>6} {'KB':>7}")
    with serve_folder(html, handler=GzipHandler) as base:
        for page in pages:
            relative = page.relative_to(html).as_posix()
            row = summary(run_lighthouse(f"{base}/{relative}"))
            rows[relative] = row
            print(f"{page.stem:<28} {row['performance']:>5.2f} {row['accessibility']:>5.2f} "
                  f"{row['best-practices']:>5.2f} {row['fcp_ms'] / 1000:>6.2f} {row['lcp_ms'] / 1000:>6.2f} "
                  f"{row['transfer_bytes'] / 1024:>7.0f}", flush=True)
            for miss in misses(page.stem, row):
                print(f"  misses target: {miss}")
            if row["failed_audits"]:
                print(f"  audits below 1: {', '.join(row['failed_audits'])}")
    total = folder_bytes(html)
    static = folder_bytes(html / "_static")
    print(f"_build/html: {total / 1e6:.1f} MB ({static / 1e6:.1f} MB in _static)")
    if arguments.json:
        arguments.json.write_text(json.dumps({"pages": rows, "html_bytes": total, "static_bytes": static}, indent=1))
    return 1 if any(misses(Path(name).stem, row) for name, row in rows.items()) else 0


if __name__ == "__main__":
    sys.exit(main())
