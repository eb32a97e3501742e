"""rootstock's NAR hash must equal nix-hash on every kind of tree Nix can store."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from rootstock.core import nar
from rootstock.core.nar import CHUNK, SMALL, dump, flat_hash, lone_file_nar_hash, nar_hash
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


@pytest.mark.parametrize("size", [0, 7, 8, CHUNK + 3])
def test_a_files_bytes_hash_as_nix_hashes_them_executable_whatever_its_mode(tmp_path: Path, size: int) -> None:
    """A downloaded seed lost its executable bit; its pin is the NAR hash of the executable file."""
    download = tmp_path / "download"
    download.write_bytes(bytes(range(256)) * (size // 256) + b"s" * (size % 256))
    download.chmod(0o644)
    executable = tmp_path / "executable"
    executable.write_bytes(download.read_bytes())
    executable.chmod(0o755)
    assert lone_file_nar_hash(download, executable=True) == nix.hash_path(executable)
    assert lone_file_nar_hash(download, executable=False) == nix.hash_path(download)


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


def test_a_file_vanishing_during_the_walk_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = tmp_path / "tree"
    (tree / "a").mkdir(parents=True)
    for name in ("x", "y", "z"):
        (tree / "a" / name).write_text(name)
    scandir = os.scandir

    @contextlib.contextmanager
    def list_then_delete(path: bytes) -> Iterator[list[os.DirEntry[bytes]]]:
        with scandir(path) as listing:
            entries = list(listing)
        if path.endswith(b"/a"):
            (tree / "a" / "y").unlink()  # listed, then gone before it is read
        yield entries

    monkeypatch.setattr(nar.os, "scandir", list_then_delete)
    with pytest.raises(InputError) as caught:
        nar_hash(tree)
    assert str(caught.value) == f"{tree}/a/y vanished while the tree was being hashed; hash it again when it is still"


def test_an_unreadable_file_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # As a file mode 000 is to a user who is not root (the suite may run as root, who reads anything).
    contents = nar._contents

    def refuse_secret(dfd: int, name: bytes, size: int, directory: bytes) -> bytes:
        if name == b"secret":
            raise PermissionError(13, "Permission denied")
        return contents(dfd, name, size, directory)

    monkeypatch.setattr(nar, "_contents", refuse_secret)
    for name in ("other", "secret", "third"):
        (tmp_path / name).write_text(name)
    with pytest.raises(InputError) as caught:
        nar_hash(tmp_path)
    assert str(caught.value) == f"{tmp_path}/secret: cannot read it to hash it (Permission denied)"


def test_a_large_file_between_small_ones_keeps_its_place(tmp_path: Path) -> None:
    # Small entries gathered past CHUNK (handed to the hashing thread as they are), then a file streamed on its
    # own, then more small ones: the buffer given away must not be written to again.
    for i in range(6):  # 1.5 MiB: past CHUNK, short of FLUSH
        (tmp_path / f"a{i:02}").write_bytes(bytes([i]) * (SMALL - 8))
    (tmp_path / "b-large").write_bytes(bytes(range(256)) * (CHUNK // 128 + 3))
    for i in range(5):
        (tmp_path / f"c{i}").write_bytes(bytes([255 - i]) * 1000)
    assert nar_hash(tmp_path) == nix.hash_path(tmp_path)
