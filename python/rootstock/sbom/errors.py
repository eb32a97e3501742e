"""Errors of the SBOM and static-binary checks; each names the dependency, package or binary at fault."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rootstock.errors import InputError, RootstockError

SHOWN_PATHS = 20


class SbomError(RootstockError):
    """The SBOM cannot be derived from the evidence and inputs given."""


class MissingSourceError(InputError):
    """A source-built dependency's pinned source (or install prefix) is not where the manifest says."""

    def __init__(self, dependency: str, what: str, path: Path) -> None:
        self.dependency = dependency
        self.path = path
        msg = f"dependency '{dependency}': {what} {path} does not exist"
        super().__init__(msg)


class UnaccountedInputError(SbomError):
    """Build evidence names files that belong to no dependency, host package or the subject's own sources."""

    def __init__(self, paths: Sequence[Path]) -> None:
        self.paths = sorted(paths)
        shown = "\n  ".join(str(p) for p in self.paths[:SHOWN_PATHS])
        more = f"\n  … and {len(self.paths) - SHOWN_PATHS} more" if len(self.paths) > SHOWN_PATHS else ""
        msg = (
            f"{len(self.paths)} input(s) reached the binary but belong to no declared dependency, "
            f"host package or subject source:\n  {shown}{more}\n"
            "  declare the dependency in the manifest (with its pin) so the SBOM accounts for it"
        )
        super().__init__(msg)


class HostPackageError(SbomError):
    """The host's package database cannot describe a package the build used."""

    def __init__(self, package: str, reason: str) -> None:
        self.package = package
        msg = f"host package '{package}': {reason}"
        super().__init__(msg)


class EvidenceError(SbomError):
    """A dependency file, linker trace or map cannot be read as such."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        msg = f"build evidence {path}: {reason}"
        super().__init__(msg)


class NotEvidenceError(InputError):
    """A file given as a linker trace or map is none: binary data, or text of no form GNU ld or LLD writes."""

    def __init__(self, path: Path, kind: str, reason: str) -> None:
        self.path = path
        msg = f"{path}: not {kind}: {reason}"
        super().__init__(msg)


class NotLinkedBinaryError(SbomError):
    """The binary given is not the file the link recorded in the evidence wrote."""

    def __init__(self, binary: Path, linked: Path, named_by: Path, reason: str) -> None:
        self.binary = binary
        self.linked = linked
        msg = f"binary {binary} is not the output {linked} of the link that {named_by} records: {reason}"
        super().__init__(msg)


class NotStaticError(RootstockError):
    """A binary that must be fully static has an interpreter, needed libraries or a dynamic section."""

    def __init__(self, binary: Path, reasons: Sequence[str], producer: str = "") -> None:
        self.binary = binary
        self.reasons = list(reasons)
        by = f" (built by toolchain {producer})" if producer else ""
        listed = "\n  ".join(self.reasons)
        msg = f"{binary}{by} is not a fully static binary:\n  {listed}"
        super().__init__(msg)
