"""Publishing the book: the GitHub Actions workflow (linted with actionlint), `make publish` to the
gh-pages branch of a git remote (a local bare repository here), and the site's metadata."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from datajobs import __version__, config
from datajobs.publishing.publish import PublishError, publish_html, resolve_remote
from datajobs.publishing.site import BASE_URL_VARIABLE, add_site_settings, build_html, citation_substitutions

WORKFLOW = config.PROJECT_ROOT / ".github" / "workflows" / "book.yml"


def actionlint(path: Path) -> subprocess.CompletedProcess:
    # The test extra installs actionlint next to the interpreter.
    executable = Path(sys.executable).with_name("actionlint")
    assert executable.exists(), "actionlint is installed by the test extra (make setup)"
    return subprocess.run([str(executable), "-no-color", "-oneline", str(path)], capture_output=True, text=True)


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout


# --- the workflow ---------------------------------------------------------------------------------

def test_workflow_passes_actionlint():
    result = actionlint(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path):
    """The lint is real: the same workflow reading an output of a step that does not exist fails."""
    broken = tmp_path / ".github" / "workflows" / "book.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(WORKFLOW.read_text().replace("steps.pages.outputs.base_url", "steps.site.outputs.base_url"))
    result = actionlint(broken)
    assert result.returncode == 1 and "site" in result.stdout


def test_workflow_builds_with_the_readme_commands_and_deploys_to_pages():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as True
    assert triggers["push"]["branches"] == ["main"]
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    commands = "\n".join(step.get("run", "") for step in build["steps"])
    assert "make book" in commands and "make pdf" in commands
    uses = {step["uses"].split("@")[0]: step for step in build["steps"] if "uses" in step}
    cached = {step["with"]["path"] for step in build["steps"] if step.get("uses", "").startswith("actions/cache@")}
    assert {".venv", "outputs"} <= cached
    assert uses["actions/setup-node"]["with"]["cache"] == "npm"
    assert uses["actions/upload-pages-artifact"]["with"]["path"] == "_build/html"
    assert deploy["needs"] == "build" and deploy["steps"][0]["uses"].startswith("actions/deploy-pages@")
    assert "secrets.DATAJOBS_DATA_URL" in build["env"]["DATA_URL"] and "vars.DATAJOBS_DATA_URL" in build["env"]["DATA_URL"]
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}


# --- site metadata --------------------------------------------------------------------------------

def test_citation_file_matches_the_package():
    citation = yaml.safe_load((config.PROJECT_ROOT / "CITATION.cff").read_text())
    assert citation["cff-version"] == "1.2.0"
    assert str(citation["version"]) == __version__
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(citation["date-released"]))
    assert citation["authors"] and citation["title"] == yaml.safe_load((config.PROJECT_ROOT / "_config.yml").read_text())["title"]
    assert citation_substitutions()["cite_version"] == __version__


def test_base_url_adds_the_sitemap_and_absolute_addresses():
    without: dict = {"sphinx": {"config": {}}}
    add_site_settings(without, "")
    assert "html_baseurl" not in without["sphinx"]["config"]
    assert "sphinx_sitemap" not in without["sphinx"].get("extra_extensions", [])
    with_url: dict = {"sphinx": {"config": {}, "extra_extensions": ["sphinxext.opengraph"]}}
    add_site_settings(with_url, "https://example.org/datajobs")
    assert with_url["sphinx"]["config"]["html_baseurl"] == "https://example.org/datajobs/"
    assert with_url["sphinx"]["config"]["ogp_site_url"] == "https://example.org/datajobs/"
    assert with_url["sphinx"]["extra_extensions"] == ["sphinxext.opengraph", "sphinx_sitemap"]


@pytest.mark.slow
def test_pages_carry_descriptions_opengraph_favicon_and_citation(sample_book):
    _, html = sample_book
    pages = sorted((html / "outputs").rglob("*.html")) + sorted((html / "book").glob("*.html"))
    for page in pages:
        text = page.read_text()
        assert re.search(r'<meta name="description" content="[^"]{40,}', text), page
        for tag in ("og:title", "og:description", "og:image", "og:site_name"):
            assert f'property="{tag}"' in text, (page, tag)
        assert 'rel="icon"' in text and "favicon.png" in text, page
    audit = (html / "outputs" / "test-sample" / "notebooks" / "01_data_audit.html").read_text()
    first_figure = re.search(r'<img [^>]*src="(?:\.\./)*(_images/[^"]+\.png)"', audit).group(1)
    assert f'property="og:image" content="{first_figure}"' in audit, "a page's card shows its first figure"
    assert (html / "_static" / "favicon.png").is_file() and (html / "_static" / "logo.svg").is_file()
    cite = re.sub(r"<[^>]+>", "", (html / "book" / "cite.html").read_text())
    assert "How to cite" in cite and f"version {__version__}" in cite and "{{" not in cite
    assert not (html / "sitemap.xml").exists(), "no sitemap without a base URL (it needs absolute URLs)"


@pytest.mark.slow
def test_a_base_url_gives_a_sitemap_and_absolute_cards(sample_book, tmp_path, monkeypatch):
    """The HTML rebuilt (no notebook executed) for https://example.org/datajobs/, still without a warning."""
    outputs, html = sample_book
    monkeypatch.setenv(BASE_URL_VARIABLE, "https://example.org/datajobs")
    site = build_html(outputs, tmp_path, synthetic=True, log=lambda _: None)
    base = "https://example.org/datajobs/"
    sitemap = re.findall(r"<loc>([^<]+)</loc>", (site / "sitemap.xml").read_text())
    pages = {path.relative_to(html).as_posix() for path in html.rglob("*.html")
             if path.parts[len(html.parts)] in {"book", "outputs"}}
    assert set(sitemap) == {base + page for page in pages}
    audit = (site / "outputs" / "test-sample" / "notebooks" / "01_data_audit.html").read_text()
    assert f'<link rel="canonical" href="{base}outputs/test-sample/notebooks/01_data_audit.html"' in audit
    image = re.search(r'property="og:image" content="([^"]+)"', audit).group(1)
    assert image.startswith(base + "_images/") and (site / image.removeprefix(base)).is_file()
    cite = (site / "book" / "cite.html").read_text()  # a page without a figure: the logo card
    assert f'property="og:image" content="{base}_static/social-card.png"' in cite


# --- make publish ---------------------------------------------------------------------------------

def make_publish(html: Path, remote: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", "-C", str(config.PROJECT_ROOT), "publish",
                           f"REMOTE={remote}", f"HTML={html}"], capture_output=True, text=True)


def commits(remote: Path) -> int:
    return int(git("rev-list", "--count", "gh-pages", cwd=remote))


@pytest.mark.slow
def test_make_publish_to_a_bare_repository(sample_book, tmp_path):
    _, html = sample_book
    remote = tmp_path / "site.git"
    git("init", "--quiet", "--bare", str(remote), cwd=tmp_path)
    result = make_publish(html, remote)
    assert result.returncode == 0, result.stdout + result.stderr
    tree = set(git("ls-tree", "-r", "--name-only", "gh-pages", cwd=remote).splitlines())
    built = {path.relative_to(html).as_posix() for path in html.rglob("*") if path.is_file()}
    assert {"index.html", ".nojekyll"} <= tree
    assert tree == built | {".nojekyll"}, "every page, figure and asset, nothing else"
    assert {page for page in built if page.endswith(".html")} <= tree
    assert commits(remote) == 1

    again = make_publish(html, remote)
    assert again.returncode == 0 and "nothing pushed" in again.stdout
    assert commits(remote) == 1, "publishing an unchanged book adds no commit"

    # A changed page, published from another folder (its own staging repository): one more commit.
    changed = tmp_path / "html"
    shutil.copytree(html, changed)
    (changed / "book" / "methods.html").write_text((changed / "book" / "methods.html").read_text() + "<!-- v2 -->")
    assert make_publish(changed, remote).returncode == 0
    assert commits(remote) == 2
    assert git("show", "gh-pages:book/methods.html", cwd=remote).endswith("<!-- v2 -->")


def test_publish_names_what_is_wrong(tmp_path):
    with pytest.raises(PublishError, match="holds no index.html"):
        publish_html(tmp_path, remote=str(tmp_path / "site.git"))
    with pytest.raises(PublishError, match="'no-such-remote' is not a remote"):
        resolve_remote("no-such-remote")
    (tmp_path / "index.html").write_text("<p>book</p>")
    with pytest.raises(PublishError, match="git"):
        publish_html(tmp_path, remote=str(tmp_path / "missing.git"))
