"""The bibliography: every cited key is in book/references.bib, the book's configuration loads
sphinxcontrib-bibtex on that file, and a build with -W fails on a key that is not there."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

import pytest

from datajobs import config

BIB_PATH = config.PROJECT_ROOT / "book" / "references.bib"
CITE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]+)`")


def bib_keys() -> set[str]:
    return set(re.findall(r"^@\w+\{([^,\s]+),", BIB_PATH.read_text(), flags=re.MULTILINE))


def cited_keys() -> dict[str, set[str]]:
    pages = [*sorted((config.PROJECT_ROOT / "notebooks").glob("*.md")), *sorted((config.PROJECT_ROOT / "book").glob("*.md"))]
    return {page.name: {key.strip() for keys in CITE.findall(page.read_text()) for key in keys.split(",")}
            for page in pages}


def test_every_cited_key_is_in_the_bibliography_and_every_entry_is_cited():
    keys = bib_keys()
    cited = cited_keys()
    missing = {page: sorted(page_keys - keys) for page, page_keys in cited.items() if page_keys - keys}
    assert missing == {}
    assert keys - set().union(*cited.values()) == set(), "an entry no page cites: cite it or remove it"


def test_the_methods_the_issue_names_are_cited():
    everything = set().union(*cited_keys().values())
    for key in ("prokhorenkova2018catboost", "nadeau2003inference", "holm1979simple", "dietterich1998approximate",
                "bouckaert2004evaluating", "chawla2002smote", "lemaitre2017imbalanced", "guo2017calibration",
                "kaufman2012leakage", "vovk2005algorithmic", "angelopoulos2021gentle", "wachter2017counterfactual",
                "mitchell2019model", "gebru2021datasheets", "rule2019ten", "pedregosa2011scikit"):
        assert key in everything, key


def test_the_book_configuration_loads_the_bibliography():
    from jupyter_book.config import get_final_config

    sphinx_config, _ = get_final_config(user_yaml=config.PROJECT_ROOT / "_config.yml",
                                        cli_config={"latex_individualpages": False},
                                        sourcedir=config.PROJECT_ROOT)
    assert "sphinxcontrib.bibtex" in sphinx_config["extensions"]
    assert [config.PROJECT_ROOT / name for name in sphinx_config["bibtex_bibfiles"]] == [BIB_PATH]
    assert sphinx_config["bibtex_reference_style"] == "author_year"
    assert sphinx_config["bibtex_default_style"] == "datajobs"
    assert "datajobs.publishing.sphinx_citations" in sphinx_config["extensions"]


@pytest.mark.parametrize("key, fails", [("holm1979simple", False), ("nobody1999unknown", True)])
def test_a_build_with_warnings_as_errors_fails_on_an_unknown_key(tmp_path, key, fails):
    (tmp_path / "conf.py").write_text(textwrap.dedent(f"""
        extensions = ["myst_parser", "sphinxcontrib.bibtex", "datajobs.publishing.sphinx_citations"]
        bibtex_bibfiles = [{str(BIB_PATH)!r}]
        bibtex_reference_style = "author_year"
        bibtex_default_style = "datajobs"
    """))
    (tmp_path / "index.md").write_text(f"# Page\n\nA claim {{cite:p}}`{key}`.\n\n```{{bibliography}}\n```\n")
    result = subprocess.run([sys.executable, "-m", "sphinx", "-W", "-n", "--keep-going", "-q", "-b", "html",
                             str(tmp_path), str(tmp_path / "_build")], capture_output=True, text=True)
    assert (result.returncode != 0) == fails, result.stderr
    if fails:
        assert "nobody1999unknown" in result.stderr
    else:  # the list labels the work as the text cites it
        page = (tmp_path / "_build" / "index.html").read_text()
        assert "A claim [Holm, 1979]." in re.sub(r"<[^>]+>", "", page)
        assert re.search(r'<span class="label"><span class="fn-bracket">\[</span>(<a [^>]*>)?Holm, 1979<', page), page
        assert 'role="listitem"' in page and "doc-biblioentry" not in page  # a list of list items (axe)


# A method named in a page's prose (code cells aside) and the work that page must cite for it.
METHOD_CITATIONS = {
    r"Fisher's exact test": "fisher1922interpretation",
    r"chi-square": "pearson1900criterion",
    r"\bPSI\b|population stability": "siddiqi2006credit",
    r"\bSHAP\b": "lundberg2017unified",
    r"\bSMOTE\b": "chawla2002smote",
    r"\bBrier\b": "brier1950verification",
    r"\bbootstrap": "efron1993introduction",
    r"\bHolm\b": "holm1979simple",
    r"Wilson interval": "wilson1927probable",
    r"Clopper": "clopper1934use",
    r"corrected resampled t-test": "nadeau2003inference",
    r"vector scaling": "guo2017calibration",
    r"permutation test|shuffles of the labels|shuffles group membership": "ojala2010permutation",
    r"conformal": "vovk2005algorithmic",
    r"counterfactual": "wachter2017counterfactual",
}


def prose(page) -> str:
    """A page's text without its code cells, front matter and HTML comments."""
    text = page.read_text()
    text = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.DOTALL)
    text = re.sub(r"<!--.*?-->", "", text, flags=re.DOTALL)
    return re.sub(r"^```\{code-cell\}.*?^```\s*$", "", text, flags=re.DOTALL | re.MULTILINE)


@pytest.mark.parametrize("page", [*sorted((config.PROJECT_ROOT / "notebooks").glob("*.md")),
                                  *sorted((config.PROJECT_ROOT / "book").glob("*.md"))], ids=lambda page: page.name)
def test_a_page_that_names_a_method_cites_it(page):
    text = prose(page)
    cited = cited_keys()[page.name]
    uncited = {pattern: key for pattern, key in METHOD_CITATIONS.items()
               if re.search(pattern, text, flags=re.IGNORECASE) and key not in cited}
    assert uncited == {}, f"{page.name} names a method without citing it"
