"""rootstock's NAR hash must equal nix-hash on every kind of tree Nix can store."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rootstock.core.nar import flat_hash, nar_hash
from rootstock.errors import InputError
from rootstock.host import nix


def make_corpus(root: Path) -> Path:
    tree = root / "corpus"
    (tree / "empty-dir").mkdir(parents=True)
    (tree / "nested" / "deeper" / "deepest").mkdir(parents=True)
    (tree / "nested" / "deeper" / "deepest" / "leaf.txt").write_text("leaf\n")
    (tree / "empty-file").write_bytes(b"")
    (tree / "seven").write_bytes(b"1234567")
    (tree / "eight").write_bytes(b"12345678")
    (tree / "binary").write_bytes(bytes(range(256)) * 40)
    tool = tree / "tool"
    tool.write_text("#!/bin/false\n")
    tool.chmod(0o755)
    (tree / "ünïcødé-名前").write_text("non-ASCII name\n")
    (tree / "link-to-file").symlink_to("seven")
    (tree / "dangling").symlink_to("does/not/exist")
    (tree / "B-upper").write_text("sorted bytewise, before lower case\n")
    return tree


def test_nar_hash_equals_nix_hash(tmp_path: Path) -> None:
    tree = make_corpus(tmp_path)
    for path in [tree, tree / "tool", tree / "seven", tree / "empty-dir", tree / "link-to-file"]:
        assert nar_hash(path) == nix.hash_path(path), path


def test_executable_bit_changes_the_hash(tmp_path: Path) -> None:
    target = tmp_path / "f"
    target.write_text("x")
    before = nar_hash(target)
    target.chmod(0o755)
    assert nar_hash(target) != before
    assert nar_hash(target) == nix.hash_path(target)


def test_flat_hash_is_sha256_of_bytes(tmp_path: Path) -> None:
    target = tmp_path / "f"
    target.write_bytes(b"abc")
    assert flat_hash(target).hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_missing_path_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        nar_hash(tmp_path / "absent")


def test_fifo_cannot_be_hashed(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(InputError, match="only regular files"):
        nar_hash(tmp_path)
