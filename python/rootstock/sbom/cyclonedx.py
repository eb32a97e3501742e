"""CycloneDX 1.6 JSON: components with scope from usage, the exact usage as a property, source references, and
the fields of BSI TR-03183-2 (creator, timestamp, SHA-512, licence, the `bsi:component:*` properties of the
BSI's CycloneDX property taxonomy, dependencies with their completeness); validated against the schema."""

from __future__ import annotations

import json
from datetime import datetime

from cyclonedx.model import (
    ExternalReference,
    ExternalReferenceType,
    HashAlgorithm,
    HashType,
    Property,
    XsUri,
)
from cyclonedx.model.bom import Bom, BomMetaData
from cyclonedx.model.component import Component as CdxComponent
from cyclonedx.model.component import ComponentScope, ComponentType
from cyclonedx.model.contact import OrganizationalContact, OrganizationalEntity
from cyclonedx.model.dependency import Dependency
from cyclonedx.model.license import LicenseAcknowledgement, LicenseExpression
from cyclonedx.output import make_outputter
from cyclonedx.schema import OutputFormat, SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from packageurl import PackageURL

from rootstock.sbom.errors import SbomError
from rootstock.sbom.ids import content_uuid
from rootstock.sbom.model import Component, Deployable, Kind, Licence, Party, Sbom, Subject, Usage

_SCOPE = {
    Usage.LINK: ComponentScope.REQUIRED,
    Usage.BOTH: ComponentScope.REQUIRED,
    Usage.BUILD: ComponentScope.EXCLUDED,
}


def _party(p: Party) -> OrganizationalEntity:
    return OrganizationalEntity(
        name=p.name,
        urls=[XsUri(p.url)] if p.url else None,
        contacts=[OrganizationalContact(email=p.email)] if p.email else None,
    )


def _bsi(d: Deployable | None) -> list[Property]:
    """The BSI taxonomy's properties (names and values as github.com/BSI-Bund/tr-03183-cyclonedx-property-taxonomy
    defines them) and what the SHA-512 is of."""
    if d is None:
        return []
    return [
        Property(name="bsi:component:filename", value=d.filename),
        Property(name="bsi:component:executable", value="executable" if d.executable else "non-executable"),
        Property(name="bsi:component:archive", value="archive" if d.archive else "no archive"),
        Property(name="bsi:component:structured", value="structured" if d.structured else "unstructured"),
        Property(name="rootstock:sha512-of", value=d.hashed),
    ]


def _origin(supplier: Party | None, licence: Licence | None) -> list[Property]:
    props = [Property(name="rootstock:creator-rule", value=supplier.rule)] if supplier and supplier.rule else []
    if licence is not None:
        props.append(Property(name="rootstock:licence-rule", value=licence.rule))
    return props


def _licences(licence: Licence | None) -> list[LicenseExpression]:
    if licence is None or not licence.expression:
        return []
    # CycloneDX 1.6 allows one expression: the licence the component is distributed under, as concluded here.
    return [LicenseExpression(licence.expression, acknowledgement=LicenseAcknowledgement.CONCLUDED)]


def _sha512(d: Deployable | None) -> list[HashType]:
    return [HashType(alg=HashAlgorithm.SHA_512, content=d.sha512)] if d is not None and d.sha512 else []


def _component(c: Component) -> CdxComponent:
    digest = HashType(alg=HashAlgorithm.SHA_256, content=c.sha256)
    ref_type = ExternalReferenceType.DISTRIBUTION if c.kind == Kind.DEB else ExternalReferenceType.SOURCE_DISTRIBUTION
    references = [ExternalReference(type=ref_type, url=XsUri(c.url), hashes=[digest])]
    deployed = c.deployable
    if c.kind == Kind.DEB:
        references[0].hashes.update(_sha512(deployed))
    elif deployed is not None:
        # A pin's deployable form is the archive itself, or (a git pin) the repository at its commit.
        references.append(
            ExternalReference(
                type=ExternalReferenceType.DISTRIBUTION, url=XsUri(deployed.uri or c.url), hashes=_sha512(deployed)
            )
        )
    properties = [
        Property(name="rootstock:usage", value=c.usage.value),
        Property(name="rootstock:usage-from-contents", value=c.usage_from_contents.value),
        Property(name="rootstock:type", value=c.kind.value),
        *_bsi(deployed),
        *_origin(c.supplier, c.licence),
        *(Property(name="rootstock:evidence", value=e) for e in c.evidence),
    ]
    return CdxComponent(
        name=c.name,
        version=c.version,
        type=ComponentType.LIBRARY,
        bom_ref=c.ref,
        scope=_SCOPE[c.usage],
        purl=PackageURL.from_string(c.purl),
        cpe=c.cpe or None,
        manufacturer=_party(c.supplier) if c.supplier else None,
        licenses=_licences(c.licence),
        hashes=[digest, *_sha512(deployed)],
        external_references=references,
        properties=properties,
    )


def _subject(s: Subject) -> CdxComponent:
    return CdxComponent(
        name=s.name,
        version=s.version,
        type=ComponentType.APPLICATION,
        bom_ref=f"subject:{s.name}",
        cpe=s.cpe or None,
        manufacturer=_party(s.supplier) if s.supplier else None,
        licenses=_licences(s.licence),
        hashes=[HashType(alg=HashAlgorithm.SHA_256, content=s.sha256), *_sha512(s.deployable)],
        properties=[
            *([Property(name="rootstock:linked", value=s.linked)] if s.linked else []),
            *_bsi(s.deployable),
            *_origin(s.supplier, s.licence),
        ],
    )


def _compositions(sbom: Sbom, subject_ref: str) -> list[dict[str, object]]:
    """How complete each component's dependencies are (cyclonedx-python-lib does not model compositions): the
    subject's from the link evidence and every pinned source's from the recipe (the build sandbox shows a
    package no input it does not declare) are complete; a host package's (its own Depends) are not known."""
    complete = [subject_ref] + [c.ref for c in sbom.components if c.dependencies_complete]
    unknown = [c.ref for c in sbom.components if not c.dependencies_complete]
    return [
        {"aggregate": aggregate, "dependencies": sorted(refs)}
        for aggregate, refs in (("complete", complete), ("unknown", unknown))
        if refs
    ]


def render(sbom: Sbom, created: datetime) -> str:
    """The CycloneDX 1.6 JSON text: created is its timestamp, the serial number is derived from the content.

    Raises:
        SbomError: the document does not pass the CycloneDX 1.6 JSON schema.
    """
    subject = _subject(sbom.subject)
    components = [_component(c) for c in sbom.components]
    metadata = BomMetaData(
        component=subject,
        timestamp=created,
        manufacturer=_party(sbom.creator) if sbom.creator else None,
        properties=[
            *([Property(name="rootstock:creator-rule", value=sbom.creator.rule)] if sbom.creator else []),
            *(Property(name="rootstock:finding", value=f"{f.component}: {f.message}") for f in sbom.findings),
        ],
    )
    bom = Bom(components=components, metadata=metadata, serial_number=content_uuid(sbom))
    # The library stamps itself as tool by default; that would make equal SBOMs of two rootstock versions differ.
    bom.metadata.tools.components.clear()
    bom.metadata.tools.services.clear()
    bom.dependencies.add(
        Dependency(
            ref=subject.bom_ref,
            dependencies=[
                Dependency(ref=c.bom_ref)
                for c, s in zip(components, sbom.components, strict=True)
                if s.usage != Usage.BUILD
            ],
        )
    )
    # Every component has its entry, a leaf with no dependsOn too: that says "depends on nothing listed".
    bom_refs = {s.ref: c.bom_ref for c, s in zip(components, sbom.components, strict=True)}
    for c, s in zip(components, sbom.components, strict=True):
        bom.dependencies.add(
            Dependency(ref=c.bom_ref, dependencies=[Dependency(ref=bom_refs[d]) for d in s.depends_on])
        )
    text: str = make_outputter(bom, OutputFormat.JSON, SchemaVersion.V1_6).output_as_string(indent=2)
    document = json.loads(text)
    document["compositions"] = _compositions(sbom, str(subject.bom_ref))
    text = json.dumps(document, indent=2, ensure_ascii=False)
    if (problem := JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)) is not None:
        msg = f"the CycloneDX document for {sbom.subject.name} is invalid: {problem}"
        raise SbomError(msg)
    return text + "\n"
