"""NAR serialisation of a path and its sha256, byte-identical to what Nix hashes (nix-hash --type sha256)."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path
from typing import Protocol

from rootstock.errors import InputError
from rootstock.hashes import Hash

CHUNK = 1 << 20
PADDING = bytes(8)


class Sink(Protocol):
    """Anything NAR bytes can be fed to (a hashlib object, a file)."""

    def update(self, data: bytes, /) -> None:
        """Take the next bytes."""


def _string(sink: Sink, data: bytes) -> None:
    sink.update(len(data).to_bytes(8, "little"))
    sink.update(data)
    if len(data) % 8:
        sink.update(PADDING[: 8 - len(data) % 8])


def _regular(sink: Sink, path: bytes, st: os.stat_result) -> None:
    _string(sink, b"type")
    _string(sink, b"regular")
    if st.st_mode & stat.S_IXUSR:
        _string(sink, b"executable")
        _string(sink, b"")
    _string(sink, b"contents")
    size = st.st_size
    sink.update(size.to_bytes(8, "little"))
    with open(path, "rb") as handle:  # noqa: PTH123  # bytes paths keep non-UTF-8 names exact
        remaining = size
        while remaining:
            chunk = handle.read(min(CHUNK, remaining))
            if not chunk:
                msg = f"{os.fsdecode(path)} shrank while it was being hashed"
                raise InputError(msg)
            sink.update(chunk)
            remaining -= len(chunk)
    if size % 8:
        sink.update(PADDING[: 8 - size % 8])


def _node(sink: Sink, path: bytes) -> None:
    st = os.lstat(path)
    _string(sink, b"(")
    if stat.S_ISREG(st.st_mode):
        _regular(sink, path, st)
    elif stat.S_ISLNK(st.st_mode):
        _string(sink, b"type")
        _string(sink, b"symlink")
        _string(sink, b"target")
        _string(sink, os.readlink(path))  # noqa: PTH115  # bytes in, bytes out
    elif stat.S_ISDIR(st.st_mode):
        _string(sink, b"type")
        _string(sink, b"directory")
        with os.scandir(path) as entries:
            names = sorted(entry.name for entry in entries)
        for name in names:
            _string(sink, b"entry")
            _string(sink, b"(")
            _string(sink, b"name")
            _string(sink, name)
            _string(sink, b"node")
            _node(sink, path + b"/" + name)
            _string(sink, b")")
    else:
        msg = f"{os.fsdecode(path)}: only regular files, directories and symlinks can be stored in Nix"
        raise InputError(msg)
    _string(sink, b")")


def dump(path: Path, sink: Sink) -> None:
    """Feed the NAR serialisation of path to sink.

    Raises:
        InputError: the path does not exist or holds a device, socket or fifo.
    """
    if not path.exists() and not path.is_symlink():
        msg = f"{path}: no such file or directory to hash"
        raise InputError(msg)
    _string(sink, b"nix-archive-1")
    _node(sink, os.fsencode(path))


def nar_hash(path: Path) -> Hash:
    """The sha256 of the NAR serialisation of path, as Nix computes it for recursive hashing."""
    digest = hashlib.sha256()
    dump(path, digest)
    return Hash("sha256", digest.digest())


def flat_hash(path: Path) -> Hash:
    """The sha256 of a file's bytes."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
    except OSError as exc:
        msg = f"{path}: cannot read ({exc.strerror})"
        raise InputError(msg) from None
    return Hash("sha256", digest.digest())
