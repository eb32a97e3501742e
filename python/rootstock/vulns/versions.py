"""Ordering versions the way an OSV range's type says: SEMVER (semver.org 2.0), Debian's (dpkg), or the
generic order of dotted numbers for the other ECOSYSTEM ranges."""

from __future__ import annotations

import re
from collections.abc import Callable

Compare = Callable[[str, str], int]

_SEMVER_RE = re.compile(r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")


def _cmp(a: object, b: object) -> int:
    return (a > b) - (a < b)  # type: ignore[operator]


def semver(a: str, b: str) -> int:
    """-1, 0 or 1 as a orders before, with or after b under semver 2.0 (missing minor/patch are 0).

    Raises:
        ValueError: a or b is not a semantic version.

    Examples:
        >>> semver("1.2.3-rc.1", "1.2.3"), semver("1.10.0", "1.9.9"), semver("v2", "2.0.0")
        (-1, 1, 0)
    """
    pa, pb = _SEMVER_RE.match(a), _SEMVER_RE.match(b)
    if pa is None or pb is None:
        msg = f"not a semantic version: {a if pa is None else b!r}"
        raise ValueError(msg)
    core = _cmp(tuple(int(x or 0) for x in pa.groups()[:3]), tuple(int(x or 0) for x in pb.groups()[:3]))
    if core:
        return core
    ra, rb = pa.group(4), pb.group(4)
    if ra is None or rb is None:
        return _cmp(ra is None, rb is None)
    for x, y in zip(ra.split("."), rb.split("."), strict=False):
        if x == y:
            continue
        if x.isdigit() and y.isdigit():
            return _cmp(int(x), int(y))
        if x.isdigit() != y.isdigit():
            return -1 if x.isdigit() else 1
        return _cmp(x, y)
    return _cmp(len(ra.split(".")), len(rb.split(".")))


def _dpkg_order(c: str) -> int:
    if c == "~":
        return -1
    if c.isalpha():
        return ord(c)
    return ord(c) + 256


def _dpkg_part(a: str, b: str) -> int:
    # dpkg's verrevcmp: alternate non-digit runs (letters before punctuation, '~' before everything, even the
    # end) and digit runs compared as numbers.
    i = j = 0
    while i < len(a) or j < len(b):
        while (i < len(a) and not a[i].isdigit()) or (j < len(b) and not b[j].isdigit()):
            ca = _dpkg_order(a[i]) if i < len(a) and not a[i].isdigit() else 0
            cb = _dpkg_order(b[j]) if j < len(b) and not b[j].isdigit() else 0
            if ca != cb:
                return _cmp(ca, cb)
            i, j = i + 1, j + 1
        na = re.match(r"\d*", a[i:]).group()  # type: ignore[union-attr]
        nb = re.match(r"\d*", b[j:]).group()  # type: ignore[union-attr]
        if c := _cmp(int(na or 0), int(nb or 0)):
            return c
        i, j = i + len(na), j + len(nb)
    return 0


def _dpkg_split(v: str) -> tuple[int, str, str]:
    epoch, _, rest = v.partition(":") if ":" in v else ("0", "", v)
    upstream, _, revision = rest.rpartition("-") if "-" in rest else (rest, "", "")
    return int(epoch or 0) if epoch.isdigit() else 0, upstream, revision


def dpkg(a: str, b: str) -> int:
    """-1, 0 or 1 as a orders before, with or after b as Debian package versions (epoch, upstream, revision).

    Examples:
        >>> dpkg("1.2.13.dfsg-1", "1:1.2.11.dfsg-2"), dpkg("1.0~rc1", "1.0"), dpkg("3.0.11-1~deb12u2", "3.0.11-1")
        (-1, -1, -1)
    """
    ea, ua, ra = _dpkg_split(a)
    eb, ub, rb = _dpkg_split(b)
    return _cmp(ea, eb) or _dpkg_part(ua, ub) or _dpkg_part(ra, rb)


def generic(a: str, b: str) -> int:
    """-1, 0 or 1 for dotted versions: numbers compared as numbers, other runs as text, a release after its
    own pre-releases is not modelled (use SEMVER ranges for those).

    Examples:
        >>> generic("1.2.10", "1.2.9"), generic("1.3", "1.3.0"), generic("1.0.8", "1.0.8")
        (1, -1, 0)
    """

    def key(v: str) -> list[tuple[int, int | str]]:
        return [(0, int(t)) if t.isdigit() else (1, t) for t in re.findall(r"\d+|[A-Za-z]+", v)]

    return _cmp(key(a), key(b))


def for_range(kind: str, ecosystem: str) -> Compare:
    """The order an OSV range of kind (SEMVER, ECOSYSTEM) in ecosystem uses."""
    if kind == "SEMVER":
        return semver
    if ecosystem.split(":", maxsplit=1)[0] in ("Debian", "Ubuntu"):
        return dpkg
    return generic
