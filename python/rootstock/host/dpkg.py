"""The door to Debian's package database: dpkg-query and the apt package index, read into typed records."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from rootstock.core.nar import flat_hash
from rootstock.errors import InputError
from rootstock.host import proc
from rootstock.sbom.errors import HostPackageError
from rootstock.sbom.hostdb import HostPackage

_DPKG_OWNER = re.compile(r"^(?P<packages>[^:/][^/]*?): (?P<path>/.*)$")
# Paths per `dpkg-query -S`: thousands of headers in one call would pass the argument-length limit.
QUERY_BATCH = 400
APT_CACHE = Path("/var/cache/apt/archives")
_PRINT_URI = re.compile(r"^'(?P<url>[^']+)' (?P<file>\S+) (?P<size>\d+) (?P<algo>[A-Za-z0-9]+):(?P<digest>[0-9a-f]+)$")


def parse_dpkg_search(text: str) -> dict[str, list[str]]:
    """Parse `dpkg-query -S` output into path → owning packages (architecture qualifiers dropped).

    Examples:
        >>> parse_dpkg_search("libc6-dev:amd64: /usr/include/stdio.h\\ndiversion by x from: /a\\n")
        {'/usr/include/stdio.h': ['libc6-dev']}
    """
    owners: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.startswith("diversion by "):
            continue
        m = _DPKG_OWNER.match(line)
        if m is None:
            continue
        names = [p.strip().split(":")[0] for p in m["packages"].split(",")]
        owners[m["path"]] = sorted(set(names))
    return owners


def parse_print_uris(text: str) -> tuple[str, str]:
    """Parse `apt-get download --print-uris` output (from the package index) into URL and sha256.

    Examples:
        >>> parse_print_uris("'http://x/p_1_amd64.deb' p_1_amd64.deb 10 SHA256:ab12\\n")
        ('http://x/p_1_amd64.deb', 'ab12')
    """
    for line in text.splitlines():
        m = _PRINT_URI.match(line.strip())
        if m is not None and m["algo"].upper() == "SHA256":
            return m["url"], m["digest"]
    msg = "no SHA256 in the package index entry"
    raise ValueError(msg)


def cached_deb(url: str, sha256: str, cache: Path = APT_CACHE) -> Path | None:
    """apt's cached copy of the .deb at url, when it is there and has the index's sha256."""
    path = cache / Path(urlsplit(url).path).name
    try:
        return path if path.is_file() and flat_hash(path).hex == sha256 else None
    except InputError:
        return None


def _spellings(path: Path) -> list[str]:
    """Names dpkg may know a file by: as found, symlinks resolved, and across the merged-/usr split."""
    first = list(dict.fromkeys([str(path), os.path.realpath(path)]))
    toggled = [p[len("/usr") :] if p.startswith("/usr/") else "/usr" + p for p in first]
    return first + [t for t in toggled if t not in first]


def _search(spellings: Sequence[str], batch: int) -> dict[str, list[str]]:
    """`dpkg-query -S` on batch paths at a time."""
    found: dict[str, list[str]] = {}
    for start in range(0, len(spellings), batch):
        # Exit 1 only means some path is owned by no package; that is what the caller wants to know.
        done = proc.run(["dpkg-query", "-S", *spellings[start : start + batch]], ok_codes=(0, 1))
        found.update(parse_dpkg_search(done.stdout))
    return found


class Dpkg:
    """The Debian package database, read through dpkg-query and the apt package index."""

    def __init__(self, *, query_batch: int = QUERY_BATCH) -> None:
        self.query_batch = query_batch

    def owners(self, paths: Sequence[Path]) -> dict[Path, str]:
        """The package owning each path; paths no package owns are left out.

        Raises:
            HostPackageError: a file is claimed by two packages (dpkg allows it for directories only).
        """
        spellings = {path: _spellings(path) for path in paths}
        found = _search(sorted({s for alts in spellings.values() for s in alts}), self.query_batch)
        result: dict[Path, str] = {}
        for path, alts in spellings.items():
            for spelling in alts:
                if spelling in found:
                    packages = found[spelling]
                    if len(packages) > 1:
                        raise HostPackageError(", ".join(packages), f"all claim {path}")
                    result[path] = packages[0]
                    break
        return result

    def describe(self, package: str) -> HostPackage:
        """Read one installed package.

        Raises:
            HostPackageError: it is not installed, or the package index has no checksum for its version.
        """
        done = proc.run(
            [
                "dpkg-query",
                "-W",
                "-f",
                "${Package}\\t${Version}\\t${Architecture}\\t${db:Status-Abbrev}\\t${Maintainer}\\n",
                package,
            ],
            ok_codes=(0, 1),
        )
        fields = done.stdout.strip().split("\t")
        if done.exit_code != 0 or len(fields) < 4 or not fields[3].startswith("ii"):
            raise HostPackageError(package, "is not installed")
        name, version, arch = fields[:3]
        maintainer = fields[4] if len(fields) > 4 else ""
        files = proc.run(["dpkg-query", "-L", package]).stdout.splitlines()
        qualified = f"{name}:{arch}" if arch != "all" else name
        index = proc.run(["apt-get", "download", "--print-uris", f"{qualified}={version}"], ok_codes=(0, 100))
        try:
            url, sha256 = parse_print_uris(index.stdout)
        except ValueError:
            reason = (
                f"installed version {version} is not in the package index, so it has no index SHA256 to cite "
                "(the index is stale or the version was superseded): run 'apt-get update' and upgrade the package "
                "so that installed packages and index agree"
            )
            raise HostPackageError(package, reason) from None
        listed = tuple(Path(f) for f in files if f.startswith("/"))
        return HostPackage(name, version, arch, listed, url, sha256, maintainer, cached_deb(url, sha256))
