"""SPDX 2.3 JSON: one package per input, STATIC_LINK / BUILD_* relationships from usage, validated on write."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

from spdx_tools.spdx.model import (
    Actor,
    ActorType,
    Checksum,
    ChecksumAlgorithm,
    CreationInfo,
    Document,
    ExternalPackageRef,
    ExternalPackageRefCategory,
    Package,
    PackagePurpose,
    Relationship,
    RelationshipType,
    SpdxNoAssertion,
)
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document
from spdx_tools.spdx.writer.json.json_writer import write_document_to_stream

from rootstock import __version__
from rootstock.errors import InputError
from rootstock.sbom.errors import SbomError
from rootstock.sbom.ids import content_uuid
from rootstock.sbom.model import Component, Sbom, Usage

DOCUMENT_ID = "SPDXRef-DOCUMENT"
SUBJECT_ID = "SPDXRef-subject"
_RELATIONSHIPS = {
    Usage.LINK: (RelationshipType.STATIC_LINK,),
    Usage.BOTH: (RelationshipType.STATIC_LINK, RelationshipType.BUILD_TOOL_OF),
    Usage.BUILD: (RelationshipType.BUILD_DEPENDENCY_OF,),
}


def spdx_id(c: Component) -> str:
    """The package's SPDX identifier: letters, digits, '.' and '-' only.

    Examples:
        >>> from rootstock.sbom.model import Kind
        >>> spdx_id(Component("libstdc++-12-dev", Kind.DEB, "1", Usage.LINK, "u", "0", "p", Usage.LINK, []))
        'SPDXRef-deb-libstdc--12-dev'
    """
    return f"SPDXRef-{c.kind.value}-" + re.sub(r"[^A-Za-z0-9.-]", "-", c.name)


def _package(c: Component) -> Package:
    comment = f"rootstock:usage={c.usage.value}; rootstock:usage-from-contents={c.usage_from_contents.value}"
    if c.evidence:
        comment += "; evidence: " + "; ".join(c.evidence)
    return Package(
        spdx_id=spdx_id(c),
        name=c.name,
        download_location=c.url,
        version=c.version,
        files_analyzed=False,
        checksums=[Checksum(ChecksumAlgorithm.SHA256, c.sha256)],
        external_references=[ExternalPackageRef(ExternalPackageRefCategory.PACKAGE_MANAGER, "purl", c.purl)],
        primary_package_purpose=PackagePurpose.LIBRARY if c.usage != Usage.BUILD else None,
        comment=comment,
    )


def build_document(sbom: Sbom, created: datetime) -> Document:
    """The SPDX document; created is the only time in it (from SOURCE_DATE_EPOCH at the CLI)."""
    subject = Package(
        spdx_id=SUBJECT_ID,
        name=sbom.subject.name,
        download_location=SpdxNoAssertion(),
        version=sbom.subject.version,
        files_analyzed=False,
        checksums=[Checksum(ChecksumAlgorithm.SHA256, sbom.subject.sha256)],
        primary_package_purpose=PackagePurpose.APPLICATION,
        comment="; ".join(
            [
                *([f"linked: {sbom.subject.linked}"] if sbom.subject.linked else []),
                *(f"finding {f.component}: {f.message}" for f in sbom.findings),
            ]
        )
        or None,
    )
    packages = [_package(c) for c in sbom.components]
    relationships = [Relationship(DOCUMENT_ID, RelationshipType.DESCRIBES, SUBJECT_ID)]
    for c in sbom.components:
        for kind in _RELATIONSHIPS[c.usage]:
            if kind == RelationshipType.STATIC_LINK:
                relationships.append(Relationship(SUBJECT_ID, kind, spdx_id(c)))
            else:
                relationships.append(Relationship(spdx_id(c), kind, SUBJECT_ID))
    info = CreationInfo(
        spdx_version="SPDX-2.3",
        spdx_id=DOCUMENT_ID,
        name=f"{sbom.subject.name}-{sbom.subject.version}",
        document_namespace=f"https://spdx.org/spdxdocs/rootstock/{sbom.subject.name}-{content_uuid(sbom)}",
        creators=[Actor(ActorType.TOOL, f"rootstock-{__version__}")],
        created=created,
    )
    return Document(creation_info=info, packages=[subject, *packages], relationships=relationships)


def created_from_env(environ: dict[str, str]) -> datetime:
    """The SPDX creation time: SOURCE_DATE_EPOCH, else the epoch, never the wall clock.

    Raises:
        InputError: SOURCE_DATE_EPOCH is not whole seconds.
    """
    text = environ.get("SOURCE_DATE_EPOCH", "0")
    if not text.isdigit():
        msg = f"SOURCE_DATE_EPOCH must be whole seconds since the epoch, not '{text}'"
        raise InputError(msg)
    return datetime.fromtimestamp(int(text), UTC)


def render(sbom: Sbom, created: datetime) -> str:
    """The SPDX 2.3 JSON text.

    Raises:
        SbomError: the document does not pass spdx-tools' full validation.
    """
    document = build_document(sbom, created)
    if problems := validate_full_spdx_document(document):
        listed = "\n  ".join(p.validation_message for p in problems)
        msg = f"the SPDX document for {sbom.subject.name} is invalid:\n  {listed}"
        raise SbomError(msg)
    out = io.StringIO()
    write_document_to_stream(document, out, validate=False)
    return out.getvalue() + "\n"
