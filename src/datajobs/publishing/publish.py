"""Publish the built book to the ``gh-pages`` branch of a git remote, for people who do not use Actions.

``ghp-import`` writes the commit (the HTML folder plus ``.nojekyll``, so GitHub Pages serves the
``_static``/``_images`` folders as they are). It always commits, so the commit is written first in a
private staging repository next to the HTML folder, its tree compared with the remote's ``gh-pages``
tree, and pushed only when they differ: publishing an unchanged book adds no commit.

The staging repository (``<build>/gh-pages.git``) keeps the project's own repository free of a
``gh-pages`` branch and works from a clone, a worktree or a plain copy of the project.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from datajobs import __version__, config
from datajobs.errors import DatajobsError

BRANCH = "gh-pages"
REMOTE_NAME = "publish"  # the remote's name inside the staging repository
FALLBACK_IDENTITY = ("datajobs publish", "datajobs@localhost")


class PublishError(DatajobsError, RuntimeError):
    """The book could not be published; the message says why and what to do."""


@dataclass
class PublishResult:
    remote: str
    commit: str
    pushed: bool
    files: int


def _git(*args: str, cwd: Path, check: bool = True, env: dict | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env=env)
    if check and result.returncode != 0:
        raise PublishError(f"git {' '.join(args)} failed: {result.stderr.strip() or result.stdout.strip()}")
    return result


def resolve_remote(remote: str) -> str:
    """A remote of the project's repository (``origin``) as its URL; a URL or path as is."""
    if "/" not in remote and ":" not in remote:
        result = _git("remote", "get-url", remote, cwd=config.PROJECT_ROOT, check=False)
        if result.returncode != 0:
            raise PublishError(f"{remote!r} is not a remote of {config.PROJECT_ROOT} "
                               "(give REMOTE=<url or path of a git repository>)")
        return result.stdout.strip()
    path = Path(remote).expanduser()
    return str(path.resolve()) if path.exists() else remote


def _identity() -> dict[str, str]:
    """Committer for the gh-pages commit: the project's git identity, else a neutral one."""
    names = []
    for key in ("user.name", "user.email"):
        result = _git("config", key, cwd=config.PROJECT_ROOT, check=False)
        names.append(result.stdout.strip())
    name, email = (names if all(names) else FALLBACK_IDENTITY)
    return {"GIT_COMMITTER_NAME": os.environ.get("GIT_COMMITTER_NAME", name),
            "GIT_COMMITTER_EMAIL": os.environ.get("GIT_COMMITTER_EMAIL", email)}


def _tree(ref: str, cwd: Path) -> str | None:
    result = _git("rev-parse", "--verify", "--quiet", f"{ref}^{{tree}}", cwd=cwd, check=False)
    return result.stdout.strip() or None


def publish_html(html_dir: str | Path, remote: str = "origin", message: str | None = None,
                 log=print) -> PublishResult:
    """Commit ``html_dir`` (+ ``.nojekyll``) on the remote's ``gh-pages`` branch, unless unchanged."""
    html_dir = Path(html_dir).resolve()
    if not (html_dir / "index.html").is_file():
        raise PublishError(f"{html_dir} holds no index.html: build the book first (make book)")
    url = resolve_remote(remote)
    staging = html_dir.parent / "gh-pages.git"
    if not (staging / "HEAD").is_file():
        staging.mkdir(parents=True, exist_ok=True)
        _git("init", "--quiet", "--bare", cwd=staging)
    # A bare staging repository: ghp-import needs no work tree, and nothing can be checked out by mistake.
    if _git("remote", "get-url", REMOTE_NAME, cwd=staging, check=False).returncode == 0:
        _git("remote", "set-url", REMOTE_NAME, url, cwd=staging)
    else:
        _git("remote", "add", REMOTE_NAME, url, cwd=staging)
    if _git("ls-remote", "--exit-code", "--heads", REMOTE_NAME, BRANCH, cwd=staging, check=False).returncode == 0:
        _git("fetch", "--quiet", "--force", REMOTE_NAME, f"+refs/heads/{BRANCH}:refs/remotes/{REMOTE_NAME}/{BRANCH}",
             cwd=staging)
        remote_tree = _tree(f"refs/remotes/{REMOTE_NAME}/{BRANCH}", staging)
    else:
        _git("update-ref", "-d", f"refs/remotes/{REMOTE_NAME}/{BRANCH}", cwd=staging, check=False)
        remote_tree = None
    message = message or f"Publish the datajobs book (version {__version__})"
    # ghp-import resets the local branch to the fetched remote branch, then commits the folder on top.
    result = subprocess.run([sys.executable, "-m", "ghp_import", "--no-jekyll", "--remote", REMOTE_NAME,
                             "--branch", BRANCH, "--message", message, str(html_dir)],
                            cwd=staging, capture_output=True, text=True, env={**os.environ, **_identity()})
    if result.returncode != 0 or _tree(f"refs/heads/{BRANCH}", staging) is None:
        raise PublishError(f"ghp-import failed: {result.stderr.strip() or result.stdout.strip()}")
    files = len(_git("ls-tree", "-r", "--name-only", BRANCH, cwd=staging).stdout.splitlines())
    if _tree(f"refs/heads/{BRANCH}", staging) == remote_tree:
        # Same pages as already published: drop the new commit instead of pushing an empty change.
        _git("update-ref", f"refs/heads/{BRANCH}", f"refs/remotes/{REMOTE_NAME}/{BRANCH}", cwd=staging)
        commit = _git("rev-parse", BRANCH, cwd=staging).stdout.strip()
        log(f"{url} {BRANCH} already holds this book ({files} files, commit {commit[:12]}): nothing pushed")
        return PublishResult(url, commit, False, files)
    _git("push", "--quiet", REMOTE_NAME, f"refs/heads/{BRANCH}:refs/heads/{BRANCH}", cwd=staging)
    commit = _git("rev-parse", BRANCH, cwd=staging).stdout.strip()
    log(f"published {files} files to {url} {BRANCH} (commit {commit[:12]})")
    return PublishResult(url, commit, True, files)
