"""CSV, CycloneDX 1.6 and SPDX 2.3 writers, validated with the official libraries."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from rootstock.sbom import csv, cyclonedx, spdx
from rootstock.sbom.model import Component, Finding, Kind, Sbom, Subject, Usage

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def component(name: str, kind: Kind, usage: Usage, contents: Usage) -> Component:
    return Component(
        name=name,
        kind=kind,
        version="1.0",
        usage=usage,
        url=f"https://example.org/{name}-1.0.tar.gz",
        sha256=name[0] * 64 if name[0] in "abcdef" else "0" * 64,
        purl=f"pkg:generic/{name}@1.0",
        usage_from_contents=contents,
        evidence=[f"linked member: lib{name}.a(x.o)"],
    )


SBOM = Sbom(
    Subject("nix", "2.28.4", "f" * 64),
    [
        component("nlohmann_json", Kind.SOURCE, Usage.LINK, Usage.BUILD),
        component("bison", Kind.DEB, Usage.BUILD, Usage.BUILD),
        component("flex", Kind.DEB, Usage.BOTH, Usage.BOTH),
        component("boost", Kind.SOURCE, Usage.LINK, Usage.LINK),
    ],
    [Finding("source:nlohmann_json", "header-only")],
)


def test_csv_has_exactly_the_seed_columns_in_sorted_order() -> None:
    assert csv.render(SBOM).splitlines() == [
        "name,type,usage,url,checksum",
        f"bison,deb,build,https://example.org/bison-1.0.tar.gz,sha256:{'b' * 64}",
        f"flex,deb,both,https://example.org/flex-1.0.tar.gz,sha256:{'f' * 64}",
        f"boost,source,link,https://example.org/boost-1.0.tar.gz,sha256:{'b' * 64}",
        f"nlohmann_json,source,link,https://example.org/nlohmann_json-1.0.tar.gz,sha256:{'0' * 64}",
    ]


def test_cyclonedx_is_valid_1_6_with_scope_from_usage() -> None:
    text = cyclonedx.render(SBOM)
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    doc = json.loads(text)
    assert "timestamp" not in doc["metadata"]
    scopes = {c["name"]: c["scope"] for c in doc["components"]}
    assert scopes == {"bison": "excluded", "flex": "required", "boost": "required", "nlohmann_json": "required"}
    usage = {
        c["name"]: next(p["value"] for p in c["properties"] if p["name"] == "rootstock:usage")
        for c in doc["components"]
    }
    assert usage["flex"] == "both"
    [subject_deps] = [d for d in doc["dependencies"] if d["ref"] == "subject:nix"]
    assert sorted(subject_deps["dependsOn"]) == ["deb:flex", "source:boost", "source:nlohmann_json"]
    assert cyclonedx.render(SBOM) == text


def test_spdx_is_valid_2_3_with_link_relationships(tmp_path: Path) -> None:
    path = tmp_path / "sbom.spdx.json"
    path.write_text(spdx.render(SBOM, EPOCH))
    document = parse_file(str(path))
    assert validate_full_spdx_document(document) == []
    relations = {
        (r.spdx_element_id, r.relationship_type.name, r.related_spdx_element_id) for r in document.relationships
    }
    assert relations == {
        ("SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-subject"),
        ("SPDXRef-subject", "STATIC_LINK", "SPDXRef-source-nlohmann-json"),
        ("SPDXRef-subject", "STATIC_LINK", "SPDXRef-source-boost"),
        ("SPDXRef-subject", "STATIC_LINK", "SPDXRef-deb-flex"),
        ("SPDXRef-deb-flex", "BUILD_TOOL_OF", "SPDXRef-subject"),
        ("SPDXRef-deb-bison", "BUILD_DEPENDENCY_OF", "SPDXRef-subject"),
    }
    assert json.loads(path.read_text())["creationInfo"]["created"] == "1970-01-01T00:00:00Z"


def test_ids_follow_content() -> None:
    changed = Sbom(SBOM.subject, SBOM.components[1:], SBOM.findings)
    ns = [json.loads(spdx.render(s, EPOCH))["documentNamespace"] for s in (SBOM, SBOM, changed)]
    assert ns[0] == ns[1] != ns[2]
