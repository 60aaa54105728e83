"""Sphinx extension: the References page labels each work as the text cites it (author, year).

sphinxcontrib-bibtex cites "(Nadeau and Bengio, 2003)" with ``bibtex_reference_style:
author_year``, but the list it links to is labelled by the formatting style's label style
("[NB03]" for ``alpha``, "[1]" for ``plain``), so a reader cannot match a citation to its entry at
a glance. This registers a pybtex style, ``datajobs``, whose labels read "Nadeau and Bengio, 2003"
(one author, two, or the first "et al."; a, b... when two works share a label), sorted like
``plain``; ``_config.yml`` selects it with ``bibtex_default_style``. Its entries are list items for
assistive technology: docutils marks the list ``role="list"`` but each entry ``doc-biblioentry``, a
role ARIA has deprecated, so axe reports a list without items (critical).
"""

from __future__ import annotations

from collections import Counter

from pybtex.plugin import register_plugin
from pybtex.richtext import Text
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle

STYLE_NAME = "datajobs"


def author_year_label(entry) -> str:
    """The label of one bibliography entry, as the author-year citation prints it."""
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    # LaTeX as the .bib writes it ("Lema\\^itre", "{van der} Maaten") read as text.
    names = [Text.from_latex(" ".join(person.prelast_names + person.last_names)).render_as("text")
             for person in people]
    if not names:
        who = entry.fields.get("organization") or entry.fields.get("title", entry.key)
    elif len(names) == 1:
        who = names[0]
    elif len(names) == 2:
        who = f"{names[0]} and {names[1]}"
    else:
        who = f"{names[0]} et al."
    return f"{who}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearLabels(BaseLabelStyle):
    """Labels "Author, year"; works that would share one get a, b, ... after the year."""

    def format_labels(self, sorted_entries):
        labels = [author_year_label(entry) for entry in sorted_entries]
        shared = Counter(labels)
        seen: Counter = Counter()
        for label in labels:
            if shared[label] == 1:
                yield label
            else:
                yield label + "abcdefghijklmnopqrstuvwxyz"[seen[label]]
                seen[label] += 1


class AuthorYearStyle(PlainStyle):
    """pybtex's ``plain`` entries and order, with author-year labels."""

    default_label_style = AuthorYearLabels


def entries_as_list_items(app, pagename, templatename, context, doctree) -> None:
    """The References list's entries get ``role="listitem"``, which their ``role="list"`` requires."""
    body = context.get("body")
    if body and 'class="citation-list"' in body:
        context["body"] = body.replace('role="doc-biblioentry"', 'role="listitem"')


def setup(app):
    """Register the style with pybtex (sphinxcontrib-bibtex looks styles up there)."""
    register_plugin("pybtex.style.formatting", STYLE_NAME, AuthorYearStyle)
    app.connect("html-page-context", entries_as_list_items)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
