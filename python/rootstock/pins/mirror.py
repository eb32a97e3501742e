"""The local mirror: files stored under their pinned hash, git repositories stored bare under their URL."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from attrs import frozen

from rootstock.core.files import temporary_directory
from rootstock.core.hashes import Hash
from rootstock.host import git

SCHEMES = ("https://", "http://", "git://", "ssh://", "file://")

Rewrites = tuple[tuple[str, str], ...]


def rewrites_into(git_root: Path) -> Rewrites:
    """git `url.<new>.insteadOf=<old>` pairs that send every remote URL into a tree laid out as a mirror's git/."""
    base = git_root.as_uri()
    # file:// URLs keep their absolute path (leading slash) under the mirror; the others gain one.
    return tuple((base if scheme == "file://" else base + "/", scheme) for scheme in SCHEMES)


@frozen
class Mirror:
    """A directory that can stand in for every upstream: `files/<algo>-<hex>` and `git/<host>/<path>.git`."""

    root: Path

    def file_path(self, pinned: Hash) -> Path:
        """Where the bytes behind a pinned hash are kept."""
        return self.root / "files" / f"{pinned.algo}-{pinned.hex}"

    def git_path(self, url: str) -> Path:
        """Where the bare mirror of a repository URL is kept."""
        rest = re.sub(r"^[a-z+]+://", "", url).strip("/")
        rest = rest.removesuffix(".git")
        return self.root / "git" / f"{rest}.git"

    def git_repositories(self) -> list[Path]:
        """Every bare repository the mirror holds (a `*.git` directory below git/, not looked into)."""
        found: list[Path] = []
        for parent, dirs, _files in os.walk(self.root / "git"):
            found += [Path(parent) / name for name in dirs if name.endswith(".git")]
            dirs[:] = [name for name in dirs if not name.endswith(".git")]
        return sorted(found)

    @contextmanager
    def git_rewrites(self) -> Iterator[Rewrites]:
        """git URL rewrites that send every remote URL into this mirror, valid while the context lasts.

        A mirror copied by a tool that drops empty directories (removable media, an air-gapped site) has bare
        repositories without refs/, which git refuses, and is often read-only. Rather than repair it, the URLs
        then point at a private shadow tree: each such repository a fresh bare one borrowing its objects, the
        others linked as they are. Nothing is written into the mirror; the shadow is removed when the context
        ends, on error too.
        """
        git_root = self.root / "git"
        repositories = self.git_repositories()
        if not any(git.lacks_refs(repo) for repo in repositories):
            yield rewrites_into(git_root)
            return
        with temporary_directory("rootstock-mirror-") as tmp:
            shadow_root = tmp / "git"
            for repo in repositories:
                dest = shadow_root / repo.relative_to(git_root)
                if git.lacks_refs(repo):
                    git.shadow_repository(repo, dest)
                else:
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    dest.symlink_to(repo.resolve())
            yield rewrites_into(shadow_root)
