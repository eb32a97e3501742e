"""NAR serialisation of a path and its sha256, byte-identical to what Nix hashes (nix-hash --type sha256)."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path
from typing import Protocol

from rootstock.core.hashes import Hash
from rootstock.errors import InputError

CHUNK = 1 << 20
PADDING = bytes(8)


class Sink(Protocol):
    """Anything NAR bytes can be fed to (a hashlib object, a file)."""

    def update(self, data: bytes, /) -> None:
        """Take the next bytes."""


def _encode(data: bytes) -> bytes:
    pad = -len(data) % 8
    return len(data).to_bytes(8, "little") + data + PADDING[:pad]


# The fixed tokens, encoded once: hashing many small files is dominated by per-call overhead.
OPEN, CLOSE = _encode(b"("), _encode(b")")
REGULAR = OPEN + _encode(b"type") + _encode(b"regular")
EXECUTABLE = _encode(b"executable") + _encode(b"")
CONTENTS = _encode(b"contents")
SYMLINK = OPEN + _encode(b"type") + _encode(b"symlink") + _encode(b"target")
DIRECTORY = OPEN + _encode(b"type") + _encode(b"directory")
ENTRY = _encode(b"entry") + OPEN + _encode(b"name")
NODE = _encode(b"node")


def _regular(sink: Sink, path: bytes, st: os.stat_result) -> None:
    size = st.st_size
    header = REGULAR + (EXECUTABLE if st.st_mode & stat.S_IXUSR else b"") + CONTENTS + size.to_bytes(8, "little")
    with open(path, "rb") as handle:  # noqa: PTH123  # bytes paths keep non-UTF-8 names exact
        if size <= CHUNK:
            data = handle.read()
            if len(data) != size:
                msg = f"{os.fsdecode(path)} changed size while it was being hashed"
                raise InputError(msg)
            sink.update(header + data + PADDING[: -size % 8] + CLOSE)
            return
        sink.update(header)
        remaining = size
        while remaining:
            chunk = handle.read(min(CHUNK, remaining))
            if not chunk:
                msg = f"{os.fsdecode(path)} shrank while it was being hashed"
                raise InputError(msg)
            sink.update(chunk)
            remaining -= len(chunk)
    sink.update(PADDING[: -size % 8] + CLOSE)


def _node(sink: Sink, path: bytes, st: os.stat_result) -> None:
    if stat.S_ISREG(st.st_mode):
        _regular(sink, path, st)
    elif stat.S_ISLNK(st.st_mode):
        sink.update(SYMLINK + _encode(os.readlink(path)) + CLOSE)  # noqa: PTH115  # bytes in, bytes out
    elif stat.S_ISDIR(st.st_mode):
        sink.update(DIRECTORY)
        with os.scandir(path) as it:
            entries = sorted((entry.name, entry.stat(follow_symlinks=False)) for entry in it)
        for name, child in entries:
            sink.update(ENTRY + _encode(name) + NODE)
            _node(sink, path + b"/" + name, child)
            sink.update(CLOSE)
        sink.update(CLOSE)
    else:
        msg = f"{os.fsdecode(path)}: only regular files, directories and symlinks can be stored in Nix"
        raise InputError(msg)


def dump(path: Path, sink: Sink) -> None:
    """Feed the NAR serialisation of path to sink.

    Raises:
        InputError: the path does not exist or holds a device, socket or fifo.
    """
    if not path.exists() and not path.is_symlink():
        msg = f"{path}: no such file or directory to hash"
        raise InputError(msg)
    sink.update(_encode(b"nix-archive-1"))
    raw = os.fsencode(path)
    _node(sink, raw, os.lstat(raw))


def nar_hash(path: Path) -> Hash:
    """The sha256 of the NAR serialisation of path, as Nix computes it for recursive hashing."""
    digest = hashlib.sha256()
    dump(path, digest)
    return Hash("sha256", digest.digest())


def file_nar_hash(data: bytes, *, executable: bool) -> Hash:
    """The NAR sha256 of a lone regular file holding data, as Nix pins an executable fixed-output file."""
    header = REGULAR + (EXECUTABLE if executable else b"") + CONTENTS + len(data).to_bytes(8, "little")
    body = _encode(b"nix-archive-1") + header + data + PADDING[: -len(data) % 8] + CLOSE
    return Hash("sha256", hashlib.sha256(body).digest())


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
