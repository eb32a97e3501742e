"""The version orders OSV ranges use, the range walk, CPE names and repository URLs compared."""

from __future__ import annotations

import pytest

from rootstock.core.cpe import Cpe
from rootstock.vulns.feeds import Event
from rootstock.vulns.match import in_range, normal_repo
from rootstock.vulns.versions import dpkg, generic, semver


@pytest.mark.parametrize(
    ("order", "a", "b", "expected"),
    [
        (semver, "1.2.3-rc.1", "1.2.3", -1),
        (semver, "1.2.3-alpha.10", "1.2.3-alpha.9", 1),
        (semver, "1.10.0", "1.9.9", 1),
        (semver, "v2", "2.0.0+build", 0),
        (dpkg, "1.0~rc1", "1.0", -1),
        (dpkg, "2.36-9+deb12u10", "2.36-9+deb12u9", 1),
        (dpkg, "1:1.2.11", "1.3.1", 1),
        (dpkg, "1.2.13.dfsg-1", "1.2.13-1", 1),
        (generic, "1.2.10", "1.2.9", 1),
        (generic, "3.0.22", "3.0.3", 1),
    ],
)
def test_orders(order, a: str, b: str, expected: int) -> None:
    assert order(a, b) == expected
    assert order(b, a) == -expected


def test_in_range_walks_sorted_events_over_several_intervals() -> None:
    events = [Event("fixed", "2.1"), Event("introduced", "2.0"), Event("introduced", "1.0"), Event("fixed", "1.1")]
    assert [in_range(v, events, generic) for v in ("0.9", "1.0", "1.0.5", "1.1", "1.5", "2.0.1", "2.1")] == [
        False,
        True,
        True,
        False,
        False,
        True,
        False,
    ]
    assert in_range("1.3.1", [Event("introduced", "0"), Event("last_affected", "1.3.1")], generic)
    assert not in_range("1.3.2", [Event("introduced", "0"), Event("last_affected", "1.3.1")], generic)
    with pytest.raises(ValueError, match="not a semantic version"):
        in_range("unstable-2023", [Event("introduced", "1.0.0")], semver)


def test_cpe_names_one_product_by_vendor_and_product() -> None:
    pin = Cpe.parse("cpe:2.3:a:zlib:zlib")
    assert pin.names_product_of(Cpe.parse("cpe:2.3:a:ZLIB:zlib:1.2.11:*:*:*:*:*:*:*"))
    assert not pin.names_product_of(Cpe.parse("cpe:2.3:a:othervendor:zlib:*:*:*:*:*:*:*:*"))
    assert not pin.names_product_of(Cpe.parse("cpe:2.3:o:zlib:zlib:*:*:*:*:*:*:*:*"))
    node = Cpe.parse("cpe:2.3:a:zlib:zlib:*:*:*:*:*:node.js:*:*")
    assert pin.names_product_of(node)
    assert not Cpe.parse("cpe:2.3:a:zlib:zlib:*:*:*:*:*:python:*:*").names_product_of(node)
    assert str(Cpe.parse(r"cpe:2.3:a:gnu:gcc\:x")) == r"cpe:2.3:a:gnu:gcc\:x:*:*:*:*:*:*:*:*"


def test_repository_urls_compare_without_scheme_suffix_and_host_case() -> None:
    assert normal_repo("https://github.com/madler/zlib") == normal_repo("git://GITHUB.com/madler/zlib.git/")
    assert normal_repo("https://github.com/madler/zlib") != normal_repo("https://github.com/madler/zlib-ng")
