"""CycloneDX 1.6 JSON: components with scope from usage, the exact usage as a property, source references."""

from __future__ import annotations

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
from cyclonedx.model.dependency import Dependency
from cyclonedx.output import make_outputter
from cyclonedx.schema import OutputFormat, SchemaVersion
from packageurl import PackageURL

from rootstock.sbom.ids import content_uuid
from rootstock.sbom.model import Component, Kind, Sbom, Usage

_SCOPE = {
    Usage.LINK: ComponentScope.REQUIRED,
    Usage.BOTH: ComponentScope.REQUIRED,
    Usage.BUILD: ComponentScope.EXCLUDED,
}


def _component(c: Component) -> CdxComponent:
    digest = HashType(alg=HashAlgorithm.SHA_256, content=c.sha256)
    ref_type = ExternalReferenceType.DISTRIBUTION if c.kind == Kind.DEB else ExternalReferenceType.SOURCE_DISTRIBUTION
    properties = [
        Property(name="rootstock:usage", value=c.usage.value),
        Property(name="rootstock:usage-from-contents", value=c.usage_from_contents.value),
        Property(name="rootstock:type", value=c.kind.value),
        *(Property(name="rootstock:evidence", value=e) for e in c.evidence),
    ]
    return CdxComponent(
        name=c.name,
        version=c.version,
        type=ComponentType.LIBRARY,
        bom_ref=c.ref,
        scope=_SCOPE[c.usage],
        purl=PackageURL.from_string(c.purl),
        hashes=[digest],
        external_references=[ExternalReference(type=ref_type, url=XsUri(c.url), hashes=[digest])],
        properties=properties,
    )


def render(sbom: Sbom) -> str:
    """The CycloneDX 1.6 JSON text; no timestamp, serial number derived from the content."""
    subject = CdxComponent(
        name=sbom.subject.name,
        version=sbom.subject.version,
        type=ComponentType.APPLICATION,
        bom_ref=f"subject:{sbom.subject.name}",
        hashes=[HashType(alg=HashAlgorithm.SHA_256, content=sbom.subject.sha256)],
        properties=[Property(name="rootstock:linked", value=sbom.subject.linked)] if sbom.subject.linked else [],
    )
    components = [_component(c) for c in sbom.components]
    metadata = BomMetaData(
        component=subject,
        properties=[Property(name="rootstock:finding", value=f"{f.component}: {f.message}") for f in sbom.findings],
    )
    bom = Bom(components=components, metadata=metadata, serial_number=content_uuid(sbom))
    # The library stamps "now" and itself as tool by default; both would make equal SBOMs differ.
    bom.metadata.timestamp = None
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
    text: str = make_outputter(bom, OutputFormat.JSON, SchemaVersion.V1_6).output_as_string(indent=2)
    return text + "\n"
