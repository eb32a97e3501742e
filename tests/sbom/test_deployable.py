"""The deployable form of a component read from its bytes: what its SHA-512 is of, its TR-03183-2 flags."""

from __future__ import annotations

import gzip
import hashlib
import shutil
from pathlib import Path

from rootstock.host import nix
from rootstock.sbom.deployable import FILE, TREE, describe, store_name


def test_a_tree_is_hashed_as_its_nar(tmp_path: Path) -> None:
    tree = tmp_path / "0c9yw0kq6h0zk6wlkhvfwvk6i3sqs8xv-zlib-src-1.3.1-source"
    tree.mkdir()
    (tree / "zlib.h").write_text('#define ZLIB_VERSION "1.3.1"\n')
    d = describe(tree)
    assert d.filename == "zlib-src-1.3.1-source"
    assert d.sha512 == nix.hash_path(tree, "sha512").hex
    assert (d.hashed, d.executable, d.archive, d.structured) == (TREE, False, False, True)


def test_files_by_their_bytes(tmp_path: Path) -> None:
    tarball = tmp_path / "bzip2-1.0.8.tar.gz"
    tarball.write_bytes(gzip.compress(b"x" * 600))
    d = describe(tarball, "bzip2-1.0.8.tar.gz")
    assert d.sha512 == hashlib.sha512(tarball.read_bytes()).hexdigest()
    assert (d.hashed, d.executable, d.archive, d.structured) == (FILE, False, True, True)
    program = tmp_path / "sh"
    shutil.copy("/bin/sh", program)
    assert (describe(program).executable, describe(program).archive, describe(program).structured) == (
        True,
        False,
        False,
    )
    script = tmp_path / "run"
    script.write_text("#!/bin/sh\necho hi\n")
    assert describe(script).executable
    text = tmp_path / "notes.txt"
    text.write_text("not a program\n")
    assert (describe(text).executable, describe(text).archive) == (False, False)


def test_store_names_lose_their_hash() -> None:
    assert store_name(Path("/nix/store/0c9yw0kq6h0zk6wlkhvfwvk6i3sqs8xv-sqlite-src-3.44.2")) == "sqlite-src-3.44.2"
    assert store_name(Path("/tmp/sources/greet-1.0.tar")) == "greet-1.0.tar"
