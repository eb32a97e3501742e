"""Loading the manifest and checking dependency sources against their pins."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rootstock.core.nar import nar_hash
from rootstock.errors import HashMismatchError, InputError
from rootstock.sbom.errors import MissingSourceError
from rootstock.sbom.manifest import load, resolve
from sbom_support import sri


def write_manifest(tmp_path: Path, **dep: object) -> Path:
    """deps.json with one dependency, its fields changed by dep (None leaves a field out)."""
    fields = {
        "name": "zlib",
        "version": "1.3.1",
        "url": "https://example.org/zlib-1.3.1.tar.gz",
        "hash": "",
        "source": "zlib.tar.gz",
        "prefix": "zlib",
    } | dep
    entry = {key: value for key, value in fields.items() if value is not None}
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


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sha": "x"}, r"dependencies 1 \('[^']+'\): unknown key\(s\) sha"),
        ({"version": 3}, r"dependencies 1 \('[^']+'\): version: expected a string, got an integer 3"),
        ({"url": None}, r"dependencies 1 \('[^']+'\): url: required key is missing"),
    ],
)
def test_malformed_manifest_is_one_error_naming_the_field(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    # The one converter's strict hooks: a number is not turned into a string, nothing unknown is ignored.
    path = write_manifest(tmp_path, **change)
    with pytest.raises(InputError, match=rf"^manifest {path}: {message}$"):
        load(path)


@pytest.mark.parametrize("value", [-7, 99999999999999])
def test_a_source_date_epoch_before_1970_or_after_9999_is_refused(tmp_path: Path, value: int) -> None:
    path = tmp_path / "deps.json"
    path.write_text(json.dumps({"subject": {"name": "app", "version": "1"}, "source_date_epoch": value}))
    with pytest.raises(InputError) as err:
        load(path)
    assert str(err.value) == (
        f"manifest {path}: source_date_epoch: expected whole seconds since the epoch, an integer from 0 to "
        f"253402300799 (the end of year 9999), got {value}"
    )


def test_a_manifest_that_is_not_an_object_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "deps.json"
    path.write_text("[]")
    with pytest.raises(InputError, match=r"expected a JSON object, got list"):
        load(path)


def test_duplicate_dependency(tmp_path: Path) -> None:
    path = tmp_path / "deps.json"
    dep = {"name": "a", "version": "1", "url": "u", "hash": "h", "source": "s", "prefix": "p"}
    path.write_text(json.dumps({"subject": {"name": "n", "version": "1"}, "dependencies": [dep, dep]}))
    with pytest.raises(InputError, match="declared twice: a"):
        load(path)


@pytest.mark.parametrize("bad", ["sha256-AAAA", "sha256-notbase64!", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4"])
def test_bad_hash_names_the_dependency(tmp_path: Path, bad: str) -> None:
    (tmp_path / "zlib.tar.gz").write_bytes(b"x")
    (tmp_path / "zlib").mkdir()
    with pytest.raises(InputError, match=r"^dependency 'zlib': expected an SRI"):
        resolve(load(write_manifest(tmp_path, hash=bad)), tmp_path)


def test_source_tree_is_checked_by_its_nar_hash(tmp_path: Path) -> None:
    # A git pin's prepared checkout: the pins file's NAR hash is used as it is.
    tree = tmp_path / "zlib-src"
    (tree / "sub").mkdir(parents=True)
    (tree / "zlib.h").write_text("/* zlib */\n")
    (tree / "sub" / "configure").write_text("#!/bin/sh\n")
    (tree / "sub" / "configure").chmod(0o755)
    (tmp_path / "zlib").mkdir()
    pinned = nar_hash(tree)
    [dep] = resolve(load(write_manifest(tmp_path, hash=pinned.sri, source="zlib-src")), tmp_path)
    assert dep.sha256 == pinned.hex
    (tree / "sub" / "configure").chmod(0o644)  # the executable bit is part of the NAR
    with pytest.raises(HashMismatchError, match="source of dependency 'zlib'"):
        resolve(load(write_manifest(tmp_path, hash=pinned.sri, source="zlib-src")), tmp_path)
