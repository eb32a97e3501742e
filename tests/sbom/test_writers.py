"""CSV, CycloneDX 1.6 and SPDX 2.3 writers, validated with the official libraries."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from sbom_documents import EPOCH, FULL, SBOM
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from rootstock.sbom import csv, cyclonedx, spdx
from rootstock.sbom.model import Sbom


def test_csv_has_exactly_the_seed_columns_in_sorted_order() -> None:
    assert csv.render(SBOM).splitlines() == [
        "name,type,usage,url,checksum",
        f"bison,deb,build,https://example.org/bison-1.0.tar.gz,sha256:{'b' * 64}",
        f"flex,deb,both,https://example.org/flex-1.0.tar.gz,sha256:{'f' * 64}",
        f"boost,source,link,https://example.org/boost-1.0.tar.gz,sha256:{'b' * 64}",
        f"nlohmann_json,source,link,https://example.org/nlohmann_json-1.0.tar.gz,sha256:{'0' * 64}",
    ]


def test_cyclonedx_is_valid_1_6_with_scope_from_usage() -> None:
    text = cyclonedx.render(SBOM, EPOCH)
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    doc = json.loads(text)
    assert doc["metadata"]["timestamp"] == "1970-01-01T00:00:00+00:00"
    scopes = {c["name"]: c["scope"] for c in doc["components"]}
    assert scopes == {"bison": "excluded", "flex": "required", "boost": "required", "nlohmann_json": "required"}
    usage = {
        c["name"]: next(p["value"] for p in c["properties"] if p["name"] == "rootstock:usage")
        for c in doc["components"]
    }
    assert usage["flex"] == "both"
    [subject_deps] = [d for d in doc["dependencies"] if d["ref"] == "subject:nix"]
    assert sorted(subject_deps["dependsOn"]) == ["deb:flex", "source:boost", "source:nlohmann_json"]
    assert cyclonedx.render(SBOM, EPOCH) == text


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


def test_cyclonedx_carries_the_tr_03183_2_fields() -> None:
    doc = json.loads(cyclonedx.render(FULL, datetime(2024, 1, 1, tzinfo=UTC)))
    assert doc["metadata"]["timestamp"] == "2024-01-01T00:00:00+00:00"
    assert doc["metadata"]["manufacturer"]["contact"] == [{"email": "sbom@example.org"}]
    subject = doc["metadata"]["component"]
    assert subject["manufacturer"]["url"] == ["https://github.com/NixOS"]
    assert subject["licenses"] == [{"acknowledgement": "concluded", "expression": "LGPL-2.1-only"}]
    [boost] = [c for c in doc["components"] if c["name"] == "boost"]
    props = {p["name"]: p["value"] for p in boost["properties"]}
    assert {k: v for k, v in props.items() if k.startswith("bsi:")} == {
        "bsi:component:filename": "boost-1.0.tar.gz",
        "bsi:component:executable": "non-executable",
        "bsi:component:archive": "archive",
        "bsi:component:structured": "structured",
    }
    assert props["rootstock:licence-rule"] == "licence files: LICENSE is BSL-1.0"
    assert {"alg": "SHA-512", "content": "e" * 128} in boost["hashes"]
    [distribution] = [r for r in boost["externalReferences"] if r["type"] == "distribution"]
    assert distribution["hashes"] == [{"alg": "SHA-512", "content": "e" * 128}]
    assert boost["cpe"] == "cpe:2.3:a:example:boost:1.0:*:*:*:*:*:*:*"
    entries = {d["ref"]: d.get("dependsOn", []) for d in doc["dependencies"]}
    assert entries["source:nlohmann_json"] == ["source:boost"]
    assert entries["source:boost"] == []
    assert doc["compositions"] == [
        {"aggregate": "complete", "dependencies": ["source:boost", "source:nlohmann_json", "subject:nix"]},
        {"aggregate": "unknown", "dependencies": ["deb:bison", "deb:flex"]},
    ]


def test_spdx_carries_what_spdx_2_3_has_a_place_for(tmp_path: Path) -> None:
    path = tmp_path / "sbom.spdx.json"
    path.write_text(spdx.render(FULL, EPOCH))
    assert validate_full_spdx_document(parse_file(str(path))) == []
    doc = json.loads(path.read_text())
    assert "Organization: example.org (sbom@example.org)" in doc["creationInfo"]["creators"]
    packages = {p["name"]: p for p in doc["packages"]}
    assert packages["boost"]["originator"] == "Organization: https://example.org"
    assert packages["boost"]["packageFileName"] == "boost-1.0.tar.gz"
    assert {"algorithm": "SHA512", "checksumValue": "e" * 128} in packages["boost"]["checksums"]
    assert packages["bison"]["licenseConcluded"] == "GPL-3.0-or-later AND LicenseRef-debian-FSFAP-like"
    assert [e["licenseId"] for e in doc["hasExtractedLicensingInfos"]] == ["LicenseRef-debian-FSFAP-like"]
    assert {
        "spdxElementId": "SPDXRef-source-nlohmann-json",
        "relationshipType": "DEPENDS_ON",
        "relatedSpdxElement": "SPDXRef-source-boost",
    } in doc["relationships"]
