"""NAR serialisation of a path and its sha256, byte-identical to what Nix hashes (nix-hash --type sha256).

On a source tree the cost is per file, not per byte: 38,000 files are 150,000 syscalls and as many trips through
the interpreter. So the walk makes the fewest calls it can (listdir, then one lstat, open, read and close per file,
all relative to an open directory so the kernel does not walk the whole path each time) and joins the
serialisation of many entries into one buffer before handing it to the sink. The sink is fed from a second
thread (see _Hasher), so sha256 runs on the other core while the walk waits on the kernel; a NAR hash is one
sha256 over one stream, so only the work before the hash is overlapped, never the hash split.
"""

from __future__ import annotations

import hashlib
import os
import queue
import stat
import threading
from pathlib import Path
from typing import Protocol

from rootstock.core.hashes import Hash
from rootstock.errors import InputError

CHUNK = 1 << 20
PADDING = bytes(8)
# Files up to this size are read with one call and joined into the buffer; larger ones are streamed in CHUNKs.
SMALL = 256 << 10
# The buffer goes to the sink once it holds this much: one sink.update per ~FLUSH bytes, not several per file.
FLUSH = 2 << 20
# O_NOFOLLOW: an entry swapped for a symlink between its lstat and its open fails instead of being followed.
FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
DIR_FLAGS = FILE_FLAGS | os.O_DIRECTORY


class Sink(Protocol):
    """Anything NAR bytes can be fed to (a hashlib object, a file)."""

    def update(self, data: bytes | bytearray | memoryview, /) -> None:
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


def _header(size: int, mode: int) -> bytes:
    return REGULAR + (EXECUTABLE if mode & stat.S_IXUSR else b"") + CONTENTS + size.to_bytes(8, "little")


def _refused(path: bytes) -> InputError:
    return InputError(f"{os.fsdecode(path)}: only regular files, directories and symlinks can be stored in Nix")


def _changed(path: bytes) -> InputError:
    return InputError(f"{os.fsdecode(path)} changed size while it was being hashed")


class _Hasher:
    """Feeds a sink from a second thread, in the order given, so hashing overlaps the walk's syscalls.

    The walk is syscall-bound on one core and sha256 is CPU-bound; hashlib releases the GIL on data over 2 KiB (the
    walk hands over buffers of FLUSH bytes), so the two use both cores. One FIFO queue and one consumer keep the
    bytes in order: the sink sees exactly the stream a sequential walk would give it. The queue is bounded so the
    walk cannot run more than QUEUED buffers ahead, and a buffer handed over is never touched again by the walk.
    """

    QUEUED = 8

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.queue: queue.Queue[bytes | bytearray | None] = queue.Queue(self.QUEUED)
        self.failure: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="nar-hash", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (data := self.queue.get()) is not None:
            if self.failure is None:  # after a failure, keep draining so the walk never blocks on a full queue
                try:
                    self.sink.update(data)
                except BaseException as exc:  # re-raised in the walk's thread by close()
                    self.failure = exc

    def update(self, data: bytes | bytearray) -> None:
        self.queue.put(data)

    def close(self) -> None:
        """Wait for every queued buffer to reach the sink; raise what the sink raised."""
        self.queue.put(None)
        self.thread.join()
        if self.failure is not None:
            raise self.failure


def _stream(sink: _Hasher, fd: int, size: int, path: bytes) -> None:
    remaining = size
    while remaining:
        chunk = os.read(fd, min(CHUNK, remaining))
        if not chunk:
            raise _changed(path)
        sink.update(chunk)
        remaining -= len(chunk)


def _directory(sink: _Hasher, out: bytearray, dfd: int, path: bytes) -> bytearray:
    """Append the serialisation of the directory open as dfd (named path, for messages) to out.

    Returns the buffer to go on appending to: a full one is handed to the sink and replaced, never cleared.
    """
    out += DIRECTORY
    # Nix sorts entries by their bytes, and bytes names sort the same way in Python.
    for name in sorted(os.listdir(path)):  # noqa: PTH208  # bytes names, no Path object per entry
        st = os.stat(name, dir_fd=dfd, follow_symlinks=False)
        mode = st.st_mode
        out += ENTRY
        out += _encode(name)
        out += NODE
        if stat.S_ISREG(mode):
            size = st.st_size
            out += _header(size, mode)
            fd = os.open(name, FILE_FLAGS, dir_fd=dfd)
            try:
                if size <= SMALL:
                    # size + 1: a short or long answer shows the file changed since its lstat, in the same call.
                    data = os.read(fd, size + 1)
                    if len(data) != size:
                        raise _changed(path + b"/" + name)
                    out += data
                else:
                    sink.update(out)
                    out = bytearray()
                    _stream(sink, fd, size, path + b"/" + name)
            finally:
                os.close(fd)
            out += PADDING[: -size % 8]
            out += CLOSE
        elif stat.S_ISLNK(mode):
            out += SYMLINK
            out += _encode(os.readlink(name, dir_fd=dfd))
            out += CLOSE
        elif stat.S_ISDIR(mode):
            sub = os.open(name, DIR_FLAGS, dir_fd=dfd)
            try:
                out = _directory(sink, out, sub, path + b"/" + name)
            finally:
                os.close(sub)
        else:
            raise _refused(path + b"/" + name)
        out += CLOSE  # the entry's
        if len(out) >= FLUSH:
            sink.update(out)
            out = bytearray()
    out += CLOSE
    return out


def _node(sink: _Hasher, raw: bytes, st: os.stat_result) -> None:
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        dfd = os.open(raw, DIR_FLAGS)
        try:
            sink.update(_directory(sink, bytearray(), dfd, raw))
        finally:
            os.close(dfd)
    elif stat.S_ISREG(mode):
        sink.update(_header(st.st_size, mode))
        fd = os.open(raw, FILE_FLAGS)
        try:
            _stream(sink, fd, st.st_size, raw)
        finally:
            os.close(fd)
        sink.update(PADDING[: -st.st_size % 8] + CLOSE)
    elif stat.S_ISLNK(mode):
        sink.update(SYMLINK + _encode(os.readlink(raw)) + CLOSE)  # noqa: PTH115  # bytes in, bytes out
    else:
        raise _refused(raw)


def dump(path: Path, sink: Sink) -> None:
    """Feed the NAR serialisation of path to sink.

    Raises:
        InputError: the path does not exist or holds a device, socket or fifo.
    """
    raw = os.fsencode(path)
    try:
        st = os.lstat(raw)
    except FileNotFoundError:
        msg = f"{path}: no such file or directory to hash"
        raise InputError(msg) from None
    hasher = _Hasher(sink)
    try:
        hasher.update(_encode(b"nix-archive-1"))
        _node(hasher, raw, st)
    finally:
        hasher.close()


def nar_hash(path: Path, algo: str = "sha256") -> Hash:
    """The sha256 (or another hashlib algorithm's digest) of the NAR serialisation of path, as Nix computes it
    for recursive hashing."""
    digest = hashlib.new(algo)
    dump(path, digest)
    return Hash(algo, digest.digest())


def file_nar_hash(data: bytes, *, executable: bool) -> Hash:
    """The NAR sha256 of a lone regular file holding data, as Nix pins an executable fixed-output file."""
    header = _header(len(data), stat.S_IXUSR if executable else 0)
    body = _encode(b"nix-archive-1") + header + data + PADDING[: -len(data) % 8] + CLOSE
    return Hash("sha256", hashlib.sha256(body).digest())


def flat_hash(path: Path, algo: str = "sha256") -> Hash:
    """The sha256 (or another hashlib algorithm's digest) of a file's bytes."""
    digest = hashlib.new(algo)
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
    except OSError as exc:
        msg = f"{path}: cannot read ({exc.strerror})"
        raise InputError(msg) from None
    return Hash(algo, digest.digest())
