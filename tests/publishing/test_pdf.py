"""`make pdf`: the whole report as one PDF, printed by headless Debian Chromium from the singlehtml
build of the book the session already built (no notebook is executed again)."""

from __future__ import annotations

import hashlib
import re
import unicodedata

import pytest
import yaml
from PIL import Image

from datajobs import config
from datajobs.publishing.pdf import make_pdf
from tests.browser import require_chromium

pytestmark = pytest.mark.slow


def normalise(text: str) -> str:
    """PDF text as words: ligatures undone, every run of whitespace a single space."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip()


def pixels(image) -> str:
    """A hash of an image's RGB pixels (PNG transparency and PDF encoding aside)."""
    return hashlib.sha256(image.convert("RGB").tobytes()).hexdigest()


def html_text(fragment: str) -> str:
    import html

    fragment = re.sub(r'<a class="headerlink"[^>]*>.*?</a>', "", fragment)  # the "#" permalink
    return normalise(html.unescape(re.sub(r"<[^>]+>", " ", fragment)))


@pytest.fixture(scope="module")
def book_pdf(sample_book):
    require_chromium()
    from pypdf import PdfReader

    outputs, html = sample_book
    # Left over from an earlier build with another root page: must not be what gets printed.
    stale = outputs / "_build" / "singlehtml"
    (stale / "book").mkdir(parents=True, exist_ok=True)
    (stale / "index.html").write_text('<meta http-equiv="Refresh" content="0; url=book/old.html" />')
    (stale / "book" / "old.html").write_text("<h1>STALE PAGE</h1>")
    path = make_pdf(outputs, build_parent=outputs, log=lambda _: None)
    reader = PdfReader(path)
    pages = [normalise(page.extract_text()) for page in reader.pages]
    return path, reader, pages, html


def chapter_pages(html):
    """The book's pages in reading order (the table of contents), as built HTML files."""
    toc = yaml.safe_load((config.PROJECT_ROOT / "_toc.yml").read_text())
    files = [toc["root"]] + [chapter["file"] for part in toc["parts"] for chapter in part["chapters"]]
    return [html / (name.replace("outputs/notebooks/", "outputs/test-sample/notebooks/") + ".html") for name in files]


def test_pdf_lands_in_build_pdf_with_a_page_per_chapter(book_pdf, sample_book):
    path, reader, _, html = book_pdf
    outputs, _ = sample_book
    assert path == outputs / "_build" / "pdf" / "datajobs.pdf"
    assert len(reader.pages) >= len(chapter_pages(html))
    assert reader.metadata.title == yaml.safe_load((config.PROJECT_ROOT / "_config.yml").read_text())["title"]


def outline_entries(reader) -> list[tuple[str, int]]:
    """The PDF's bookmarks (Chromium makes them from the headings) in order: (title, page index)."""
    entries = []

    def walk(items):
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                entries.append((re.sub(r"\s+", "", item.title), reader.get_destination_page_number(item)))

    walk(reader.outline)
    return entries


def test_every_chapter_title_in_reading_order_each_on_a_new_page(book_pdf):
    _, reader, pages, html = book_pdf
    text = " ".join(pages)
    entries = outline_entries(reader)
    start, first_pages = 0, []
    for page in chapter_pages(html):
        title = html_text(re.search(r"<h1>(.*?)</h1>", page.read_text(), re.S).group(1))
        assert title in text, f"chapter {title!r} missing from the PDF text"
        despaced = re.sub(r"\s+", "", title)
        found = next((index for index in range(start, len(entries)) if despaced in entries[index][0]), None)
        assert found is not None, f"chapter {title!r} has no bookmark after the previous chapter's"
        first_pages.append(entries[found][1])
        start = found + 1
    assert first_pages == sorted(set(first_pages)), f"chapters' first pages {first_pages}"


def test_banner_on_first_page_and_numbered_pages(book_pdf):
    _, reader, pages, _ = book_pdf
    assert "This build ran on the synthetic sample" in pages[0]
    assert not any("STALE PAGE" in page for page in pages)
    total = len(reader.pages)
    for number in (1, total // 2, total):
        assert f"page {number} of {total}" in pages[number - 1]


def test_every_figure_and_caption_is_in_the_pdf(book_pdf):
    _, reader, pages, html = book_pdf
    text = " ".join(pages)
    figures, captions = set(), []
    for page in chapter_pages(html):
        source = page.read_text()
        figures |= set(re.findall(r'<img [^>]*src="(?:\.\./)*(_images/[^"]+\.png)"', source))
        captions += [html_text(caption) for caption in re.findall(r"<figcaption>(.*?)</figcaption>", source, re.S)]
    assert figures, "the book has figures"
    # Chromium embeds each figure at its own resolution: compare the pixels, figure by figure.
    embedded = {pixels(image.image) for page in reader.pages for image in page.images}
    missing = [figure for figure in sorted(figures) if pixels(Image.open(html / figure)) not in embedded]
    assert not missing, f"{len(missing)} of {len(figures)} figures not embedded: {missing}"
    for caption in captions:
        words = caption.split()[:8]  # the caption's start: a long one may wrap over a page break
        assert " ".join(words) in text, f"caption {' '.join(words)!r} missing"


def test_widgets_in_their_saved_state_with_a_note(book_pdf):
    _, _, pages, _ = book_pdf
    text = " ".join(pages)
    # The predictor computes in the reader's browser (issue 10): its saved state holds the form, not a
    # result, so the printed page carries the note that sends readers to the HTML book.
    assert "the live predictor needs the HTML book" in text
    assert "VBox(children" not in text and "Loading widget" not in text
    assert "javascript error" not in text.lower()
    # The form is drawn from its saved state (the example profile), and the vendored model, loaded
    # by the single-page book too, computes its result: no CDN is needed to print it.
    assert "Predicted profile:" in text and "Technologies" in text


def test_text_is_printed_at_reading_size(book_pdf):
    """A block wider than the paper makes Chromium shrink every page; prose must stay at about 12 pt."""
    from collections import Counter

    _, reader, _, _ = book_pdf
    sizes: Counter = Counter()

    def record(text, matrix, text_matrix, font, font_size):
        # Lines of prose: long runs in a proportional font (code is monospaced, table cells are short).
        if len(text.strip()) >= 40 and font and "Mono" not in str(font.get("/BaseFont", "")):
            sizes[round(abs(font_size * matrix[0] * text_matrix[0]), 1)] += 1

    for page in reader.pages:
        page.extract_text(visitor_text=record)
    body, _ = sizes.most_common(1)[0]
    assert 11 <= body <= 13, f"prose printed at {body} pt ({sizes.most_common(4)})"
