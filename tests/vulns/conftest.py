"""A checkout whose pins an SBOM's components are tied to, a mirror with the zlib pin's history, and feeds."""

from __future__ import annotations

from pathlib import Path

import pytest
from vulns_support import ZLIB_REPO, deb, history, mirror_of, nvd, osv, source, sri, write_json, write_sbom

from rootstock.sbom.model import Usage

OPENSSL_URL = "https://github.com/openssl/openssl/releases/download/openssl-3.0.22/openssl-3.0.22.tar.gz"


class Case:
    """The files of one scenario."""

    def __init__(self, tmp: Path) -> None:
        self.revs = history(tmp / "zlib-work", 3)
        self.root = tmp / "checkout"
        self.root.mkdir()
        self.mirror = tmp / "mirror"
        mirror_of(tmp / "zlib-work", self.mirror, ZLIB_REPO)
        (self.root / "pins.toml").write_text(
            f"""
[pins.zlib-src]
kind = "git"
url = "{ZLIB_REPO}"
rev = "{self.revs[1]}"
tag = "v1.3.1"
version = "1.3.1"
cpe = "cpe:2.3:a:zlib:zlib"
hash = "{sri("zlib")}"
patches = ["zlib-fix"]

[pins.zlib-fix]
kind = "file"
urls = ["https://example.org/zlib-fix.patch"]
hash = "{sri("zlib-fix")}"
fixes = ["CVE-2099-0002"]

[pins.openssl-src]
kind = "tarball"
urls = ["{OPENSSL_URL}"]
version = "3.0.22"
cpe = "cpe:2.3:a:openssl:openssl"
hash = "{sri("openssl")}"
"""
        )
        components = [
            source("zlib", "1.3.1", "zlib", ZLIB_REPO),
            source("openssl", "3.0.22", "openssl", OPENSSL_URL),
            source("json", "3.11.3", "no-pin", "https://example.org/json.tar.gz", Usage.BUILD),
            deb("libc6-dev", "2.36-9+deb12u10"),
        ]
        self.sbom = write_sbom(tmp / "app.cdx.json", components)
        self.spdx = write_sbom(tmp / "app.spdx.json", components, "spdx")
        r0, r1, r2 = self.revs
        feeds = tmp / "feeds"
        write_json(
            feeds / "nvd" / "page-1.json",
            nvd(
                ("CVE-2022-37434", [_crit("zlib:zlib", end_including="1.2.12")]),
                ("CVE-2099-0001", [_crit("zlib:zlib", end_excluding="1.3.2")]),
                ("CVE-2099-0002", [_crit("zlib:zlib", end_including="1.3.1")]),
                ("CVE-2099-0003", [_crit("othervendor:zlib")]),
                ("CVE-2099-0004", [_crit("openssl:openssl", version="3.0.22")]),
                ("CVE-2099-0005", [_crit("openssl:openssl", start_including="3.0.0", end_excluding="3.0.23")]),
                ("CVE-2099-0007", [_crit("openssl:openssl", version="3.0.22", update="beta1")]),
            ),
        )
        git_range = lambda *events: {"type": "GIT", "repo": ZLIB_REPO + ".git", "events": list(events)}  # noqa: E731
        advisories = [
            osv(
                "OSV-2099-1",
                [
                    {
                        "package": {"ecosystem": "PyPI", "name": "zlib"},
                        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}],
                    }
                ],
            ),
            osv("OSV-2099-2", [{"ranges": [git_range({"introduced": r0}, {"fixed": r2})]}], ("CVE-2099-0001",)),
            osv("OSV-2099-3", [{"ranges": [git_range({"introduced": r1})]}]),
            osv("OSV-2099-4", [{"ranges": [git_range({"introduced": r0}, {"fixed": r1})]}]),
            osv("OSV-2099-5", [{"ranges": [git_range({"introduced": r0}, {"last_affected": r2})]}]),
            osv(
                "DEBIAN-CVE-2099-0006",
                [
                    {
                        "package": {"ecosystem": "Debian:12", "name": "libc6-dev"},
                        "ranges": [
                            {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.36-9+deb12u11"}]}
                        ],
                    }
                ],
            ),
            osv(
                "DEBIAN-CVE-2099-0008",
                [
                    {
                        "package": {"ecosystem": "Debian:12", "name": "libc6-dev"},
                        "ranges": [
                            {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.36-9+deb12u10"}]}
                        ],
                    }
                ],
            ),
            osv("OSV-2099-9", [{"package": {"ecosystem": "OSS-Fuzz", "name": "json"}, "versions": ["3.11.3"]}]),
        ]
        for a in advisories:
            write_json(feeds / "osv" / f"{a['id']}.json", a)
        self.feeds = feeds
        self.suppress = tmp / "suppress.toml"
        self.suppress.write_text(
            """
[[suppress]]
id = "CVE-2099-0004"
component = "openssl"
reason = "the affected cipher is disabled at build time (no-idea)"
expires = 2030-01-01

[[suppress]]
id = "CVE-2099-0005"
component = "source:openssl"
reason = "reviewed last year"
expires = 2025-01-01
"""
        )


def _crit(product: str, version: str = "*", update: str = "*", **bounds: str) -> dict[str, object]:
    keys = {
        "start_including": "versionStartIncluding",
        "end_including": "versionEndIncluding",
        "start_excluding": "versionStartExcluding",
        "end_excluding": "versionEndExcluding",
    }
    return {
        "vulnerable": True,
        "criteria": f"cpe:2.3:a:{product}:{version}:{update}:*:*:*:*:*:*",
        "matchCriteriaId": "00000000-0000-0000-0000-000000000000",
        **{keys[k]: v for k, v in bounds.items()},
    }


@pytest.fixture
def case(tmp_path: Path) -> Case:
    """The scenario's files."""
    return Case(tmp_path)
