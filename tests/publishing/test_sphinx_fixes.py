"""The book's Sphinx fixes that make pages lighter: Font Awesome trimmed to the icons pages name,
script files deferred, figures after the first loaded lazily."""

from __future__ import annotations

from types import SimpleNamespace

from sphinx.builders.html._assets import _JavaScript

from datajobs.publishing.sphinx_fixes import (
    defer_script_files,
    keep_used_glyph_rules,
    keep_used_icons,
    lazy_figures,
)

FONTAWESOME = ('var p={monero:[496,512,[],"f3d0","M1 2z"],"magnifying-glass":[512,512,[128269,"search"],"f002","M4 1z"],'
               '"sun":[512,512,[9728],"f185","M9 9z"],"house":[576,512,[63498,"home"],"f015","M5 5z"]};\n'
               "//# sourceMappingURL=fontawesome.js.map\n")


def test_only_named_icons_keep_their_paths():
    trimmed = keep_used_icons(FONTAWESOME, {"sun", "home", "solid"})
    assert '"sun":[512,512,[9728],"f185","M9 9z"]' in trimmed
    assert '"house":[576,512,[63498,"home"],"f015","M5 5z"]' in trimmed  # named by its alias
    assert '"magnifying-glass":[512,512,[128269,"search"],"f002",""]' in trimmed
    assert 'monero:[496,512,[],"f3d0",""]' in trimmed
    assert "sourceMappingURL" not in trimmed


def test_only_named_glyph_rules_stay_in_the_stylesheet():
    css = '.a{color:red}.fa-sun:before{content:"\\f185"}.fa-home:before,.fa-house:before{content:"\\f015"}.b{x:y}'
    assert keep_used_glyph_rules(css, {"house"}) == '.a{color:red}.fa-home:before,.fa-house:before{content:"\\f015"}.b{x:y}'


def test_script_files_are_deferred_but_the_options_inline_scripts_extend():
    scripts = [_JavaScript("_static/documentation_options.js"), _JavaScript("_static/doctools.js"),
               _JavaScript(None, body="let a = 1;"), _JavaScript("_static/thebe.js", **{"async": "async"}),
               _JavaScript(None, type="application/vnd.jupyter.widget-state+json", body="{}")]
    context = {"script_files": scripts}
    defer_script_files(SimpleNamespace(), "page", "page.html", context, None)
    assert [script.attributes.get("defer") for script in context["script_files"]] == [None, "defer", None, None, None]
    assert context["script_files"][3].attributes == {"async": "async"}


def test_figures_after_the_first_load_lazily():
    context = {"body": '<p>a</p><img src="one.png"/><img src="two.png"/><img loading="eager" src="three.png"/>'}
    lazy_figures(SimpleNamespace(builder=SimpleNamespace(name="html")), "page", "page.html", context, None)
    assert context["body"] == ('<p>a</p><img src="one.png"/><img loading="lazy" decoding="async" src="two.png"/>'
                               '<img loading="eager" src="three.png"/>')


def test_the_single_page_build_the_pdf_prints_keeps_every_figure_eager():
    body = '<p>a</p><img src="one.png"/><img src="two.png"/>'
    context = {"body": body}
    lazy_figures(SimpleNamespace(builder=SimpleNamespace(name="singlehtml")), "page", "page.html", context, None)
    assert context["body"] == body
