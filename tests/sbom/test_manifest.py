"""Loading the manifest and checking dependency sources against their pins."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sbom_support import sri

from rootstock.errors import HashMismatchError, InputError
from rootstock.sbom.errors import MissingSourceError
from rootstock.sbom.manifest import load, resolve, sri_to_hex


def write_manifest(tmp_path: Path, **dep: object) -> Path:
    entry = {"name": "zlib", "version": "1.3.1", "url": "https://example.org/zlib-1.3.1.tar.gz",
             "hash": "", "source": "zlib.tar.gz", "prefix": "zlib"} | dep
    path = tmp_path / "deps.json"
    path.write_text(json.dumps({"subject": {"name": "nix", "version": "2.28.4"}, "dependencies": [entry]}))
    return path


def test_resolve_checks_the_pin(tmp_path: Path) -> None:
    (tmp_path / "zlib.tar.gz").write_bytes(b"pinned bytes")
    (tmp_path / "zlib").mkdir()
    path = write_manifest(tmp_path, hash=sri(tmp_path / "zlib.tar.gz"))
    [dep] = resolve(load(path), tmp_path)
    assert (dep.spec.name, dep.prefix) == ("zlib", tmp_path / "zlib")
    (tmp_path / "zlib.tar.gz").write_bytes(b"other bytes")
    with pytest.raises(HashMismatchError, match=r"source of dependency 'zlib'"):
        resolve(load(path), tmp_path)


def test_missing_prefix_names_the_dependency(tmp_path: Path) -> None:
    (tmp_path / "zlib.tar.gz").write_bytes(b"x")
    path = write_manifest(tmp_path, hash=sri(tmp_path / "zlib.tar.gz"))
    with pytest.raises(MissingSourceError, match=r"^dependency 'zlib': install prefix .*zlib does not exist$"):
        resolve(load(path), tmp_path)


@pytest.mark.parametrize(("change", "message"), [
    ({"sha": "x"}, r"extra fields found \(sha\) @ manifest\.dependencies\[0\]$"),
    ({"version": 3}, r"expected str @ manifest\.dependencies\[0\]\.version$"),
])
def test_malformed_manifest_names_the_field(tmp_path: Path, change: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        load(write_manifest(tmp_path, **change))


def test_duplicate_dependency(tmp_path: Path) -> None:
    path = tmp_path / "deps.json"
    dep = {"name": "a", "version": "1", "url": "u", "hash": "h", "source": "s", "prefix": "p"}
    path.write_text(json.dumps({"subject": {"name": "n", "version": "1"}, "dependencies": [dep, dep]}))
    with pytest.raises(InputError, match="declared twice: a"):
        load(path)


@pytest.mark.parametrize("bad", ["sha512-AAAA", "sha256-notbase64!", "sha256-AAAA"])
def test_bad_sri(bad: str) -> None:
    with pytest.raises(InputError, match=r"dependency 'z': .* is not an SRI sha256 hash"):
        sri_to_hex(bad, "dependency 'z'")
