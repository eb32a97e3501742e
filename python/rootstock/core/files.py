"""Reading the files a user names or the checkout holds, one way with one set of messages; writing files all at
once: a reader never sees half a pins file or half a rendered tree."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import secrets
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from rootstock import interrupts
from rootstock.errors import InputError, WriteError

# The kinds of file an input cannot be, by name: none of them holds a fixed sequence of bytes, and opening a FIFO
# waits for a writer (or /dev/zero never ends).
KINDS = {
    stat.S_IFIFO: "a fifo",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
}


def kind_of(mode: int) -> str:
    """What a file of this st_mode is, in words."""
    if stat.S_ISDIR(mode):
        return "a directory"
    return "a regular file" if stat.S_ISREG(mode) else KINDS.get(stat.S_IFMT(mode), "a special file")


def open_input(path: Path, what: str, *, missing: str = "") -> BinaryIO:
    """path, opened for reading, once it is known to be a regular file (or a symlink to one).

    It is opened without blocking and then looked at (fstat), so a FIFO is refused at once instead of waiting
    for a writer, and the file looked at is the file read. what names the file's purpose in the messages
    ("pins file", "SBOM"); missing, when given, replaces the message for a path that does not exist.

    Raises:
        InputError: the path is missing, unreadable, a directory, a fifo, a socket or a device.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        msg = missing or f"{path}: {what} not found"
        raise InputError(msg) from None
    except OSError as exc:
        # A socket cannot be opened at all (ENXIO): its kind says more than the errno.
        with contextlib.suppress(OSError):
            _refuse_unless_regular(path, path.stat().st_mode, what)
        msg = f"{path}: cannot read the {what} ({exc.strerror})"
        raise InputError(msg) from None
    try:
        _refuse_unless_regular(path, os.fstat(fd).st_mode, what)
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def _refuse_unless_regular(path: Path, mode: int, what: str) -> None:
    if stat.S_ISDIR(mode):
        msg = f"{path}: a directory, not a file; expected the {what}"
        raise InputError(msg)
    if not stat.S_ISREG(mode):
        msg = f"{path}: not a regular file ({kind_of(mode)}); expected the {what}"
        raise InputError(msg)


def read_input_bytes(path: Path, what: str, *, missing: str = "") -> bytes:
    """The bytes of a regular file (errors as open_input's, and a read that fails)."""
    with open_input(path, what, missing=missing) as handle:
        try:
            return handle.read()
        except OSError as exc:
            msg = f"{path}: cannot read the {what} ({exc.strerror})"
            raise InputError(msg) from None


def decode_text(raw: bytes, source: object, what: str) -> str:
    """raw as UTF-8 text.

    Raises:
        InputError: it is not UTF-8, naming source, the first bad byte and its offset.
    """
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        msg = f"{source}: {not_utf8(exc)}; expected the {what}"
        raise InputError(msg) from None


def not_utf8(exc: UnicodeDecodeError) -> str:
    """What a failed UTF-8 decoding found, as messages say it: the first bad byte and its offset."""
    return f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})"


def read_input_text(path: Path, what: str, *, missing: str = "") -> str:
    """The UTF-8 text of a regular file (errors as read_input_bytes's and decode_text's)."""
    return decode_text(read_input_bytes(path, what, missing=missing), path, what)


class JsonError(ValueError):
    """Text that is not JSON, or JSON nested deeper than Python's parser recurses; str() is the reason."""


def loads_json(text: str | bytes) -> Any:
    """The value of a JSON document.

    Raises:
        JsonError: malformed, not UTF-8, or nested too deeply for the parser (whose RecursionError it replaces).
    """
    try:
        return json.loads(text.decode("utf-8") if isinstance(text, bytes) else text)
    except json.JSONDecodeError as exc:
        # Python's own wording adds the character offset ("(char 0)"), which says nothing to a reader.
        msg = f"{exc.msg} at line {exc.lineno}, column {exc.colno}"
        raise JsonError(msg) from None
    except UnicodeDecodeError as exc:
        raise JsonError(not_utf8(exc)) from None
    except RecursionError:
        msg = "nested too deeply (arrays or objects within each other)"
        raise JsonError(msg) from None


def require_directory(path: Path, what: str) -> None:
    """Refuse a path that exists and is not a directory, before a long command finds out by writing into it.

    Raises:
        InputError: something else stands there (naming it and what it was for).
    """
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return  # made when written
    except OSError as exc:
        msg = f"{what} {path}: cannot look at it ({exc.strerror})"
        raise InputError(msg) from None
    if not stat.S_ISDIR(mode):
        msg = f"{what} {path}: not a directory ({kind_of(mode)} stands there)"
        raise InputError(msg)


# What the user can do about each way a write fails; any other errno gets its strerror alone.
REMEDIES = {
    errno.EACCES: "check the permissions of {dir} and the file, or run as a user who may write there",
    errno.EPERM: "the file or {dir} may be immutable (lsattr) or protected; check its attributes and permissions",
    errno.EROFS: "{dir} is on a read-only file system; remount it read-write or use a checkout elsewhere",
    errno.ENOSPC: "the file system holding {dir} is full; free some space and run the command again",
    errno.EDQUOT: "the disk quota for {dir} is used up; free some space and run the command again",
    errno.EISDIR: "a directory stands where the file should be; move it away and run the command again",
    errno.ENOTDIR: "a file stands where a directory of that path should be; move it away and run the command again",
    errno.EEXIST: "a file stands where the directory {dir} should be; move it away and run the command again",
}


def write_atomic(path: Path, data: str | bytes, *, fsync: Callable[[int], None] = os.fsync) -> None:
    """Replace path with data in one rename, so an interrupted write leaves the old file intact.

    The new file keeps the mode of the file it replaces; a new file gets the mode the umask gives (0666 & ~umask),
    as `open` would. fsync is the call that makes the bytes durable before the rename (a parameter, so a test can
    make it fail as a full disk does).

    Raises:
        WriteError: the file cannot be written; the old file, if any, is unchanged and no temporary file is left.
    """
    raw = data.encode() if isinstance(data, str) else data
    _replace(path, lambda handle: handle.write(raw), fsync)


def copy_atomic(source: Path, path: Path) -> None:
    """Replace path with a copy of source's bytes as write_atomic does, streamed (a toolchain is 100 MB).

    Raises:
        InputError: source cannot be read.
        WriteError: path cannot be written; the old file, if any, is unchanged and no temporary file is left.
    """
    try:
        src = source.open("rb")
    except OSError as exc:
        msg = f"{source}: cannot read ({exc.strerror})"
        raise InputError(msg) from None
    with src:
        _replace(path, lambda handle: shutil.copyfileobj(src, handle, 1 << 20), os.fsync)


def write_all_atomic(files: Sequence[tuple[Path, str | bytes]], *, fsync: Callable[[int], None] = os.fsync) -> None:
    """Replace every path with its data, or none of them: each is staged beside its target (as write_atomic
    does, mode kept) before the first rename, so a full disk or a refused directory leaves the old set whole.

    Renames within a directory need no space, and a directory where a file should be is refused before any
    rename, so once all are staged only a crash between two renames could leave a mixed set; a reader never
    sees half a file.

    Raises:
        WriteError: a file cannot be written (naming it); no target is changed and no temporary file is left.
    """
    for path, _ in files:
        if path.is_dir():
            raise write_error(path, IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR)))
    staged: list[tuple[Path, Path]] = []
    try:
        for path, data in files:
            raw = data.encode() if isinstance(data, str) else data
            staged.append((_stage(path, lambda handle, raw=raw: handle.write(raw), fsync), path))
        for tmp, path in staged:
            try:
                tmp.replace(path)
            except OSError as exc:
                raise write_error(path, exc) from None
    finally:
        for tmp, _ in staged:
            _discard(tmp)


def _replace(path: Path, fill: Callable[[BinaryIO], object], fsync: Callable[[int], None]) -> None:
    tmp = _stage(path, fill, fsync)
    try:
        tmp.replace(path)
    except OSError as exc:
        raise write_error(path, exc) from None
    finally:
        _discard(tmp)


def _stage(path: Path, fill: Callable[[BinaryIO], object], fsync: Callable[[int], None]) -> Path:
    """A temporary file beside path, filled and durable, with path's mode if it exists; returns its name.

    Raises:
        WriteError: it cannot be made or written (the temporary file is removed).
    """
    tmp: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            mode: int | None = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            mode = None
        # Creating it with 0666 lets the kernel apply the umask, which mkstemp's fixed 0600 would hide.
        name = _temporary_name(path)
        # Held: a signal between the open and the assignment would leave a file nothing knows to remove.
        with interrupts.held():
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
            tmp = name
        with os.fdopen(fd, "wb") as handle:
            if mode is not None:
                os.fchmod(handle.fileno(), mode)
            fill(handle)
            handle.flush()
            fsync(handle.fileno())
    except OSError as exc:
        _discard(tmp)
        raise write_error(path, exc) from None
    except BaseException:
        _discard(tmp)
        raise
    return name


def write_error(path: Path, exc: OSError) -> WriteError:
    """The one message for a file or directory at path that could not be written, with what to do about it."""
    remedy = REMEDIES.get(exc.errno or 0, "").format(dir=path.parent)
    return WriteError(path, exc.strerror or str(exc), remedy)


def _temporary_name(path: Path) -> Path:
    # Random and created exclusively, so it never touches another writer's file; hidden beside its target, so
    # the rename that publishes it stays on one file system.
    return path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")


@contextlib.contextmanager
def replacing_directory(path: Path) -> Iterator[Path]:
    """A new, empty directory beside path that takes path's place when the block ends without error, and is
    removed otherwise: a reader finds the old directory or the whole new one, never half of it. (A directory
    cannot be renamed over a non-empty one, so the old one is moved aside first and removed last.)

    Raises:
        WriteError: the directory cannot be made or moved into place.
    """
    tmp = _temporary_name(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.mkdir()
    except OSError as exc:
        raise write_error(path, exc) from None
    try:
        yield tmp
        old = _temporary_name(path)
        aside = False
        try:
            if path.exists():
                path.rename(old)
                aside = True
            tmp.rename(path)
        except OSError as exc:
            if aside:
                with contextlib.suppress(OSError):
                    old.rename(path)
            raise write_error(path, exc) from None
        if aside:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _discard(tmp: Path | None) -> None:
    # tmp is set only once this call created the file, so another writer's file is never removed. A failure to
    # remove it must not hide the error that made the write fail.
    if tmp is not None:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def temporary_directory(prefix: str) -> Iterator[Path]:
    """A new directory in $TMPDIR for the block, removed with everything in it as the block ends, however it ends.

    Unlike tempfile.TemporaryDirectory, a signal can cut neither its creation from its registration nor its
    removal in two (either would leave it behind): both are held, and the signal comes once they are done.
    """
    path: Path | None = None
    try:
        with interrupts.held():
            path = Path(tempfile.mkdtemp(prefix=prefix))
        yield path
    finally:
        if path is not None:
            with interrupts.held():
                shutil.rmtree(path)
