"""rootstock's NAR hash must equal nix-hash on every kind of tree Nix can store."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rootstock.core.nar import CHUNK, SMALL, dump, flat_hash, nar_hash
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
    (tree / "link-to-dir").symlink_to("nested")
    # A non-UTF-8 name sorts after U+E000 as bytes (0xff > 0xee) but before it as a decoded str (U+DCFF < U+E000).
    (tree / os.fsdecode(b"\xff-raw")).write_text("raw byte name\n")
    (tree / "\ue000-private").write_text("private use\n")
    # Past SMALL (read whole) and past CHUNK (streamed in several reads), not a multiple of 8.
    (tree / "large").write_bytes(bytes(range(251)) * ((CHUNK * 2 + 5) // 251 + 1))
    (tree / "nested" / "mid-size").write_bytes(b"m" * (SMALL + 3))
    return tree


def test_nar_hash_equals_nix_hash(tmp_path: Path) -> None:
    tree = make_corpus(tmp_path)
    for path in [tree, tree / "tool", tree / "seven", tree / "empty-dir", tree / "link-to-file", tree / "large"]:
        assert nar_hash(path) == nix.hash_path(path), path


def test_nar_sha512_equals_nix_hash(tmp_path: Path) -> None:
    # The SBOM's SHA-512 of a git pin is of this serialisation: it must be the one Nix would compute.
    tree = make_corpus(tmp_path)
    for path in [tree, tree / "tool", tree / "large"]:
        assert nar_hash(path, "sha512") == nix.hash_path(path, "sha512"), path


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
    assert flat_hash(target, "sha512").hex.startswith("ddaf35a193617aba")


def test_missing_path_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        nar_hash(tmp_path / "absent")


def test_fifo_cannot_be_hashed(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(InputError, match="only regular files"):
        nar_hash(tmp_path)


def test_many_flushes_keep_the_stream_in_order(tmp_path: Path) -> None:
    # Enough small files to fill many FLUSH buffers, each handed to the hashing thread in turn.
    for i in range(300):
        folder = tmp_path / f"d{i % 9}"
        folder.mkdir(exist_ok=True)
        (folder / f"f{i}").write_bytes(bytes([i % 256]) * (i * 97 % 20000))
    assert nar_hash(tmp_path) == nix.hash_path(tmp_path)


def test_a_failing_sink_stops_the_dump(tmp_path: Path) -> None:
    class Full:
        def update(self, data: bytes | bytearray | memoryview, /) -> None:
            raise OSError(28, "No space left on device")

    (tmp_path / "f").write_text("x")
    with pytest.raises(OSError, match="No space left"):
        dump(tmp_path, Full())


def test_fifo_deep_in_a_tree_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "big").write_bytes(bytes(SMALL + 1))
    os.mkfifo(tmp_path / "a" / "b" / "pipe")
    with pytest.raises(InputError, match=r"b/pipe: only regular files"):
        nar_hash(tmp_path)
