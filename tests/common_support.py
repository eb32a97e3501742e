"""Helpers shared by test modules (not conftest: each test directory's conftest shadows that name)."""

from __future__ import annotations

import logging
from pathlib import Path

from rootstock.cli import main
from rootstock.host import proc

REPO = Path(__file__).resolve().parents[1]
# A well-formed hash no content has: what a pin carries before `pins update` fills it in.
PLACEHOLDER = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="


def cli(root: Path, *args: str, mirror: Path | None = None) -> int:
    """Run rootstock on a checkout (and a mirror) as a user would; returns the exit code."""
    extra = ["--mirror", str(mirror)] if mirror else []
    return main(["--root", str(root), *extra, *args])


def git(repo: Path, *args: str) -> str:
    """Run git in a test repository."""
    return proc.run(["git", *args], cwd=repo).stdout.strip()


def make_repo(path: Path, files: dict[str, str]) -> str:
    """A git repository with one commit holding files; returns the commit."""
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    return commit(path, files, "initial")


def commit(repo: Path, files: dict[str, str], message: str) -> str:
    """Write files into a repository and commit them; returns the commit."""
    for name, text in files.items():
        target = repo / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def plan_loads(records: list[logging.LogRecord]) -> int:
    """How often a command loaded and resolved the checkout's data (rootstock.plan logs each load once)."""
    return sum(r.name == "rootstock.plan" and r.getMessage().startswith("plan: ") for r in records)
