"""Reading an SBOM back: rootstock's CycloneDX 1.6 JSON, its SPDX 2.3 JSON or its CSV, as the components they list.

What `vulns` and `vendored` need of a document is its components' identities (name, type, version, purl,
source URL, sha256) and their usage; the full model (`sbom.model`) is for writing. A document of any other
format is refused with one message saying which formats are read.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from attrs import frozen

from rootstock.core import files
from rootstock.errors import InputError
from rootstock.sbom import shape
from rootstock.sbom.csv import COLUMNS
from rootstock.schema import read_document

FORMATS = "rootstock's CycloneDX 1.6 JSON, SPDX 2.3 JSON or CSV (name,type,usage,url,checksum)"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


@frozen
class Listed:
    """One component an SBOM lists."""

    name: str
    kind: str  # "source" (a pin), "deb" (a host package), or "" when the document does not say
    version: str
    usage: str  # link, build, both, or "" when the document does not say
    purl: str = ""
    url: str = ""
    sha256: str = ""

    @property
    def ref(self) -> str:
        """`<type>:<name>`, as rootstock's documents name components."""
        return f"{self.kind}:{self.name}" if self.kind else self.name

    @property
    def linked(self) -> bool:
        """Whether the SBOM says the component's code is in the binary."""
        return self.usage in ("link", "both")


@frozen
class Document:
    """An SBOM read back: its format, its subject's name and its components (sorted by type and name)."""

    path: Path
    format: str  # "CycloneDX 1.6", "SPDX 2.3", "CSV"
    subject: str
    components: tuple[Listed, ...]


def _bad(path: Path, why: str) -> InputError:
    return InputError(f"{path}: not an SBOM rootstock reads ({why}); expected {FORMATS}")


def _kind_of(purl: str) -> str:
    if purl.startswith("pkg:deb/"):
        return "deb"
    return "source" if purl.startswith("pkg:generic/") else ""


def _cyclonedx(path: Path, data: dict[str, Any]) -> Document:
    if data.get("specVersion") != "1.6":
        raise _bad(path, f"CycloneDX specVersion {data.get('specVersion')!r}, not '1.6'")
    listed = []
    for i, c in enumerate(shape.array(data, "components")):
        if not isinstance(c, dict) or not isinstance(c.get("name"), str):
            raise _bad(path, f"components[{i}] has no name")
        props: dict[str, str] = {}
        for p in shape.array(c, "properties", f"components[{i}].properties"):
            if isinstance(p, dict) and isinstance(p.get("name"), str):
                props.setdefault(p["name"], str(p.get("value", "")))
        purl = str(c.get("purl", ""))
        scope = {"required": "link", "excluded": "build"}.get(str(c.get("scope", "")), "")
        digests = [
            h.get("content", "")
            for h in shape.array(c, "hashes", f"components[{i}].hashes")
            if isinstance(h, dict) and h.get("alg") == "SHA-256"
        ]
        refs = shape.array(c, "externalReferences", f"components[{i}].externalReferences")
        references = [r for r in refs if isinstance(r, dict)]
        # The source's URL (a pin's), else the package's (a .deb's): the pin is told by it, not by the URI of
        # a git pin's deployable form (`git+…@commit`).
        references.sort(key=lambda r: r.get("type") != "source-distribution")
        urls = [r.get("url", "") for r in references]
        listed.append(
            Listed(
                name=c["name"],
                kind=props.get("rootstock:type", _kind_of(purl)),
                version=str(c.get("version", "")),
                usage=props.get("rootstock:usage", scope),
                purl=purl,
                url=str(urls[0]) if urls else "",
                sha256=str(digests[0]) if digests else "",
            )
        )
    subject = shape.table(shape.table(data, "metadata"), "component", "metadata.component").get("name", "")
    return Document(path, "CycloneDX 1.6", str(subject), _sorted(listed))


def _spdx(path: Path, data: dict[str, Any]) -> Document:
    if data.get("spdxVersion") != "SPDX-2.3":
        raise _bad(path, f"spdxVersion {data.get('spdxVersion')!r}, not 'SPDX-2.3'")
    described = {
        r.get("relatedSpdxElement")
        for r in shape.array(data, "relationships")
        if isinstance(r, dict) and r.get("relationshipType") == "DESCRIBES"
    } | {str(d) for d in shape.array(data, "documentDescribes")}
    listed, subject = [], ""
    for i, p in enumerate(shape.array(data, "packages")):
        if not isinstance(p, dict) or not isinstance(p.get("name"), str):
            raise _bad(path, f"packages[{i}] has no name")
        if p.get("SPDXID") in described:
            subject = p["name"]
            continue
        purls = [
            r.get("referenceLocator", "")
            for r in shape.array(p, "externalRefs", f"packages[{i}].externalRefs")
            if isinstance(r, dict) and r.get("referenceType") == "purl"
        ]
        purl = str(purls[0]) if purls else ""
        usage = re.search(r"rootstock:usage=(\w+)", str(p.get("comment", "")))
        digests = [
            c.get("checksumValue", "")
            for c in shape.array(p, "checksums", f"packages[{i}].checksums")
            if isinstance(c, dict) and c.get("algorithm") == "SHA256"
        ]
        location = str(p.get("downloadLocation", ""))
        listed.append(
            Listed(
                name=p["name"],
                kind=_kind_of(purl),
                version=str(p.get("versionInfo", "")),
                usage=usage.group(1) if usage else "",
                purl=purl,
                url="" if location in ("NOASSERTION", "NONE") else location,
                sha256=str(digests[0]) if digests else "",
            )
        )
    return Document(path, "SPDX 2.3", subject, _sorted(listed))


def _csv(path: Path, text: str) -> Document:
    rows = list(csv.reader(io.StringIO(text)))
    listed = []
    for n, row in enumerate(rows[1:], start=2):
        if len(row) != len(COLUMNS):
            raise _bad(path, f"CSV line {n} has {len(row)} columns, not {len(COLUMNS)}")
        name, kind, usage, url, checksum = row
        listed.append(Listed(name, kind, "", usage, url=url, sha256=checksum.removeprefix("sha256:")))
    return Document(path, "CSV", "", _sorted(listed))


def _sorted(listed: list[Listed]) -> tuple[Listed, ...]:
    return tuple(sorted(listed, key=lambda c: (c.kind, c.name, c.version)))


def load(path: Path) -> Document:
    """The components of an SBOM file, whichever of rootstock's three formats it is.

    Raises:
        InputError: the file is missing or unreadable, or is not one of the formats rootstock writes
            (CycloneDX XML, another CycloneDX or SPDX version, SPDX tag-value, any other JSON or text).
    """
    text = read_document(path, "SBOM", lambda t: t, ValueError, FORMATS)
    head = text.lstrip()[:1]
    if head in ("{", "["):
        try:
            data = files.loads_json(text)
        except files.JsonError as exc:
            raise _bad(path, f"malformed JSON: {exc}") from None
        try:
            return _cyclonedx(path, data) if shape.sbom_format(data) == "CycloneDX" else _spdx(path, data)
        except shape.ShapeError as exc:
            raise _bad(path, str(exc)) from None
    first = text.splitlines()[0] if text else ""
    if tuple(first.split(",")) == COLUMNS:
        return _csv(path, text)
    if head == "<":
        raise _bad(path, "XML")
    if first.startswith("SPDXVersion:"):
        raise _bad(path, "SPDX tag-value")
    raise _bad(path, f"first line {first[:60]!r}")


def sha256_of(c: Listed) -> str:
    """The component's sha256 hex digest, or "" when the document records none in that form."""
    return c.sha256 if _HEX64.match(c.sha256) else ""
