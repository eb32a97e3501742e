"""`sbom check --profile bsi-tr-03183-2`: a document with every field passes; each missing or malformed field is
one line naming the component and the field (exit 1); a file that is no CycloneDX or SPDX JSON is one message
(exit 3)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sbom_documents import EPOCH, FULL, SBOM

from rootstock.cli import main
from rootstock.sbom import bsi, cyclonedx, spdx

Doc = dict[str, Any]


def full() -> Doc:
    doc: Doc = json.loads(cyclonedx.render(FULL, datetime(2024, 1, 1, tzinfo=UTC)))
    return doc


def component(doc: Doc, name: str) -> Doc:
    return next(c for c in doc["components"] if c["name"] == name)


def drop_property(name: str) -> Callable[[Doc], None]:
    def edit(doc: Doc) -> None:
        c = component(doc, "boost")
        c["properties"] = [p for p in c["properties"] if p["name"] != name]

    return edit


def set_property(name: str, value: str) -> Callable[[Doc], None]:
    def edit(doc: Doc) -> None:
        for p in component(doc, "boost")["properties"]:
            if p["name"] == name:
                p["value"] = value

    return edit


def problems(doc: Doc, tmp_path: Path) -> list[str]:
    path = tmp_path / "sbom.cdx.json"
    path.write_text(json.dumps(doc))
    return [str(p) for p in bsi.check(path).problems]


def test_a_document_with_every_field_passes(tmp_path: Path) -> None:
    assert problems(full(), tmp_path) == []


def test_the_bare_seed_document_lacks_every_tr_field(tmp_path: Path) -> None:
    found = problems(json.loads(cyclonedx.render(SBOM, EPOCH)), tmp_path)
    assert "SBOM: creator (metadata.manufacturer url or contact email): missing (an email address or a URL)" in found
    for field in ("filename (bsi:component:filename)", "bsi:component:archive", "hash (SHA-512 of the deployable"):
        assert any(line.startswith(f"component boost: {field}") for line in found), field
    assert "subject nix: distribution licence (licenses[].expression, concluded): missing" in found


def _del(path: tuple[str, ...]) -> Callable[[Doc], None]:
    def edit(doc: Doc) -> None:
        target = doc
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return edit


CASES: list[tuple[str, Callable[[Doc], None], str]] = [
    ("old CycloneDX", lambda d: d.update(specVersion="1.5"), "SBOM: specVersion: '1.5': BSI TR-03183-2 2.1.0 accepts"),
    (
        "no creator",
        _del(("metadata", "manufacturer")),
        "SBOM: creator (metadata.manufacturer url or contact email): missing",
    ),
    (
        "creator not a contact",
        lambda d: d["metadata"]["manufacturer"].update(contact=[{"email": "nobody"}]),
        "SBOM: creator (metadata.manufacturer url or contact email): malformed: 'nobody' is no email address",
    ),
    ("no timestamp", _del(("metadata", "timestamp")), "SBOM: timestamp (metadata.timestamp): missing"),
    (
        "bad timestamp",
        lambda d: d["metadata"].update(timestamp="yesterday"),
        "SBOM: timestamp (metadata.timestamp): malformed: 'yesterday' is not an ISO 8601",
    ),
    ("bad serial", lambda d: d.update(serialNumber="42"), "SBOM: SBOM-URI (serialNumber): malformed: '42'"),
    ("vulnerabilities", lambda d: d.update(vulnerabilities=[{"id": "CVE-1"}]), "SBOM: vulnerabilities: present"),
    ("no subject", _del(("metadata", "component")), "SBOM: metadata.component: missing"),
    ("no version", lambda d: component(d, "boost").pop("version"), "component boost: version: missing"),
    ("no creator", lambda d: component(d, "boost").pop("manufacturer"), "component boost: creator (manufacturer"),
    (
        "no filename",
        drop_property("bsi:component:filename"),
        "component boost: filename (bsi:component:filename): missing",
    ),
    (
        "a path as filename",
        set_property("bsi:component:filename", "src/boost.tar"),
        "component boost: filename (bsi:component:filename): malformed: ['src/boost.tar'] (one name, not a path)",
    ),
    ("no executable", drop_property("bsi:component:executable"), "component boost: bsi:component:executable: missing"),
    (
        "bad archive value",
        set_property("bsi:component:archive", "yes"),
        "component boost: bsi:component:archive: malformed: ['yes'] (exactly one of archive | no archive)",
    ),
    ("no structured", drop_property("bsi:component:structured"), "component boost: bsi:component:structured: missing"),
    (
        "no licence",
        lambda d: component(d, "boost").pop("licenses"),
        "component boost: distribution licence (licenses[].expression, concluded): missing",
    ),
    (
        "only the original licence",
        lambda d: component(d, "boost")["licenses"][0].update(acknowledgement="declared"),
        "component boost: distribution licence (licenses[].expression, concluded): missing",
    ),
    (
        "licence not SPDX",
        lambda d: component(d, "boost")["licenses"][0].update(expression="Boost License"),
        "component boost: distribution licence: malformed: 'Boost License' names identifiers not on the SPDX",
    ),
    (
        "no SHA-512",
        lambda d: [
            h.update(alg="SHA-256", content="0" * 64)
            for h in component(d, "boost")["hashes"]
            + [x for r in component(d, "boost")["externalReferences"] for x in r.get("hashes", [])]
            if h["alg"] == "SHA-512"
        ],
        "component boost: hash (SHA-512 of the deployable component): missing",
    ),
    (
        "short SHA-512",
        lambda d: [h.update(content="ab") for h in component(d, "boost")["hashes"] if h["alg"] == "SHA-512"],
        "component boost: hash (SHA-512 of the deployable component): malformed: not 128 hex digits",
    ),
    (
        "no dependencies entry",
        lambda d: d.update(dependencies=[x for x in d["dependencies"] if x["ref"] != "source:boost"]),
        "component boost: dependencies: missing (no dependencies[] entry for source:boost)",
    ),
    (
        "dangling dependsOn",
        lambda d: next(x for x in d["dependencies"] if x["ref"] == "source:boost").update(dependsOn=["source:gone"]),
        "component boost: dependencies: malformed: dependsOn 'source:gone' is no component's bom-ref",
    ),
    (
        "no completeness",
        lambda d: d.pop("compositions"),
        "component boost: dependencies completeness (compositions[].aggregate): missing for source:boost",
    ),
    (
        "bad cpe",
        lambda d: component(d, "boost").update(cpe="cpe:boost"),
        "component boost: cpe: malformed: expected a CPE",
    ),
]


@pytest.mark.parametrize(("case", "edit", "line"), CASES, ids=[c[0] for c in CASES])
def test_each_missing_or_malformed_field_is_one_line(
    case: str, edit: Callable[[Doc], None], line: str, tmp_path: Path
) -> None:
    del case
    doc = full()
    edit(doc)
    found = problems(doc, tmp_path)
    assert any(p.startswith(line) for p in found), found


def test_spdx_2_is_checked_and_refused_by_version(tmp_path: Path) -> None:
    path = tmp_path / "sbom.spdx.json"
    path.write_text(spdx.render(FULL, EPOCH))
    report = bsi.check(path)
    assert report.format == "SPDX 2.3"
    assert [str(p) for p in report.problems] == [
        f"SBOM: spdxVersion: 'SPDX-2.3': {bsi.TR} accepts SPDX 3.0.1 or later (SPDX 2 was accepted by 2.0.0)",
        "SBOM: executable, archive, structured properties: SPDX 2 has no field for them",
        "SBOM: dependencies completeness: SPDX 2 relationships have no completeness indicator",
    ]
    bare = tmp_path / "bare.spdx.json"
    bare.write_text(spdx.render(SBOM, EPOCH))
    found = [str(p) for p in bsi.check(bare).problems]
    assert "package boost: hash (checksums SHA512): missing" in found
    assert "package boost: distribution licence (licenseConcluded): missing" in found
    assert "package nix: creator (originator or supplier): missing (an email address or a URL)" in found


def test_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good, bad = tmp_path / "good.cdx.json", tmp_path / "bad.cdx.json"
    good.write_text(json.dumps(full()))
    bare = full()
    del bare["metadata"]["timestamp"]
    bad.write_text(json.dumps(bare))
    check = ["--root", str(tmp_path), "sbom", "check", "--profile", "bsi-tr-03183-2"]
    assert main([*check, str(good)]) == 0
    assert capsys.readouterr().out.endswith(
        "CycloneDX 1.6, 5 components, BSI TR-03183-2 2.1.0: every required field present\n"
    )
    assert main([*check, str(bad)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "SBOM: timestamp (metadata.timestamp): missing",
        f"{bad}: CycloneDX 1.6, 5 components, BSI TR-03183-2 2.1.0: 1 missing or malformed",
    ]
    with pytest.raises(SystemExit) as usage:
        main([*check[:-1], "ntia", str(good)])
    assert usage.value.code == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, "SBOM not found"),
        ("<bom/>", "not JSON"),
        ('{"hello": 1}', "it has neither bomFormat (CycloneDX) nor spdxVersion (SPDX)"),
        ('{"bomFormat": "cyclonedx", "specVersion": "1.6"}', ": bomFormat is 'cyclonedx', expected 'CycloneDX'\n"),
        ('{"bomFormat": "CycloneDX", "components": "x"}', ": components: expected a list, got a string\n"),
        ('{"bomFormat": "CycloneDX", "metadata": []}', ": metadata: expected an object, got a list\n"),
        ('{"spdxVersion": "SPDX-2.3", "packages": {}}', ": packages: expected a list, got an object\n"),
        ("[1, 2]", ": the document is a list, not an object\n"),
        ('{"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"}', "an SPDX 3 JSON-LD document"),
        ("name,type,usage,url,checksum\n", "not JSON"),
    ],
)
def test_what_is_no_sbom_is_one_message(
    text: str | None, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "doc.json"
    if text is not None:
        path.write_text(text)
    assert main(["--root", str(tmp_path), "sbom", "check", "--profile", "bsi-tr-03183-2", str(path)]) == 3
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1
    assert "Traceback" not in err
