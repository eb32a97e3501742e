"""The local mirror: files stored under their pinned hash, git repositories stored bare under their URL."""

from __future__ import annotations

import re
from pathlib import Path

from attrs import frozen

from rootstock.core.hashes import Hash

SCHEMES = ("https://", "http://", "git://", "ssh://", "file://")


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

    def git_rewrites(self) -> tuple[tuple[str, str], ...]:
        """git `url.<new>.insteadOf=<old>` pairs that send every remote URL into this mirror."""
        base = (self.root / "git").as_uri()
        # file:// URLs keep their absolute path (leading slash) under the mirror; the others gain one.
        return tuple((base if scheme == "file://" else base + "/", scheme) for scheme in SCHEMES)
