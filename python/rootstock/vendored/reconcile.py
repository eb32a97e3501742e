"""Reconciling the copies found with what an SBOM says is linked into the binary."""

from __future__ import annotations

import re
from collections.abc import Sequence

from attrs import frozen

from rootstock.sbom.read import Document
from rootstock.vendored.scan import Copy
from rootstock.vendored.signatures import Signature


def upstream(version: str) -> str:
    """The upstream release of a version as a package lists it (epoch, Debian revision and repack suffix cut).

    Examples:
        >>> upstream("1:1.2.13.dfsg-1"), upstream("3.0.22"), upstream("1.0.8-5+b1")
        ('1.2.13', '3.0.22', '1.0.8')
    """
    rest = version.partition(":")[2] if ":" in version else version
    m = re.match(r"\d+(?:\.\d+)*[a-z]?(?![0-9])", rest.rsplit("-", 1)[0] if "-" in rest else rest)
    return m.group() if m else version


@frozen
class Finding:
    """A disagreement between the files and the SBOM."""

    library: str
    kind: str  # "unlisted" (a copy the SBOM does not list as linked), "missing" (a link row with no copy), "version"
    message: str


def reconcile(
    copies: Sequence[Copy], sbom: Document, signatures: Sequence[Signature]
) -> tuple[list[Finding], list[str]]:
    """The findings, and the SBOM's link rows no signature can check (named, not findings).

    A copy is listed when one of its signature's component names is a link (or both) row of the SBOM; a listed
    version other than the copy's is a finding too. A link row a signature stands for, with no copy in any of
    the files, is a finding: the SBOM says the code is there and no trace of it is.
    """
    linked = {c.name: c for c in sbom.components if c.linked}
    by_library = {s.library: s for s in signatures}
    findings = []
    for copy in copies:
        rows = [linked[n] for n in by_library[copy.library].components if n in linked]
        if not rows:
            names = ", ".join(by_library[copy.library].components)
            where = f"{copy.file} at offset {copy.offset:#x}"
            message = f"{copy.library} {copy.version} found in {where}; the SBOM lists no link row for it ({names})"
            findings.append(Finding(copy.library, "unlisted", message))
        elif all(r.version and upstream(r.version) != copy.version for r in rows):
            listed = ", ".join(f"{r.name} {r.version}" for r in rows)
            findings.append(
                Finding(
                    copy.library,
                    "version",
                    f"{copy.library} {copy.version} found in {copy.file}; the SBOM lists {listed}",
                )
            )
    found = {c.library for c in copies}
    checked = set()
    for sig in signatures:
        for name in sig.components:
            if name in linked:
                checked.add(name)
                if sig.library not in found:
                    row = linked[name]
                    findings.append(
                        Finding(
                            sig.library,
                            "missing",
                            f"the SBOM lists {' '.join(filter(None, (row.ref, row.version)))} as {row.usage}, "
                            f"and no file holds a copy of {sig.library} (signature: {sig.note or sig.pattern})",
                        )
                    )
    unchecked = sorted(n for n in linked if n not in checked)
    return sorted(findings, key=lambda f: (f.library, f.kind, f.message)), unchecked
