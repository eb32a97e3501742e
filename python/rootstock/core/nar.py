"""NAR serialisation of a path and its sha256, byte-identical to what Nix hashes (nix-hash --type sha256).

On a source tree the cost is per file, not per byte: 38,000 files are 150,000 syscalls and as many trips through
the interpreter, where sha256 of the bytes takes a fraction of that. So the work is split three ways:

- a plan (_plan): one pass over the directories alone (scandir tells a directory from anything else without a
  stat) gives the NAR stream as a list of pieces in Nix's order: the bytes around directories, and runs of the
  other entries of one directory, to be serialised later;
- the runs (_serialise_run): one lstat, open, read and close per entry, relative to an open directory so the
  kernel does not walk the whole path each time, joined into one buffer. On a tree of many entries they are
  done by forked worker processes (_Workers), a block of runs each in turn, each worker writing its runs' bytes
  in order to a pipe of its own; so every core walks, which threads (one interpreter lock) cannot;
- the stream: this process feeds the sink the pieces in plan order (its own bytes, then each run's, from the
  worker that has it, or serialised here on a small tree, then from a second thread (_Hasher), so that sha256
  overlaps the walk's system calls). A file too large to be worth a pipe's copy is streamed here from the file
  itself. A NAR hash is one sha256 over one stream, so only the work before the hash is split, never the hash:
  the sink sees exactly the bytes a sequential walk gives.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import queue
import signal
import stat
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Protocol, cast

from attrs import frozen

from rootstock import interrupts
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
# A tree with fewer entries (files and symlinks) than this is done in this process: forking the workers costs
# a few milliseconds, which a small tree does not win back.
PARALLEL_ENTRIES = 2048
# Runs are dealt to the workers in blocks of about this many entries, and a run is never longer: small enough
# that a worker's next block fits in its pipe while this process reads another worker's.
BLOCK = 64
PIPE_SIZE = 1 << 20


def workers_wanted() -> int:
    """One worker per core this process may run on, at most four (a walk is also bound by the disk); none when
    the machine has no idle core (load average). Workers cost about a sixth more CPU than one process does
    (the plan, the pipes), which only a core of their own pays back: on a busy machine the scheduler gives this
    process's session the same share either way (benchmarks/nar_bench.py, docs/speed.md)."""
    cores = len(os.sched_getaffinity(0))
    return min(4, cores) if os.getloadavg()[0] <= cores - 1 else 0


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


@frozen
class Run:
    """Entries of the directory path, neither of them a directory, consecutive in Nix's order."""

    path: bytes
    names: tuple[bytes, ...]


@frozen
class Big:
    """In a run's output: the contents of the file path (size bytes) come next, streamed from the file."""

    path: bytes
    size: int


Piece = bytes | Run


def _plan(root: bytes) -> list[Piece]:
    """The NAR stream of the directory root as pieces in order (adjacent bytes joined)."""
    pieces: list[Piece] = []
    glue = bytearray()

    def directory(path: bytes) -> None:
        nonlocal glue
        try:
            with os.scandir(path) as listing:
                # Nix sorts entries by their bytes, and bytes names sort the same way in Python (names are unique).
                entries = sorted([(e.name, e.is_dir(follow_symlinks=False)) for e in listing])
        except OSError as exc:
            raise _unreadable(path, exc) from None
        glue += DIRECTORY
        run: list[bytes] = []
        for name, is_dir in entries:
            if not is_dir:
                run.append(name)
                if len(run) == BLOCK:
                    end_run(path, run)
                continue
            end_run(path, run)
            glue += ENTRY + _encode(name) + NODE
            directory(path + b"/" + name)
            glue += CLOSE
        end_run(path, run)
        glue += CLOSE

    def end_run(path: bytes, run: list[bytes]) -> None:
        nonlocal glue
        if not run:
            return
        if glue:
            pieces.append(bytes(glue))
            glue = bytearray()
        pieces.append(Run(path, tuple(run)))
        run.clear()

    directory(root)
    pieces.append(bytes(glue))
    return pieces


def _serialise_run(run: Run) -> Iterator[bytes | bytearray | Big]:
    """The serialisation of a run's entries: buffers of up to ~FLUSH bytes, and a Big for each large file."""
    out = bytearray()
    try:
        dfd = os.open(run.path, DIR_FLAGS)
    except OSError as exc:
        raise _unreadable(run.path, exc) from None
    try:
        for name in run.names:
            try:
                st = os.stat(name, dir_fd=dfd, follow_symlinks=False)
                mode = st.st_mode
                out += ENTRY
                out += _encode(name)
                out += NODE
                if stat.S_ISREG(mode):
                    size = st.st_size
                    out += _header(size, mode)
                    if size <= SMALL:
                        out += _contents(dfd, name, size, run.path)
                    else:
                        yield out
                        out = bytearray()
                        yield Big(run.path + b"/" + name, size)
                    out += PADDING[: -size % 8]
                    out += CLOSE
                elif stat.S_ISLNK(mode):
                    out += SYMLINK
                    out += _encode(os.readlink(name, dir_fd=dfd))
                    out += CLOSE
                else:
                    raise _not_storable(run.path + b"/" + name, mode)
            except OSError as exc:
                raise _unreadable(run.path + b"/" + name, exc) from None
            out += CLOSE  # the entry's
            if len(out) >= FLUSH:
                yield out
                out = bytearray()
    finally:
        os.close(dfd)
    if out:
        yield out


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
        # It was something else when the plan listed its parent: the tree is changing under the walk.
        return InputError(f"{os.fsdecode(path)} became a directory while the tree was being hashed")
    return _refused(path)


class _Hasher:
    """Feeds a sink from a second thread, in the order given, so hashing overlaps the reading.

    hashlib releases the GIL on data over 2 KiB (the stream hands over buffers of up to FLUSH bytes), so the two
    use two cores. One FIFO queue and one consumer keep the bytes in order. The queue is bounded so the reading
    cannot run more than QUEUED buffers ahead, and a buffer handed over is never touched again by the reader.
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
            if self.failure is None:  # after a failure, keep draining so the reader never blocks on a full queue
                try:
                    self.sink.update(data)
                except BaseException as exc:  # re-raised in the reader's thread by close()
                    self.failure = exc

    def update(self, data: bytes | bytearray) -> None:
        self.queue.put(data)

    def close(self) -> None:
        """Wait for every queued buffer to reach the sink; raise what the sink raised."""
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


def _stream_file(sink: Sink, big: Big) -> None:
    try:
        fd = os.open(big.path, FILE_FLAGS)
    except OSError as exc:
        raise _unreadable(big.path, exc) from None
    try:
        _stream(sink, fd, big.size, big.path)
    finally:
        os.close(fd)


# A worker's pipe carries frames: a kind byte and an 8-byte length, then that many bytes. A run's output is DATA
# and BIG frames ending in one LAST (bytes too), or FAILED (a message) when its worker could not serialise it.
DATA, LAST, BIG, FAILED = b"D", b"L", b"B", b"F"


class _Workers:
    """Forked processes serialising the plan's runs, run i by worker (block of run i) mod count, each writing its
    runs' output in order to its own pipe; frames() reads one run's output from the worker that has it."""

    def __init__(self, pieces: list[Piece], count: int) -> None:
        self.owner: dict[int, int] = {}
        entries = 0
        for i, piece in enumerate(pieces):
            if isinstance(piece, Run):
                self.owner[i] = (entries // BLOCK) % count
                entries += len(piece.names)
        self.pids: list[int] = []
        self.pipes: list[int] = []
        self.buffer = bytearray(FLUSH + SMALL)
        # Held: a signal between a fork and its pid's recording would leave a worker nothing ends. In the child
        # the held signal is never raised: it ignores SIGINT (the terminal sends it to the whole group; the
        # parent ends its workers) and dies of the parent's SIGKILL.
        with interrupts.held():
            for worker in range(count):
                read, write = os.pipe2(os.O_CLOEXEC)
                with contextlib.suppress(OSError):  # a larger pipe lets a worker run further ahead; not required
                    fcntl.fcntl(write, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
                pid = os.fork()
                if pid == 0:
                    os.close(read)
                    self._work(pieces, worker, write)
                os.close(write)
                self.pids.append(pid)
                self.pipes.append(read)

    def _work(self, pieces: list[Piece], me: int, out: int) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        for fd in self.pipes:
            os.close(fd)
        try:
            for i, piece in enumerate(pieces):
                if isinstance(piece, Run) and self.owner[i] == me:
                    # Each buffer is held back one step, so that the run's last one goes as LAST, in one frame.
                    pending: bytes | bytearray = b""
                    for part in _serialise_run(piece):
                        if pending:
                            _write(out, DATA, pending)
                        pending = b""
                        if isinstance(part, Big):
                            _write(out, BIG, part.size.to_bytes(8, "little") + part.path)
                        else:
                            pending = part
                    _write(out, LAST, pending)
        except InputError as exc:
            _write(out, FAILED, str(exc).encode(errors="replace"))
        except BaseException as exc:  # reported by the parent, which owns the error handling
            with contextlib.suppress(BaseException):
                _write(out, FAILED, f"hashing worker failed: {exc!r}".encode(errors="replace"))
        finally:
            os._exit(0)

    def frames(self, index: int) -> Iterator[memoryview | Big]:
        """The output of run number index of the plan, as the worker that has it wrote it. Each buffer is a view
        of one buffer read into again for the next: use it before asking for the next."""
        fd = self.pipes[self.owner[index]]
        while True:
            head = self._read(fd, 9)
            kind, length = bytes(head[:1]), int.from_bytes(head[1:], "little")
            body = self._read(fd, length)
            if kind == FAILED:
                raise InputError(bytes(body).decode(errors="replace"))
            if kind == BIG:
                yield Big(bytes(body[8:]), int.from_bytes(body[:8], "little"))
                continue
            if body:
                yield body
            if kind == LAST:
                return

    def _read(self, fd: int, length: int) -> memoryview:
        # One buffer for every frame: fresh ones would cost a page fault per 4 KiB of the tree.
        if len(self.buffer) < length:
            self.buffer = bytearray(length)
        view = memoryview(self.buffer)[:length]
        got = 0
        while got < length:
            n = os.readv(fd, [view[got:]])
            if n == 0:
                msg = "a hashing worker ended before its part of the tree was done"
                raise InputError(msg)
            got += n
        return view

    def close(self) -> None:
        """End every worker (done or not) and reap it."""
        with interrupts.held():
            for pid in self.pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            for fd in self.pipes:
                os.close(fd)
            self.pids, self.pipes = [], []


def _write(fd: int, kind: bytes, body: bytes | bytearray) -> None:
    parts = [memoryview(kind + len(body).to_bytes(8, "little")), memoryview(body)]
    while parts:
        written = os.writev(fd, parts)
        while parts and written >= len(parts[0]):
            written -= len(parts[0])
            parts.pop(0)
        if parts:
            parts[0] = parts[0][written:]


def _directory(sink: Sink, root: bytes, workers: int) -> None:
    pieces = _plan(root)
    entries = sum(len(p.names) for p in pieces if isinstance(p, Run))
    if workers > 1 and entries >= PARALLEL_ENTRIES:
        # Forked before any thread of this walk starts: a child of a threaded process inherits locks no thread
        # frees. The workers walk; this thread only reads their pipes and hashes, with no hashing thread (whose
        # hand-over per buffer would cost more than it overlaps here).
        pool = _Workers(pieces, workers)
        try:
            _feed(sink, pieces, pool.frames)
        finally:
            pool.close()
        return
    hasher = _Hasher(sink)
    try:
        _feed(hasher, pieces, lambda i: _serialise_run(cast(Run, pieces[i])))
    finally:
        hasher.close()


def _feed(
    sink: Sink, pieces: list[Piece], runs: Callable[[int], Iterable[bytes | bytearray | memoryview | Big]]
) -> None:
    """The archive's bytes in order: the plan's own, and each run's (runs(index)), large files streamed here."""
    sink.update(ARCHIVE)
    for i, piece in enumerate(pieces):
        if isinstance(piece, bytes):
            sink.update(piece)
            continue
        for part in runs(i):
            if isinstance(part, Big):
                _stream_file(sink, part)
            else:
                sink.update(part)


def _file(sink: Sink, raw: bytes, st: os.stat_result) -> None:
    hasher = _Hasher(sink)
    try:
        hasher.update(ARCHIVE + _header(st.st_size, st.st_mode))
        _stream_file(hasher, Big(raw, st.st_size))
        hasher.update(PADDING[: -st.st_size % 8] + CLOSE)
    finally:
        hasher.close()


def dump(path: Path, sink: Sink, *, workers: int | None = None) -> None:
    """Feed the NAR serialisation of path to sink; a large tree is walked by worker processes, at most workers
    of them (default: workers_wanted(); 0 or 1: all in this process). The bytes are the same either way.

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
        _directory(sink, raw, workers_wanted() if workers is None else workers)
    elif stat.S_ISREG(mode):
        _file(sink, raw, st)
    elif stat.S_ISLNK(mode):
        sink.update(ARCHIVE + SYMLINK + _encode(os.readlink(raw)) + CLOSE)  # noqa: PTH115  # bytes in, bytes out
    else:
        raise _refused(raw)


def nar_hash(path: Path, algo: str = "sha256", *, workers: int | None = None) -> Hash:
    """The sha256 (or another hashlib algorithm's digest) of the NAR serialisation of path, as Nix computes it
    for recursive hashing."""
    digest = hashlib.new(algo)
    dump(path, digest, workers=workers)
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
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                sink.update(chunk)
                size += len(chunk)
    except OSError as exc:
        msg = f"{path}: cannot read ({exc.strerror})"
        raise InputError(msg) from None
    return size
