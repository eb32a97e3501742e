"""Bad input to `rootstock vulns` and the CPE and `fixes` pin fields: one message naming the input and what was
expected, the documented exit code, never a traceback."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from vulns_support import osv, write_json

from rootstock.cli import main

TODAY = ["--today", "2026-01-15"]


def fails(capsys: pytest.CaptureFixture[str], argv: list[str], code: int = 3) -> str:
    assert main(argv) == code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    [line, *_] = err.splitlines()
    assert line.startswith("rootstock: error: ")
    return err


def test_a_feed_that_is_neither_osv_nor_nvd(case, capsys, tmp_path: Path) -> None:
    bad = write_json(tmp_path / "feed.json", {"bomFormat": "CycloneDX", "components": []})
    err = fails(capsys, ["vulns", str(case.sbom), "--feed", str(bad), *TODAY])
    assert f"{bad}: not a vulnerability feed (a JSON object with keys bomFormat, components); expected OSV JSON" in err
    assert "or NVD 2.0 CVE JSON" in err
    old = write_json(tmp_path / "nvd11.json", {"CVE_data_format": "MITRE", "vulnerabilities": []})
    assert "NVD feed version None; only NVD 2.0 CVE JSON is read" in fails(
        capsys, ["vulns", str(case.sbom), "--feed", str(old)]
    )
    text = tmp_path / "feed.txt.json"
    text.write_text("CVE-2024-1 zlib\n")
    assert f"{text}: not JSON (" in fails(capsys, ["vulns", str(case.sbom), "--feed", str(text)])
    empty = tmp_path / "empty"
    empty.mkdir()
    assert f"{empty}: feed directory holds no .json or .zip file" in fails(
        capsys, ["vulns", str(case.sbom), "--feed", str(empty)]
    )
    assert "feed not found" in fails(capsys, ["vulns", str(case.sbom), "--feed", str(tmp_path / "nope")])


def test_a_malformed_advisory_names_its_field(case, capsys, tmp_path: Path) -> None:
    bad = write_json(
        tmp_path / "o.json", osv("OSV-1", [{"ranges": [{"type": "GIT", "events": [{"introduced": "0"}]}]}])
    )
    err = fails(capsys, ["vulns", str(case.sbom), "--feed", str(bad)])
    assert f"{bad}: advisory OSV-1.affected[0].ranges[0]: a GIT range needs 'repo'" in err


def test_a_zip_of_osv_files_is_a_feed(case, capsys, tmp_path: Path) -> None:
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for f in sorted((case.feeds / "osv").iterdir()):
            z.writestr(f.name, f.read_text())
    assert main(["--root", str(case.root), "vulns", str(case.sbom), "--feed", str(archive), *TODAY]) == 1
    assert "OSV-2099-3" in capsys.readouterr().out
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK not really")
    assert "not a zip archive" in fails(capsys, ["vulns", str(case.sbom), "--feed", str(broken)])


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("<bom xmlns='http://cyclonedx.org/schema/bom/1.6'/>", "(XML); expected rootstock's CycloneDX 1.6 JSON"),
        (json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.4"}), "CycloneDX specVersion '1.4', not '1.6'"),
        ("SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\n", "(SPDX tag-value)"),
        (json.dumps({"spdxVersion": "SPDX-2.2"}), "spdxVersion 'SPDX-2.2', not 'SPDX-2.3'"),
        (json.dumps({"packages": []}), "(it has neither bomFormat (CycloneDX) nor spdxVersion (SPDX))"),
        (json.dumps({"bomFormat": "cyclonedx"}), "(bomFormat is 'cyclonedx', expected 'CycloneDX')"),
        (
            json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": "x"}),
            "(components: expected a list, got a string)",
        ),
        (
            json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{"name": "a", "hashes": 5}]}),
            "(components[0].hashes: expected a list, got a number)",
        ),
        (json.dumps({"spdxVersion": "SPDX-2.3", "packages": "x"}), "(packages: expected a list, got a string)"),
        ("name,type,usage,url,checksum\n", "the CSV lists no versions or package URLs"),
    ],
)
def test_an_sbom_of_another_format(case, capsys, tmp_path: Path, content: str, expected: str) -> None:
    sbom = tmp_path / "other.sbom"
    sbom.write_text(content)
    err = fails(capsys, ["vulns", str(sbom), "--feed", str(case.feeds)])
    assert f"rootstock: error: {sbom}: " in err
    assert expected in err


def test_a_missing_or_unreadable_file(case, capsys, tmp_path: Path) -> None:
    assert f"{tmp_path / 'no.json'}: SBOM not found" in fails(
        capsys, ["vulns", str(tmp_path / "no.json"), "--feed", str(case.feeds)]
    )
    err = fails(capsys, ["vulns", str(case.sbom), "--feed", str(case.feeds), "--suppress", str(tmp_path / "s.toml")])
    assert f"{tmp_path / 's.toml'}: suppression file not found" in err
    binary = tmp_path / "bin.json"
    binary.write_bytes(b"\xff\xfe\x00")
    assert "not UTF-8 text" in fails(capsys, ["vulns", str(binary), "--feed", str(case.feeds)])


def test_a_malformed_suppression_names_the_field(case, capsys) -> None:
    case.suppress.write_text(
        '[[suppress]]\nid = "CVE-2099-0004"\ncomponent = "openssl"\nreason = "r"\nexpires = "2030-01-01"\n'
    )
    err = fails(
        capsys,
        [
            "--root",
            str(case.root),
            "vulns",
            str(case.sbom),
            "--feed",
            str(case.feeds),
            "--suppress",
            str(case.suppress),
        ],
    )
    assert err == (
        f"rootstock: error: {case.suppress}: suppress 1 ('CVE-2099-0004'): expires: expected a TOML date such as "
        "2026-06-30 (unquoted), got a string '2030-01-01'\n"
    )
    case.suppress.write_text('[[suppress]]\nid = "zlib-bug"\ncomponent = "zlib"\nexpires = 2030-01-01\n')
    err = fails(capsys, ["vulns", str(case.sbom), "--feed", str(case.feeds), "--suppress", str(case.suppress)])
    assert "suppress 1 ('zlib-bug'): id: expected an advisory id such as CVE-2023-45853" in err
    assert "suppress 1 ('zlib-bug'): reason: required key is missing" in err


def test_an_expired_suppression_is_one_warning_and_the_vulnerability_counts(case, capsys) -> None:
    code = main(
        [
            "--root",
            str(case.root),
            "vulns",
            str(case.sbom),
            "--feed",
            str(case.feeds),
            "--suppress",
            str(case.suppress),
            *TODAY,
        ]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert err == (
        f"{case.suppress}: suppression of CVE-2099-0005 on source:openssl expired on 2025-01-01; the vulnerability "
        "is reported again (renew `expires` after a new review, or remove the entry)\n"
    )


@pytest.mark.parametrize(
    ("cpe", "expected"),
    [
        ('"cpe:2.3:a:zlib"', "(2 attributes after 'cpe:2.3:')"),
        ('"cpe:/a:zlib:zlib"', "(it must start with 'cpe:2.3:')"),
        ('"cpe:2.3:x:zlib:zlib"', "(part 'x' is not a, o or h)"),
        ('"cpe:2.3:a:*:zlib"', "(vendor must be a name, not a wildcard)"),
        ('"cpe:2.3:a:zlib:zlib lib"', "(product 'zlib lib' has characters a CPE does not allow unescaped)"),
        ("3", "expected a CPE 2.3 name string, got an integer 3"),
    ],
)
def test_a_malformed_cpe_is_one_line(case, capsys, cpe: str, expected: str) -> None:
    pins = case.root / "pins.toml"
    pins.write_text(pins.read_text().replace('"cpe:2.3:a:zlib:zlib"', cpe))
    err = fails(capsys, ["--root", str(case.root), "vulns", str(case.sbom), "--feed", str(case.feeds)])
    assert err.startswith(f"rootstock: error: {pins}: pins.zlib-src.cpe: ")
    assert expected in err
    assert len(err.splitlines()) == 1


def test_cpe_and_fixes_cross_checks(case, capsys) -> None:
    pins = case.root / "pins.toml"
    original = pins.read_text()
    pins.write_text(original.replace('"cpe:2.3:a:zlib:zlib"', '"cpe:2.3:a:zlib:zlib:1.3.1"'))
    assert "pins.zlib-src.cpe: the version attribute must be '*', got '1.3.1'" in fails(
        capsys, ["--root", str(case.root), "pins", "list"]
    )
    pins.write_text(original.replace('version = "3.0.22"\n', ""))
    assert "pins.openssl-src.cpe: a pin with a cpe needs a `version`" in fails(
        capsys, ["--root", str(case.root), "pins", "list"]
    )
    pins.write_text(original.replace('patches = ["zlib-fix"]\n', ""))
    assert "pins.zlib-fix.fixes: no git pin lists 'zlib-fix' in its `patches`" in fails(
        capsys, ["--root", str(case.root), "pins", "list"]
    )
    pins.write_text(original.replace('fixes = ["CVE-2099-0002"]', 'fixes = ["CVE-99"]'))
    assert "pins.zlib-fix.fixes item 1: expected an advisory id" in fails(
        capsys, ["--root", str(case.root), "pins", "list"]
    )


def test_the_real_pins_carry_valid_cpes() -> None:
    from common_support import REPO
    from rootstock.pins.convert import load_pins

    cpes = {e.name: str(e.pin.cpe) for e in load_pins(REPO / "pins.toml").entries if e.pin.cpe}
    assert cpes["zlib-src"] == "cpe:2.3:a:zlib:zlib:*:*:*:*:*:*:*:*"
    assert cpes["openssl-src"].startswith("cpe:2.3:a:openssl:openssl:")
