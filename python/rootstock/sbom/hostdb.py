"""What the SBOM needs to know of the host's package database: who owns a file, what a package ships, its
checksum (host/dpkg.py reads Debian's)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from attrs import frozen


@frozen
class HostPackage:
    """One installed package as the package database and the package index describe it."""

    name: str
    version: str
    arch: str
    files: tuple[Path, ...]
    url: str
    sha256: str
    maintainer: str = ""  # the package's Maintainer field: `Name <email>`
    # The .deb itself when this machine still has it (apt's cache) with the index's sha256: its SHA-512 can be
    # read; the index lists only SHA256.
    deb: Path | None = None

    @property
    def purl(self) -> str:
        """The package URL (`pkg:deb/debian/…`); purl percent-encodes '+' and ':' in versions."""
        version = self.version.replace("%", "%25").replace("+", "%2B").replace(":", "%3A")
        return f"pkg:deb/debian/{self.name}@{version}?arch={self.arch}"


class HostDatabase(Protocol):
    """What the SBOM needs from a host package database."""

    def owners(self, paths: Sequence[Path]) -> dict[Path, str]:
        """The package owning each path that some package owns."""
        ...

    def describe(self, package: str) -> HostPackage:
        """Version, architecture, file list, download URL and index checksum of an installed package."""
        ...
