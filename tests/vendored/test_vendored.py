"""`rootstock vendored`: each built-in signature against a small synthetic binary, and the reconciliation with
an SBOM's link rows (CSV `usage`, CycloneDX `rootstock:usage`)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from rootstock.cli import main
from rootstock.sbom import csv, cyclonedx
from rootstock.sbom.model import Component, Kind, Sbom, Subject, Usage
from rootstock.vendored import signatures
from rootstock.vendored.scan import scan

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# What each library leaves in a program that links it, as its sources write the strings.
SAMPLES = {
    "zlib": (b" deflate 1.3.1 Copyright 1995-2024 Jean-loup Gailly and Mark Adler ", "1.3.1"),
    "sqlite": (b"SQLite format 3\x00\x00\x003.44.2\x002023-11-24 11:41:44 ebead0e7230cd33b\x00", "3.44.2"),
    "openssl": (b"OpenSSL 3.0.22 1 Jul 2025\x00", "3.0.22"),
    "busybox": (b"BusyBox v1.36.1 (2023-05-19 00:00:00 UTC) multi-call binary.\x00", "1.36.1"),
    "curl": (b"libcurl/8.12.1\x00", "8.12.1"),
    "bzip2": (b"1.0.8, 13-Jul-2019\x00\n\nbzip2/libbzip2: internal error number %d.\n\x00", "1.0.8"),
    "libarchive": (b"libarchive 3.7.9\x00", "3.7.9"),
}
# Strings that name a library without being a copy of it: none of them is a finding.
DECOYS = [
    b"compressed with zlib",  # a name only
    b"3.44.2\x00",  # sqlite's version without its header magic
    b"1.0.8, 13-Jul-2019\x00",  # bzip2's version text without its assertion message
    b"OpenSSL support: no\x00",
    b"deflate 1.3.1\x00",  # no copyright notice
]


def binary(path: Path, *chunks: bytes) -> Path:
    """A made-up ELF-looking file: a header, noise, and the chunks at odd offsets."""
    noise = bytes(range(256)) * 4
    path.write_bytes(b"\x7fELF" + noise + noise.join(chunks) + noise)
    return path


def test_every_signature_has_a_sample_here() -> None:
    assert sorted(s.library for s in signatures.load().signature) == sorted(SAMPLES)


@pytest.mark.parametrize("library", sorted(SAMPLES))
def test_each_signature_finds_its_library_and_version(tmp_path: Path, library: str) -> None:
    sample, version = SAMPLES[library]
    found = scan(binary(tmp_path / "bin", sample), signatures.load().signature)
    assert [(c.library, c.version) for c in found] == [(library, version)]
    assert found[0].offset > 4


def test_openssls_bare_version_beside_sqlite_is_not_a_second_sqlite(tmp_path: Path) -> None:
    # Seen in the real static nix: OpenSSL 3.0.22 leaves "3.0.22" as a NUL-terminated string, as sqlite does.
    found = scan(binary(tmp_path / "bin", b"\x003.0.22\x00", SAMPLES["sqlite"][0]), signatures.load().signature)
    assert [(c.library, c.version) for c in found] == [("sqlite", "3.44.2")]


def test_names_and_half_signatures_are_not_copies(tmp_path: Path) -> None:
    assert scan(binary(tmp_path / "bin", *DECOYS), signatures.load().signature) == []
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    assert scan(empty, signatures.load().signature) == []


def component(name: str, version: str, usage: Usage) -> Component:
    return Component(
        name,
        Kind.SOURCE,
        version,
        usage,
        f"https://example.org/{name}.tar.gz",
        "0" * 64,
        f"pkg:generic/{name}@{version}",
        usage,
        [],
    )


SBOM = Sbom(
    Subject("nix", "2.28.7", "f" * 64),
    [
        component("zlib", "1.3.1", Usage.LINK),
        component("openssl", "3.0.22", Usage.LINK),
        component("curl", "8.12.0", Usage.BOTH),
        component("boost", "1.81.0", Usage.LINK),
        component("busybox", "1.36.1", Usage.BUILD),
    ],
    [],
)


@pytest.mark.parametrize("fmt", ["csv", "cdx"])
def test_reconciles_copies_with_the_sboms_link_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    sbom = tmp_path / f"sbom.{fmt}"
    sbom.write_text(csv.render(SBOM) if fmt == "csv" else cyclonedx.render(SBOM, EPOCH))
    nix = binary(tmp_path / "nix", SAMPLES["zlib"][0], SAMPLES["busybox"][0], SAMPLES["curl"][0])
    assert main(["vendored", str(nix), "--sbom", str(sbom)]) == 1
    out = capsys.readouterr().out.splitlines()
    copies = [line.split("\t")[1] for line in out if line.startswith("copy")]
    assert copies == ["busybox 1.36.1", "curl 8.12.1", "zlib 1.3.1"]
    findings = [tuple(line.split("\t")[1:3]) for line in out if line.startswith("finding")]
    # The CSV has no version column: a copy of another version is a finding only against CycloneDX.
    versions = [("version", "curl")] if fmt == "cdx" else []
    assert findings == [("unlisted", "busybox"), *versions, ("missing", "openssl")]
    listed = "source:openssl 3.0.22" if fmt == "cdx" else "source:openssl"
    assert any(f"the SBOM lists {listed} as link, and no file holds a copy of openssl" in line for line in out)
    assert any("busybox 1.36.1 found in" in line and "the SBOM lists no link row" in line for line in out)
    assert "unchecked\tboost\t(link rows no signature stands for)" in out


def test_agreement_exits_0_and_copies_may_be_in_any_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    listed = Sbom(SBOM.subject, [component("zlib", "1.3.1", Usage.LINK), component("sqlite", "3.44.2", Usage.LINK)], [])
    sbom = tmp_path / "sbom.cdx.json"
    sbom.write_text(cyclonedx.render(listed, EPOCH))
    a = binary(tmp_path / "a", SAMPLES["zlib"][0])
    b = binary(tmp_path / "b", SAMPLES["sqlite"][0])
    assert main(["vendored", str(a), str(b), "--sbom", str(sbom)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"vendored: 2 copies, 0 findings against {sbom} (CycloneDX 1.6)"
    assert main(["vendored", str(a)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "vendored: 1 copies in 1 files (no --sbom: nothing reconciled)"


def test_bad_input_is_one_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def fails(argv: list[str]) -> str:
        assert main(argv) == 3
        err = capsys.readouterr().err
        assert err.startswith("rootstock: error: ") and "Traceback" not in err
        return err

    assert f"{tmp_path / 'nope'}: file to scan not found" in fails(["vendored", str(tmp_path / "nope")])
    assert f"{tmp_path}: a directory, not a file; expected the file to scan" in fails(["vendored", str(tmp_path)])
    other = tmp_path / "other.xml"
    other.write_text("<bom/>")
    a = binary(tmp_path / "a", SAMPLES["zlib"][0])
    assert "not an SBOM rootstock reads (XML)" in fails(["vendored", str(a), "--sbom", str(other)])
    sigs = tmp_path / "sigs.toml"
    sigs.write_text('[[signature]]\nlibrary = "x"\npattern = "x("\ncomponents = ["x"]\n')
    assert "signature 1: expected a regular expression" in fails(["vendored", str(a), "--signatures", str(sigs)])
    sigs.write_text('[[signature]]\nlibrary = "x"\npattern = "x"\n')
    err = fails(["vendored", str(a), "--signatures", str(sigs)])
    assert "signature 1: components: required key is missing" in err
    if os.geteuid() != 0:
        a.chmod(0)
        assert "cannot read the file to scan (Permission denied)" in fails(["vendored", str(a)])
