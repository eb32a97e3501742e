"""SPDX 2.3 JSON: one package per input, STATIC_LINK / BUILD_* relationships from usage, validated on write; the
TR-03183-2 fields that SPDX 2.3 has a place for (creator, creation time, originator, licences, SHA-512, file
name, CPE, DEPENDS_ON). TR-03183-2 2.1.0 itself accepts SPDX from 3.0.1 only (docs/sbom.md#bsi-tr-03183-2)."""

from __future__ import annotations

import io
import re
from datetime import datetime

from license_expression import get_spdx_licensing
from spdx_tools.spdx.model import (
    Actor,
    ActorType,
    Checksum,
    ChecksumAlgorithm,
    CreationInfo,
    Document,
    ExternalPackageRef,
    ExternalPackageRefCategory,
    ExtractedLicensingInfo,
    Package,
    PackagePurpose,
    Relationship,
    RelationshipType,
    SpdxNoAssertion,
)
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document
from spdx_tools.spdx.writer.json.json_writer import write_document_to_stream

from rootstock import __version__
from rootstock.sbom.debian_licence import REF_PREFIX
from rootstock.sbom.errors import SbomError
from rootstock.sbom.ids import content_uuid
from rootstock.sbom.model import Component, Deployable, Kind, Licence, Party, Sbom, Usage

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


def _actor(p: Party | None) -> Actor | None:
    """SPDX 2.3 names an organisation with an optional email; a creator known by its URL is named by it."""
    if p is None:
        return None
    return Actor(ActorType.ORGANIZATION, p.url or p.name, p.email or None)


def _licence(licence: Licence | None) -> object:
    if licence is None or not licence.expression:
        return SpdxNoAssertion()
    return get_spdx_licensing().parse(licence.expression)


def _checksums(sha256: str, d: Deployable | None) -> list[Checksum]:
    sha512 = [Checksum(ChecksumAlgorithm.SHA512, d.sha512)] if d is not None and d.sha512 else []
    return [Checksum(ChecksumAlgorithm.SHA256, sha256), *sha512]


def _notes(supplier: Party | None, licence: Licence | None, d: Deployable | None) -> list[str]:
    notes = [f"creator: {supplier.rule}"] if supplier and supplier.rule else []
    notes += [f"licence: {licence.rule}"] if licence is not None else []
    if d is not None:
        kinds = (
            "executable" if d.executable else "non-executable",
            "archive" if d.archive else "no archive",
            "structured" if d.structured else "unstructured",
        )
        notes.append(f"sha512 of {d.hashed}; {', '.join(kinds)}")
    return notes


def _package(c: Component) -> Package:
    comment = f"rootstock:usage={c.usage.value}; rootstock:usage-from-contents={c.usage_from_contents.value}"
    if c.evidence:
        comment += "; evidence: " + "; ".join(c.evidence)
    comment = "; ".join([comment, *_notes(c.supplier, c.licence, c.deployable)])
    references = [ExternalPackageRef(ExternalPackageRefCategory.PACKAGE_MANAGER, "purl", c.purl)]
    if c.cpe:
        references.append(ExternalPackageRef(ExternalPackageRefCategory.SECURITY, "cpe23Type", c.cpe))
    d = c.deployable
    purpose = PackagePurpose.LIBRARY if c.usage != Usage.BUILD else None
    if c.kind == Kind.DEB or (d is not None and d.archive and purpose is None):
        purpose = purpose or PackagePurpose.ARCHIVE
    return Package(
        spdx_id=spdx_id(c),
        name=c.name,
        download_location=c.url,
        version=c.version,
        file_name=d.filename if d is not None else None,
        originator=_actor(c.supplier),
        files_analyzed=False,
        checksums=_checksums(c.sha256, d),
        license_concluded=_licence(c.licence),
        license_declared=_licence(c.licence),
        external_references=references,
        primary_package_purpose=purpose,
        comment=comment,
    )


def _extracted(sbom: Sbom) -> list[ExtractedLicensingInfo]:
    """SPDX 2.3 requires the text of every LicenseRef- the document uses; Debian's names stand for a paragraph
    of a copyright file, which is what the text says."""
    refs = set()
    for licence in [c.licence for c in sbom.components] + [sbom.subject.licence]:
        if licence is not None and licence.expression:
            refs |= set(re.findall(r"LicenseRef-[A-Za-z0-9.-]+", licence.expression))
    return [ExtractedLicensingInfo(ref, _ref_text(ref), ref.removeprefix("LicenseRef-")) for ref in sorted(refs)]


def _ref_text(ref: str) -> str:
    if ref.startswith(REF_PREFIX):
        return f"The licence Debian's machine-readable copyright files call {ref.removeprefix(REF_PREFIX)}."
    return f"The licence pins.toml names {ref} by hand."


def build_document(sbom: Sbom, created: datetime) -> Document:
    """The SPDX document; created is the only time in it (from SOURCE_DATE_EPOCH at the CLI)."""
    s = sbom.subject
    subject = Package(
        spdx_id=SUBJECT_ID,
        name=s.name,
        download_location=SpdxNoAssertion(),
        version=s.version,
        file_name=s.deployable.filename if s.deployable is not None else None,
        originator=_actor(s.supplier),
        files_analyzed=False,
        checksums=_checksums(s.sha256, s.deployable),
        license_concluded=_licence(s.licence),
        license_declared=_licence(s.licence),
        external_references=[ExternalPackageRef(ExternalPackageRefCategory.SECURITY, "cpe23Type", s.cpe)]
        if s.cpe
        else [],
        primary_package_purpose=PackagePurpose.APPLICATION,
        comment="; ".join(
            [
                *([f"linked: {s.linked}"] if s.linked else []),
                *_notes(s.supplier, s.licence, s.deployable),
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
    by_ref = {c.ref: c for c in sbom.components}
    for c in sbom.components:
        relationships += [
            Relationship(spdx_id(c), RelationshipType.DEPENDS_ON, spdx_id(by_ref[d])) for d in c.depends_on
        ]
    info = CreationInfo(
        spdx_version="SPDX-2.3",
        spdx_id=DOCUMENT_ID,
        name=f"{sbom.subject.name}-{sbom.subject.version}",
        document_namespace=f"https://spdx.org/spdxdocs/rootstock/{sbom.subject.name}-{content_uuid(sbom)}",
        creators=[Actor(ActorType.TOOL, f"rootstock-{__version__}"), *filter(None, [_actor(sbom.creator)])],
        created=created,
    )
    return Document(
        creation_info=info,
        packages=[subject, *packages],
        relationships=relationships,
        extracted_licensing_info=_extracted(sbom),
    )


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
