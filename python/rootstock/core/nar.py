"""NAR serialisation of a path and its sha256, byte-identical to what Nix hashes (nix-hash --type sha256).

On a source tree the cost is per file, not per byte: 38,000 files are 150,000 system calls (an lstat, open, read
and close each, as nix-hash makes), where sha256 of the bytes takes a third of that time. So the walk makes each
call relative to an open directory (the kernel does not walk the whole path each time) and joins the entries
of a directory into one buffer, and sha256 runs in a second thread (_Hasher) on buffers of about FLUSH bytes,
overlapping the walk's system calls: on two cores the walk is the whole cost (benchmarks/nar_bench.py,
docs/speed.md). A NAR hash is one sha256 over one stream, so only the reading is overlapped, never split: the
sink sees exactly the bytes a sequential walk gives.
"""

from __future__ import annotations

import hashlib
import os
import queue
import stat
import threading
from pathlib import Path
from typing import Protocol

from rootstock.core import files
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
ARCHIVE = _encode(b"nix-archive-1")


def _header(size: int, mode: int) -> bytes:
    return REGULAR + (EXECUTABLE if mode & stat.S_IXUSR else b"") + CONTENTS + size.to_bytes(8, "little")


def _refused(path: bytes) -> InputError:
    return InputError(f"{os.fsdecode(path)}: only regular files, directories and symlinks can be stored in Nix")


def _changed(path: bytes) -> InputError:
    return InputError(f"{os.fsdecode(path)} changed size while it was being hashed")


def _unreadable(path: bytes, exc: OSError) -> InputError:
    if isinstance(exc, FileNotFoundError):
        return InputError(
            f"{os.fsdecode(path)} vanished while the tree was being hashed; hash it again when it is still"
        )
    return InputError(f"{os.fsdecode(path)}: cannot read it to hash it ({exc.strerror})")


def _walk(sink: Sink, path: bytes) -> None:
    """Feed sink the serialisation of the directory path (after its node's "type"), entries in Nix's order."""
    try:
        with os.scandir(path) as listing:
            # Nix sorts entries by their bytes, and bytes names sort the same way in Python (names are unique).
            entries = sorted([(e.name, e.is_dir(follow_symlinks=False)) for e in listing])
        dfd = os.open(path, DIR_FLAGS)
    except OSError as exc:
        raise _unreadable(path, exc) from None
    out = bytearray(DIRECTORY)
    try:
        for name, is_dir in entries:
            out += ENTRY
            out += _encode(name)
            out += NODE
            if is_dir:
                sink.update(out)
                _walk(sink, path + b"/" + name)
                out = bytearray(CLOSE)
                continue
            try:
                out = _entry(sink, out, dfd, path, name)
            except OSError as exc:
                raise _unreadable(path + b"/" + name, exc) from None
            out += CLOSE  # the entry's
            if len(out) >= FLUSH:
                sink.update(out)
                out = bytearray()
    finally:
        os.close(dfd)
    out += CLOSE
    sink.update(out)


def _entry(sink: Sink, out: bytearray, dfd: int, directory: bytes, name: bytes) -> bytearray:
    """Append the node of the entry name (not a directory when it was listed) of the open directory dfd to out
    and return the buffer to go on with: a large file's contents go to sink, streamed from the file, after out
    so far, which then belongs to the sink (a _Hasher may queue it as it is)."""
    st = os.stat(name, dir_fd=dfd, follow_symlinks=False)
    mode = st.st_mode
    if stat.S_ISREG(mode):
        size = st.st_size
        out += _header(size, mode)
        if size <= SMALL:
            out += _contents(dfd, name, size, directory)
        else:
            sink.update(out)
            _stream_file(sink, directory + b"/" + name, size)
            out = bytearray()
        out += PADDING[: -size % 8]
        out += CLOSE
    elif stat.S_ISLNK(mode):
        out += SYMLINK
        out += _encode(os.readlink(name, dir_fd=dfd))
        out += CLOSE
    else:
        raise _not_storable(directory + b"/" + name, mode)
    return out


def _contents(dfd: int, name: bytes, size: int, directory: bytes) -> bytes:
    fd = os.open(name, FILE_FLAGS, dir_fd=dfd)
    try:
        # size + 1: a short or long answer shows the file changed since its lstat, in the same call.
        data = os.read(fd, size + 1)
    finally:
        os.close(fd)
    if len(data) != size:
        raise _changed(directory + b"/" + name)
    return data


def _not_storable(path: bytes, mode: int) -> InputError:
    if stat.S_ISDIR(mode):
        # It was something else when its parent was listed: the tree is changing under the walk.
        return InputError(f"{os.fsdecode(path)} became a directory while the tree was being hashed")
    return _refused(path)


class _Hasher:
    """Feeds a sink from a second thread, in the order given, so hashing overlaps the reading.

    hashlib releases the GIL on data over 2 KiB, so the two use two cores. Every hand-over wakes the other thread
    and passes the GIL back and forth, which costs more than hashing a small piece: pieces are gathered into
    buffers of about FLUSH bytes first (a directory's entries and the bytes between directories are often a few
    hundred bytes; handed over one by one they made the walk half again as slow, slower than no thread at all).
    One FIFO queue and one consumer keep the bytes in order. The queue is bounded so the reading cannot run more
    than QUEUED buffers ahead, and a buffer handed over is never touched again by the reader.
    """

    QUEUED = 8

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.queue: queue.Queue[bytes | bytearray | memoryview | None] = queue.Queue(self.QUEUED)
        self.pending = bytearray()
        self.failure: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="nar-hash", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (data := self.queue.get()) is not None:
            if self.failure is None:  # after a failure, keep draining so the reader never blocks on a full queue
                try:
                    self.sink.update(data)
                except BaseException as exc:  # re-raised in the reader's thread by close()
                    self.failure = exc

    def update(self, data: bytes | bytearray | memoryview) -> None:
        if len(data) >= CHUNK:  # a large file's chunk or a full buffer: worth a hand-over of its own, uncopied
            self._hand_over()
            self.queue.put(data)
            return
        self.pending += data
        if len(self.pending) >= FLUSH:
            self._hand_over()

    def _hand_over(self) -> None:
        if self.pending:
            self.queue.put(self.pending)
            self.pending = bytearray()

    def close(self) -> None:
        """Wait for every queued buffer to reach the sink; raise what the sink raised."""
        self._hand_over()
        self.queue.put(None)
        self.thread.join()
        if self.failure is not None:
            raise self.failure


def _stream(sink: Sink, fd: int, size: int, path: bytes) -> None:
    remaining = size
    while remaining:
        chunk = os.read(fd, min(CHUNK, remaining))
        if not chunk:
            raise _changed(path)
        sink.update(chunk)
        remaining -= len(chunk)


def _stream_file(sink: Sink, path: bytes, size: int) -> None:
    try:
        fd = os.open(path, FILE_FLAGS)
    except OSError as exc:
        raise _unreadable(path, exc) from None
    try:
        _stream(sink, fd, size, path)
    finally:
        os.close(fd)


def _directory(sink: Sink, root: bytes) -> None:
    hasher = _Hasher(sink)
    try:
        hasher.update(ARCHIVE)
        _walk(hasher, root)
    finally:
        hasher.close()


def _file(sink: Sink, raw: bytes, st: os.stat_result) -> None:
    hasher = _Hasher(sink)
    try:
        hasher.update(ARCHIVE + _header(st.st_size, st.st_mode))
        _stream_file(hasher, raw, st.st_size)
        hasher.update(PADDING[: -st.st_size % 8] + CLOSE)
    finally:
        hasher.close()


def dump(path: Path, sink: Sink) -> None:
    """Feed the NAR serialisation of path to sink.

    Raises:
        InputError: the path does not exist, holds a device, socket or fifo, or a file in it cannot be read or
            changes (vanishes, grows, shrinks) while it is hashed.
    """
    raw = os.fsencode(path)
    try:
        st = os.lstat(raw)
    except FileNotFoundError:
        msg = f"{path}: no such file or directory to hash"
        raise InputError(msg) from None
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        _directory(sink, raw)
    elif stat.S_ISREG(mode):
        _file(sink, raw, st)
    elif stat.S_ISLNK(mode):
        sink.update(ARCHIVE + SYMLINK + _encode(os.readlink(raw)) + CLOSE)  # noqa: PTH115  # bytes in, bytes out
    else:
        raise _refused(raw)


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
    _read_into(path, digest)
    return Hash(algo, digest.digest())


def lone_file_nar_hash(path: Path, *, executable: bool) -> Hash:
    """file_nar_hash of a file's bytes, streamed: the NAR sha256 they have as a lone regular file, executable or
    not, whatever the file's own mode (a download has lost it)."""
    digest = hashlib.sha256()
    try:
        size = path.stat().st_size
    except OSError as exc:
        msg = f"{path}: cannot read ({exc.strerror})"
        raise InputError(msg) from None
    digest.update(_encode(b"nix-archive-1") + _header(size, stat.S_IXUSR if executable else 0))
    if _read_into(path, digest) != size:
        raise _changed(os.fsencode(path))
    digest.update(PADDING[: -size % 8] + CLOSE)
    return Hash("sha256", digest.digest())


def _read_into(path: Path, sink: Sink) -> int:
    size = 0
    with files.open_input(path, "file to hash") as handle:
        try:
            while chunk := handle.read(CHUNK):
                sink.update(chunk)
                size += len(chunk)
        except OSError as exc:
            msg = f"{path}: cannot read the file to hash ({exc.strerror})"
            raise InputError(msg) from None
    return size
