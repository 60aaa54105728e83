"""Headless Debian Chromium driven by Playwright, and local servers started and stopped by PID."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (.ci/run installs it)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_http(url: str, timeout: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


def stop(process: subprocess.Popen) -> None:
    """Stop a server and its children by PID (process group)."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@contextlib.contextmanager
def serve(command: list[str], url: str, timeout: float = 60, cwd: str | Path | None = None, log: Path | None = None):
    output = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(command, cwd=cwd, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for_http(url, timeout, process)
        yield process
    finally:
        stop(process)
        if log:
            output.close()


@contextlib.contextmanager
def static_server(directory: Path):
    port = free_port()
    command = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(directory)]
    with serve(command, f"http://127.0.0.1:{port}/", timeout=20):
        yield f"http://127.0.0.1:{port}"


@contextlib.contextmanager
def chromium_page(width: int = 1280, height: int = 900):
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            yield page
        finally:
            browser.close()


def pixel_spread(png: bytes) -> float:
    """Standard deviation of the screenshot's pixels: about 0 for a blank page."""
    import io

    import matplotlib.image

    return float(matplotlib.image.imread(io.BytesIO(png), format="png")[..., :3].std())


def has(tool: str) -> bool:
    return shutil.which(tool) is not None


# Run in each page: problems a reader would see that the HTML alone does not show.
_PAGE_CHECKS = """() => {
  const article = document.querySelector('article') || document.body;
  const width = article.getBoundingClientRect().width;
  const scrolls = (element) => {
    for (let node = element.parentElement; node && node !== article; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (['auto', 'scroll'].includes(style.overflowX) && node.getBoundingClientRect().width <= width + 1) return true;
    }
    return false;
  };
  const wide = [...article.querySelectorAll('table')]
    .filter((table) => table.getBoundingClientRect().width > width + 1 && !scrolls(table))
    .map((table) => table.innerText.slice(0, 60));
  const figures = [...article.querySelectorAll('figure')].filter((figure) => figure.querySelector('img'));
  const unreferenced = figures
    .filter((figure) => !figure.id || !article.querySelector(`a[href="#${figure.id}"]`))
    .map((figure) => figure.id || figure.innerText.slice(0, 60));
  return {wide, unreferenced, text: document.body.innerText};
}"""


def crawl_book(html: Path, pages: list[Path], forbidden: list[str]) -> dict[str, list[str]]:
    """Open every page of a built book in Chromium over HTTP and list what a reader would trip on.

    Returns ``{page: [problem, ...]}`` for pages with problems: console errors, failed or
    external requests, a forbidden string (build path, progress bar, glue literal, a Python object's
    repr) in the text,
    a figure no sentence refers to, a table wider than the text column without its own scroll.
    """
    import re

    problems: dict[str, list[str]] = {}
    with static_server(html) as base, chromium_page() as page:
        current: list[str] = []
        page.on("console", lambda message: message.type == "error" and current.append(f"console: {message.text}"))
        page.on("pageerror", lambda error: current.append(f"page error: {error}"))
        page.on("requestfailed", lambda request: current.append(f"failed request: {request.url}"))
        page.on("response", lambda response: response.status >= 400 and current.append(
            f"HTTP {response.status}: {response.url}"))
        page.on("request", lambda request: not request.url.startswith((base, "data:", "blob:", "about:"))
                and current.append(f"external request: {request.url}"))
        for path in pages:
            current.clear()
            relative = path.relative_to(html).as_posix()
            page.goto(f"{base}/{relative}", wait_until="networkidle")
            found = page.evaluate(_PAGE_CHECKS)
            source = path.read_text()
            for needle in forbidden:
                if needle in source or needle in found["text"]:
                    current.append(f"shows {needle!r}")
            if re.search(r"\d+%\|[^\n]*\|", found["text"]) or re.search(r"\d+(\.\d+)?(it/s|s/it)\]", found["text"]):
                current.append("shows a progress bar")
            if re.search(r"<[\w.]+ object( at 0x[0-9a-f]+)?>", found["text"]):
                current.append("shows a Python object's repr")
            current.extend(f"table wider than the column without a scroll: {text!r}" for text in found["wide"])
            current.extend(f"figure not referenced in the text: {name}" for name in found["unreferenced"])
            if current:
                problems[relative] = list(current)
    return problems
