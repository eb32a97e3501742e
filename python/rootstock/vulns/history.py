"""The pins' git history where it is kept locally: the mirror's bare repositories (`git/<host>/<path>.git`)."""

from __future__ import annotations

from pathlib import Path

from attrs import frozen

from rootstock.host import git
from rootstock.pins.mirror import Mirror


@frozen
class MirrorHistory:
    """Commit ancestry from the mirror, for repositories that hold the pinned commit."""

    mirror: Mirror

    def repository(self, url: str, rev: str) -> Path | None:
        """The mirror's repository of url when it holds rev, else None."""
        path = self.mirror.git_path(url)
        return path if path.is_dir() and git.has_commit(path, rev) else None

    def has(self, repo: Path, rev: str) -> bool:
        """Whether repo holds commit rev."""
        return git.has_commit(repo, rev)

    def is_ancestor(self, repo: Path, ancestor: str, descendant: str) -> bool:
        """Whether ancestor is descendant or one of its ancestors."""
        return git.is_ancestor(repo, ancestor, descendant)
