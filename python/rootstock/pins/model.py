"""The pin records: a git revision, a single file or an archive, each with the hash that pins it."""

from __future__ import annotations

import re
from typing import Literal, NewType

from attrs import Factory, frozen

from rootstock.core.cpe import Cpe
from rootstock.core.hashes import Hash
from rootstock.core.spdx_licence import SpdxExpression
from rootstock.core.storename import StoreName
from rootstock.errors import InputError, known_names
from rootstock.sbom.supplier import Contact

REV_RE = re.compile(r"^[0-9a-f]{40}$")
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._+-]*$")
# An advisory identifier as OSV and NVD write them: CVE-2023-45853, GHSA-xxxx-xxxx-xxxx, OSV-2020-1, DSA-5000-1.
ADVISORY_RE = re.compile(r"^(?:CVE-\d{4}-\d{4,}|(?!CVE-)[A-Z][A-Z0-9]*-[A-Za-z0-9][A-Za-z0-9._:-]*)$")


# A full commit hash; the converter checks its form so a bad rev is reported at its own path.
Rev = NewType("Rev", str)
# An advisory id (ADVISORY_RE), checked by the converter like Rev.
AdvisoryId = NewType("AdvisoryId", str)


# Where a file or tarball is published, first choice first: at least one (the converter checks, at its own path).
Urls = NewType("Urls", tuple[str, ...])


@frozen
class GitPin:
    """A git commit (with its submodules if asked), prepared by removing paths and applying patches."""

    url: str
    rev: Rev
    hash: Hash
    kind: Literal["git"] = "git"
    tag: str | None = None
    submodules: bool = False
    version: StoreName | None = None
    remove: tuple[str, ...] = ()
    patches: tuple[str, ...] = ()
    published: dict[str, Hash] = Factory(dict)
    # The product's CPE 2.3 name (vendor and product; the version is `version`), for NVD matching.
    cpe: Cpe | None = None
    # Stated by hand where the source does not (docs/sbom.md#bsi-tr-03183-2): who made it (email or URL), when
    # its URL names only a host that redistributes it; its licence (SPDX expression), when its licence files
    # name none the signatures recognise, or name several that are alternatives.
    supplier: Contact | None = None
    license: SpdxExpression | None = None

    @property
    def recursive(self) -> bool:
        """Trees are always hashed as NAR."""
        return True

    @property
    def urls(self) -> tuple[str, ...]:
        """Where the repository can be had."""
        return (self.url,)


@frozen
class _Download:
    """What file and tarball pins share: one download, from the first of its URLs that answers."""

    urls: Urls
    hash: Hash
    version: StoreName | None = None
    published: dict[str, Hash] = Factory(dict)
    cpe: Cpe | None = None
    # Stated by hand where the source does not (docs/sbom.md#bsi-tr-03183-2): who made it (email or URL), when
    # its URL names only a host that redistributes it; its licence (SPDX expression), when its licence files
    # name none the signatures recognise, or name several that are alternatives.
    supplier: Contact | None = None
    license: SpdxExpression | None = None


@frozen
class FilePin(_Download):
    """One file stored as it is; executable files are hashed as NAR, others flat."""

    kind: Literal["file"] = "file"
    executable: bool = False
    # The advisories a patch fixes (or backports the fix of): a pin patched with it is not vulnerable to them.
    fixes: tuple[AdvisoryId, ...] = ()

    @property
    def recursive(self) -> bool:
        """Nix stores an executable file only in recursive (NAR) mode."""
        return self.executable


@frozen
class TarballPin(_Download):
    """An archive, pinned by its bytes or (unpack = true) by the NAR of its unpacked tree."""

    kind: Literal["tarball"] = "tarball"
    unpack: bool = False

    @property
    def recursive(self) -> bool:
        """An unpacked tree is hashed as NAR, a packed archive flat."""
        return self.unpack


Pin = GitPin | FilePin | TarballPin


@frozen
class NamedPin:
    """A pin together with its name in the pins file."""

    name: str
    pin: Pin

    @property
    def store_name(self) -> str:
        """The store path name: what Nix and rootstock both call the fetched input."""
        pin = self.pin
        if isinstance(pin, GitPin):
            return f"{self.name}-{pin.version or pin.rev[:7]}-source"
        return f"{self.name}-{pin.version}" if pin.version else self.name


@frozen
class Pins:
    """All pins of a pins file, in file order."""

    entries: tuple[NamedPin, ...]

    def names(self) -> list[str]:
        """Pin names in file order."""
        return [entry.name for entry in self.entries]

    def get(self, name: str) -> NamedPin:
        """The pin called name.

        Raises:
            InputError: there is no such pin.
        """
        for entry in self.entries:
            if entry.name == name:
                return entry
        msg = f"no pin named '{name}' (known pins: {known_names(name, self.names())})"
        raise InputError(msg)

    def select(self, names: list[str]) -> list[NamedPin]:
        """The named pins, or all pins when names is empty."""
        return [self.get(name) for name in names] if names else list(self.entries)
