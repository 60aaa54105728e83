"""Every page of the built book is accessible and fits a phone: axe-core (npm, pinned in
package.json, installed by `make setup`) injected into each page in headless Chromium finds no
WCAG 2.1 A/AA violation of impact serious or critical, in light and dark mode; at 390 px wide no
page scrolls sideways. Slow: uses the book built once per session."""

from __future__ import annotations

import pytest

from datajobs import config
from tests.browser import chromium_page, static_server
from tests.publishing.test_book import book_pages

pytestmark = pytest.mark.slow
AXE = config.PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}

RUN_AXE = """async (tags) => {
  // label-content-name-mismatch (WCAG 2.5.3) is one of axe's "experimental" rules, off unless named.
  const results = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'],
                                           rules: {'label-content-name-mismatch': {enabled: true}}});
  return results.violations.map((v) => ({id: v.id, impact: v.impact,
    nodes: v.nodes.map((node) => node.target.join(' ')).slice(0, 5), count: v.nodes.length}));
}"""

# What scrolls sideways at the page's level (not inside a box of its own that scrolls).
PAGE_OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const scroller = document.scrollingElement;
  if (scroller.scrollWidth <= width + 1) return [];
  const inScrollingBox = (element) => {
    for (let node = element.parentElement; node && node !== document.body; node = node.parentElement) {
      if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(node).overflowX)) return true;
    }
    return false;
  };
  return [...document.body.querySelectorAll('*')]
    .filter((element) => element.getBoundingClientRect().right > width + 1 && !inScrollingBox(element))
    .slice(0, 5).map((element) => element.tagName.toLowerCase() + '.' + [...element.classList].join('.'));
}"""


def violations(page, url: str, mode: str) -> list[dict]:
    page.goto(url, wait_until="load")
    # What the theme's colour-mode button sets (pydata-sphinx-theme reads data-theme for its colours).
    page.evaluate("(mode) => { document.documentElement.dataset.mode = mode; document.documentElement.dataset.theme = mode; }",
                  mode)
    page.wait_for_load_state("networkidle")
    page.add_script_tag(path=str(AXE))
    return [found for found in page.evaluate(RUN_AXE, WCAG_TAGS) if found["impact"] in BLOCKING]


def test_no_serious_axe_violation_on_any_page(sample_book):
    assert AXE.is_file(), f"{AXE} missing: run make setup (npm ci installs axe-core)"
    _, html = sample_book
    pages = book_pages(html, "test-sample")
    problems = {}
    with static_server(html) as base, chromium_page() as page:
        for path in pages:
            for mode in ("light", "dark"):
                found = violations(page, f"{base}/{path.relative_to(html).as_posix()}", mode)
                if found:
                    problems[f"{path.name} ({mode})"] = found
    assert problems == {}


def test_no_page_scrolls_sideways_on_a_phone(sample_book):
    _, html = sample_book
    problems = {}
    with static_server(html) as base, chromium_page(width=390, height=844) as page:
        for path in book_pages(html, "test-sample"):
            page.goto(f"{base}/{path.relative_to(html).as_posix()}", wait_until="networkidle")
            wider = page.evaluate(PAGE_OVERFLOW)
            if wider:
                problems[path.name] = wider
    assert problems == {}
