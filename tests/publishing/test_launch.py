"""Run it yourself: launch buttons only with a repository URL, and what Binder needs."""

from __future__ import annotations

import re

from datajobs import config
from datajobs.publishing.plan import NOTEBOOKS
from datajobs.publishing.site import launch_settings


def test_no_launch_buttons_without_a_repository_url():
    assert launch_settings({}) == {}
    assert launch_settings({"DATAJOBS_REPOSITORY_URL": "  "}) == {}


def test_launch_buttons_with_a_repository_url():
    settings = launch_settings({"DATAJOBS_REPOSITORY_URL": "https://github.com/example-org/datajobs",
                                "DATAJOBS_JUPYTERHUB_URL": "https://hub.example.edu"})
    assert settings["repository"] == {"url": "https://github.com/example-org/datajobs", "branch": "main",
                                      "path_to_book": ""}
    assert settings["launch_buttons"] == {"notebook_interface": "jupyterlab", "binderhub_url": "https://mybinder.org",
                                          "jupyterhub_url": "https://hub.example.edu"}


def test_binder_builds_the_pinned_environment_and_the_notebooks_the_buttons_open():
    post_build = (config.PROJECT_ROOT / "binder" / "postBuild").read_text()
    assert post_build.startswith("#!/bin/bash") and "set -euo pipefail" in post_build
    assert re.search(r"pip install .*-c constraints\.txt -e \"\.\[book,app,teach\]\"", post_build)
    assert "materialise_notebook" in post_build and "datajobs student" in post_build
    assert (config.PROJECT_ROOT / "binder" / "postBuild").stat().st_mode & 0o111, "postBuild must be executable"
    assert re.fullmatch(r"python-3\.1[1-9]\n", (config.PROJECT_ROOT / "binder" / "runtime.txt").read_text())
    # A launch button opens the page's path in the repository: the ToC's outputs/notebooks/<name>,
    # which postBuild writes.
    toc = (config.PROJECT_ROOT / "_toc.yml").read_text()
    for spec in NOTEBOOKS:
        assert f"outputs/notebooks/{spec['name']}\n" in toc
