"""`rootstock vulns`: what matches, by which rule, the false-positive classes it avoids, and its reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rootstock.cli import main

TODAY = ["--today", "2026-01-15"]


def run(case, capsys, *extra: str, mirror: bool = False, fmt: str = "cdx") -> tuple[int, list[str], str]:
    sbom = case.sbom if fmt == "cdx" else case.spdx
    glob = ["--root", str(case.root), *(["--mirror", str(case.mirror)] if mirror else [])]
    code = main(
        [*glob, "vulns", str(sbom), "--feed", str(case.feeds), "--suppress", str(case.suppress), *TODAY, *extra]
    )
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def test_matches_by_identity_and_version_and_each_rule_is_named(case, capsys, tmp_path: Path) -> None:
    code, out, err = run(case, capsys, "--json", str(tmp_path / "r.json"), "--markdown", str(tmp_path / "r.md"))
    assert code == 1
    rows = {tuple(line.split("\t")[:3]) for line in out[:-1]}
    assert rows == {
        ("open", "CVE-2099-0001", "source:zlib 1.3.1"),
        ("open", "OSV-2099-3", "source:zlib 1.3.1"),
        ("fixed-by-patch", "CVE-2099-0002", "source:zlib 1.3.1"),
        ("suppressed", "CVE-2099-0004", "source:openssl 3.0.22"),
        ("open", "CVE-2099-0005", "source:openssl 3.0.22"),
        ("open", "DEBIAN-CVE-2099-0006", "deb:libc6-dev 2.36-9+deb12u10"),
        ("undecided", "OSV-2099-5", "source:zlib"),
    }
    assert out[-1] == "vulns: 4 open, 2 suppressed or fixed, 1 undecided; 4 components, 15 advisories"
    assert "suppression of CVE-2099-0005 on source:openssl expired on 2025-01-01" in err
    report = json.loads((tmp_path / "r.json").read_text())
    rules = {
        (v["id"], m["advisory"]): (m["identity"], m["rule"]) for v in report["vulnerabilities"] for m in v["matched"]
    }
    assert rules[("CVE-2099-0001", "CVE-2099-0001")][0] == "CPE zlib:zlib (pin zlib-src)"
    assert rules[("OSV-2099-3", "OSV-2099-3")][1].startswith("exact commit: the pin ")
    assert "holds 2.36-9+deb12u10 (dpkg order)" in rules[("DEBIAN-CVE-2099-0006", "DEBIAN-CVE-2099-0006")][1]
    [expired] = [v for v in report["vulnerabilities"] if v["id"] == "CVE-2099-0005"]
    assert expired["status"] == "open"
    assert expired["note"] == "suppression expired on 2025-01-01 (reviewed last year)"
    assert report["suppressions"]["expired"][0]["id"] == "CVE-2099-0005"
    assert report["undecided"][0]["reason"].startswith("no local history of https://github.com/madler/zlib.git")
    md = (tmp_path / "r.md").read_text()
    assert md.startswith(
        "# Vulnerabilities of app\n\n**4 open vulnerabilities**; 1 suppressed, 1 fixed by a patch, 1 undecided."
    )
    assert "## Suppressions needing attention" in md


def test_false_positive_classes_are_not_reported(case, capsys) -> None:
    _, out, _ = run(case, capsys)
    text = "\n".join(out)
    assert "CVE-2022-37434" not in text  # zlib <= 1.2.12: the pin's version is past it
    assert "CVE-2099-0003" not in text  # another vendor's product called zlib
    assert "OSV-2099-1" not in text  # PyPI's zlib, not the C library
    assert "OSV-2099-9" not in text  # a bare name: pkg:generic/json is no identity
    assert "OSV-2099-4" not in text  # fixed at exactly the pinned commit
    assert "CVE-2099-0007" not in text  # a beta of the pinned version, not the release
    assert "DEBIAN-CVE-2099-0008" not in text  # fixed in the installed Debian version


def test_commit_ancestry_decides_git_ranges_when_the_mirror_holds_the_history(case, capsys, tmp_path: Path) -> None:
    code, out, _ = run(case, capsys, "--json", str(tmp_path / "r.json"), mirror=True)
    assert code == 1
    assert not [line for line in out if line.startswith("undecided")]
    report = json.loads((tmp_path / "r.json").read_text())
    by_id = {v["id"]: v for v in report["vulnerabilities"]}
    # OSV-2099-2 is CVE-2099-0001 (an alias): one vulnerability, both feeds' matches under it.
    assert [m["advisory"] for m in by_id["CVE-2099-0001"]["matched"]] == ["CVE-2099-0001", "OSV-2099-2"]
    assert by_id["CVE-2099-0001"]["matched"][1]["rule"].startswith("commit ancestry in ")
    assert by_id["OSV-2099-5"]["status"] == "open"  # last_affected is a descendant of the pin
    assert "OSV-2099-4" not in by_id  # its fix is the pinned commit itself
    assert report["history"] == f"mirror {case.mirror}"


def test_reports_are_deterministic_and_spdx_gives_the_same_matches(case, capsys, tmp_path: Path) -> None:
    run(case, capsys, "--json", str(tmp_path / "a.json"), "--markdown", str(tmp_path / "a.md"))
    run(case, capsys, "--json", str(tmp_path / "b.json"), "--markdown", str(tmp_path / "b.md"))
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    assert (tmp_path / "a.md").read_bytes() == (tmp_path / "b.md").read_bytes()
    run(case, capsys, "--json", str(tmp_path / "c.json"), fmt="spdx")
    cdx, spdx = (json.loads((tmp_path / n).read_text()) for n in ("a.json", "c.json"))
    assert cdx["vulnerabilities"] == spdx["vulnerabilities"]
    assert spdx["sbom"]["format"] == "SPDX 2.3"


def test_exit_0_when_everything_is_suppressed_or_fixed(case, capsys) -> None:
    feed = case.feeds / "nvd" / "page-1.json"
    data = json.loads(feed.read_text())
    data["vulnerabilities"] = [
        v for v in data["vulnerabilities"] if v["cve"]["id"] in ("CVE-2099-0002", "CVE-2099-0004")
    ]
    feed.write_text(json.dumps(data))
    code = main(
        [
            "--root",
            str(case.root),
            "vulns",
            str(case.sbom),
            "--feed",
            str(feed),
            "--suppress",
            str(case.suppress),
            *TODAY,
        ]
    )
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[-1].startswith("vulns: 0 open, 2 suppressed or fixed")


def test_without_a_checkout_only_host_packages_are_matched(
    case, capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code = main(["vulns", str(case.sbom), "--feed", str(case.feeds), *TODAY])
    out = capsys.readouterr().out.splitlines()
    assert code == 1
    assert [line.split("\t")[1] for line in out[:-1]] == ["DEBIAN-CVE-2099-0006"]
