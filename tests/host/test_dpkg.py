"""The dpkg/apt host database: parsers on recorded output, and the real database where this is Debian."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rootstock.host import proc
from rootstock.host.dpkg import Dpkg, _spellings, parse_dpkg_search, parse_print_uris
from rootstock.sbom.derive import BuildEvidence, derive_from_file
from rootstock.sbom.errors import HostPackageError
from rootstock.sbom.hostdb import HostPackage
from rootstock.sbom.model import Kind, Usage
from rootstock.sbom.usage import classify
from sbom_support import build_fixture

SEARCH = """\
libc6-dev:amd64: /usr/include/stdio.h
diversion by dash from: /bin/sh
diversion by dash to: /bin/sh.distrib
libgcc-12-dev:amd64, libgcc-12-dev:i386: /usr/share/doc/libgcc-12-dev
gcc-12: /usr/bin/x86_64-linux-gnu-gcc-12
"""


def test_parse_dpkg_search() -> None:
    assert parse_dpkg_search(SEARCH) == {
        "/usr/include/stdio.h": ["libc6-dev"],
        "/usr/share/doc/libgcc-12-dev": ["libgcc-12-dev"],
        "/usr/bin/x86_64-linux-gnu-gcc-12": ["gcc-12"],
    }


def test_parse_print_uris() -> None:
    line = (
        "'http://mirror.invalid/debian/pool/main/g/glibc/libc6-dev_2.36-9%2bdeb12u14_amd64.deb' "
        "libc6-dev_2.36-9+deb12u14_amd64.deb 1903668 SHA256:" + "ab" * 32 + "\n"
    )
    assert parse_print_uris(line) == (line.split("'")[1], "ab" * 32)
    with pytest.raises(ValueError, match="no SHA256"):
        parse_print_uris("'http://x/y.deb' y.deb 1 MD5Sum:00\n")


def test_purl_encodes_the_version() -> None:
    pkg = HostPackage("libstdc++-12-dev", "1:12.2.0-14+deb12u1", "amd64", (), "u", "0" * 64)
    assert pkg.purl == "pkg:deb/debian/libstdc++-12-dev@1%3A12.2.0-14%2Bdeb12u1?arch=amd64"


def test_spellings_cross_the_merged_usr_split(tmp_path: Path) -> None:
    assert _spellings(Path("/usr/nonexistent/x.h")) == ["/usr/nonexistent/x.h", "/nonexistent/x.h"]
    link = tmp_path / "link.h"
    link.symlink_to(tmp_path / "real.h")
    assert _spellings(link)[:2] == [str(link), str(tmp_path / "real.h")]


@pytest.fixture(scope="module")
def debian() -> None:
    """Skip unless dpkg knows libc6-dev and the apt index has its checksum (asked when a test needs it, not at
    collection: collecting the suite runs no program)."""
    if shutil.which("dpkg-query") is None or shutil.which("apt-get") is None:
        pytest.skip("needs dpkg-query and apt-get")
    try:
        Dpkg().describe("libc6-dev")
    except HostPackageError as exc:
        pytest.skip(f"needs dpkg with libc6-dev and an apt index: {exc}")


@pytest.mark.usefixtures("debian")
def test_real_dpkg_owners_and_description() -> None:
    db = Dpkg(query_batch=1)  # every path in its own dpkg-query call
    owners = db.owners([Path("/usr/include/stdio.h"), Path("/usr/lib/x86_64-linux-gnu/libc.a"), Path("/nonexistent")])
    assert owners == {Path("/usr/include/stdio.h"): "libc6-dev", Path("/usr/lib/x86_64-linux-gnu/libc.a"): "libc6-dev"}
    pkg = db.describe("libc6-dev")
    version = proc.run(["dpkg-query", "-W", "-f", "${Version}", "libc6-dev"]).stdout
    assert (pkg.version, len(pkg.sha256), pkg.url.endswith(".deb")) == (version, 64, True)
    assert classify(Path("/"), [f for f in pkg.files if f.is_file()]).usage == Usage.LINK


@pytest.mark.usefixtures("debian")
def test_real_dpkg_unknown_package() -> None:
    with pytest.raises(HostPackageError, match="host package 'no-such-package-rootstock': is not installed"):
        Dpkg().describe("no-such-package-rootstock")


@pytest.mark.usefixtures("debian")
def test_real_host_packages_of_a_fixture_build(tmp_path: Path) -> None:
    b = build_fixture(tmp_path / "w")
    try:
        build = BuildEvidence(binary=b.binary, build_dirs=(b.build_dir,), link_dir=b.build_dir, traces=(b.trace,))
        sbom = derive_from_file(b.manifest, build=build, host=Dpkg())
    except HostPackageError as exc:
        if "not in the package index" in str(exc):
            pytest.skip(f"this host's packages and index disagree: {exc}")
        raise
    debs = {c.name: c.usage for c in sbom.components if c.kind == Kind.DEB}
    assert debs["libc6-dev"] == Usage.LINK
    assert [u for n, u in debs.items() if n.startswith("libstdc++-") and n.endswith("-dev")] == [Usage.LINK]
    assert [u for n, u in debs.items() if n.startswith("gcc-")] == [Usage.BUILD]
    assert all(len(c.sha256) == 64 and c.url.endswith(".deb") for c in sbom.components if c.kind == Kind.DEB)
