"""Writing files all at once: a reader never sees half a pins file or half a rendered tree."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from rootstock import interrupts
from rootstock.errors import WriteError

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
    tmp: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            mode: int | None = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            mode = None
        # The temporary name is random and created exclusively, so it never touches another writer's file;
        # creating it with 0666 lets the kernel apply the umask, which mkstemp's fixed 0600 would hide.
        name = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
        # Held: a signal between the open and the assignment would leave a file nothing knows to remove.
        with interrupts.held():
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
            tmp = name
        with os.fdopen(fd, "wb") as handle:
            if mode is not None:
                os.fchmod(handle.fileno(), mode)
            handle.write(raw)
            handle.flush()
            fsync(handle.fileno())
        tmp.replace(path)
    except OSError as exc:
        _discard(tmp)
        remedy = REMEDIES.get(exc.errno or 0, "").format(dir=path.parent)
        raise WriteError(path, exc.strerror or str(exc), remedy) from None
    except BaseException:
        _discard(tmp)
        raise


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
