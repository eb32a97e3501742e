"""write_atomic, copy_atomic, replacing_directory: the old file or directory or the new one, never half of it, with
the mode the user gave or the umask gives; temporary_directory: gone afterwards, however the block ends; the input
readers: a FIFO, socket or device refused at once, bytes that are not UTF-8 and JSON too deep one message each."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from rootstock import interrupts
from rootstock.core.files import (
    JsonError,
    copy_atomic,
    loads_json,
    read_input_text,
    replacing_directory,
    require_directory,
    temporary_directory,
    write_all_atomic,
    write_atomic,
)
from rootstock.errors import InputError, WriteError


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


@pytest.fixture
def restore_umask() -> Iterator[None]:
    """Put the process umask back after a test sets its own (os.umask can only be read by setting it)."""
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.mark.parametrize("kept", [0o644, 0o755, 0o600])
def test_replacing_a_file_keeps_its_mode(tmp_path: Path, kept: int) -> None:
    target = tmp_path / "pins.toml"
    target.write_text("old\n")
    target.chmod(kept)
    write_atomic(target, "new\n")
    assert target.read_text() == "new\n"
    assert mode(target) == kept


@pytest.mark.usefixtures("restore_umask")
@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_a_new_file_gets_the_mode_the_umask_gives(tmp_path: Path, mask: int, expected: int) -> None:
    os.umask(mask)
    target = tmp_path / "nix" / "generated" / "pins.nix"
    write_atomic(target, b"{ }\n")
    assert target.read_bytes() == b"{ }\n"
    assert mode(target) == expected


@pytest.mark.parametrize(
    ("err", "remedy"),
    [(errno.ENOSPC, "is full; free some space"), (errno.EROFS, "read-only file system"), (errno.EIO, "")],
)
def test_a_failing_write_leaves_the_old_file_and_no_temporary_file(tmp_path: Path, err: int, remedy: str) -> None:
    target = tmp_path / "pins.toml"
    target.write_text("old\n")

    def failing_fsync(_fd: int) -> None:
        raise OSError(err, os.strerror(err))

    with pytest.raises(WriteError) as info:
        write_atomic(target, "new\n", fsync=failing_fsync)
    message = str(info.value)
    assert message.startswith(f"cannot write {target}: {os.strerror(err)}")
    assert remedy in message
    assert target.read_text() == "old\n"
    assert leftovers(tmp_path) == []


def test_a_directory_where_the_file_should_be(tmp_path: Path) -> None:
    target = tmp_path / "stages.nix"
    target.mkdir()
    with pytest.raises(WriteError, match="a directory stands where the file should be"):
        write_atomic(target, "{ }\n")
    assert target.is_dir()
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("depth", [1, 2])
def test_a_file_where_a_parent_directory_should_be(tmp_path: Path, depth: int) -> None:
    (tmp_path / "nix").write_text("not a directory\n")
    target = tmp_path / "nix" / "generated" / "pins.nix" if depth == 2 else tmp_path / "nix" / "pins.nix"
    with pytest.raises(WriteError, match=r"a file stands where (the|a) directory"):
        write_atomic(target, "{ }\n")
    assert (tmp_path / "nix").read_text() == "not a directory\n"


@pytest.fixture
def immutable(tmp_path: Path) -> Iterator[Path]:
    """A directory nobody may write into, not even root (chattr +i), where the file system supports it."""
    directory = tmp_path / "locked"
    directory.mkdir()
    (directory / "pins.toml").write_text("old\n")
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", directory], check=False, capture_output=True).returncode:
        pytest.skip("chattr +i is not available here")
    yield directory
    subprocess.run([chattr, "-i", directory], check=True)


def test_a_directory_that_refuses_writes(immutable: Path) -> None:
    target = immutable / "pins.toml"
    with pytest.raises(WriteError) as info:
        write_atomic(target, "new\n")
    assert str(info.value).startswith(f"cannot write {target}: Operation not permitted")
    assert "immutable" in str(info.value)
    assert target.read_text() == "old\n"
    assert leftovers(immutable) == []


def test_a_copy_replaces_the_file_whole_and_keeps_its_mode(tmp_path: Path) -> None:
    source = tmp_path / "toolchain.whl"
    source.write_bytes(os.urandom(3 << 20))
    target = tmp_path / "mirror" / "files" / "sha256-x"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"old")
    target.chmod(0o640)
    copy_atomic(source, target)
    assert target.read_bytes() == source.read_bytes()
    assert mode(target) == 0o640
    assert leftovers(target.parent) == []


def test_a_copy_that_cannot_be_written_leaves_nothing(tmp_path: Path) -> None:
    source = tmp_path / "file"
    source.write_text("bytes\n")
    (tmp_path / "files").write_text("a file where the directory should be\n")
    with pytest.raises(WriteError, match=f"cannot write {tmp_path / 'files' / 'sha256-x'}: "):
        copy_atomic(source, tmp_path / "files" / "sha256-x")


def test_a_directory_is_replaced_whole_or_not_at_all(tmp_path: Path) -> None:
    target = tmp_path / "git" / "x.git"
    target.mkdir(parents=True)
    (target / "old").write_text("old\n")
    with pytest.raises(KeyboardInterrupt), replacing_directory(target) as new:
        (new / "half").write_text("half\n")
        raise KeyboardInterrupt
    assert sorted(p.name for p in target.iterdir()) == ["old"]
    with replacing_directory(target) as new:
        (new / "new").write_text("new\n")
        assert sorted(p.name for p in target.iterdir()) == ["old"]  # a reader still sees the old one
    assert sorted(p.name for p in target.iterdir()) == ["new"]
    assert leftovers(target.parent) == []


def test_a_directory_that_cannot_be_made(immutable: Path) -> None:
    with (
        pytest.raises(WriteError, match="Operation not permitted") as info,
        replacing_directory(immutable / "x.git"),
    ):
        pytest.fail("the block must not run")
    assert "immutable" in str(info.value)
    assert leftovers(immutable) == []


def test_a_temporary_directory_is_gone_after_the_block(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with temporary_directory("rootstock-test-") as tmp:
        (tmp / "sub").mkdir()
        (tmp / "sub" / "file").write_text("x")
        assert tmp.parent == tmp_path
        assert tmp.name.startswith("rootstock-test-")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("moment", ["creation", "removal"])
def test_a_signal_cuts_neither_the_creation_nor_the_removal_of_a_temporary_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, moment: str
) -> None:
    # The signal arrives inside mkdtemp or inside rmtree (after its first file): it is raised once either is done.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    real_mkdtemp, real_unlink = tempfile.mkdtemp, os.unlink

    def mkdtemp(**kwargs: str) -> str:
        made = real_mkdtemp(**kwargs)
        os.kill(os.getpid(), signal.SIGINT)
        return made

    def unlink(path: str, *, dir_fd: int | None = None) -> None:
        real_unlink(path, dir_fd=dir_fd)
        os.kill(os.getpid(), signal.SIGINT)

    if moment == "creation":
        monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)
    body = []
    with (
        interrupts.as_exceptions(),
        pytest.raises(KeyboardInterrupt),
        temporary_directory("rootstock-test-") as tmp,
    ):
        body.append("ran")
        for name in ("a", "b", "c"):
            (tmp / name).write_text(name)
        if moment == "removal":
            monkeypatch.setattr(os, "unlink", unlink)
    monkeypatch.undo()
    assert body == ([] if moment == "creation" else ["ran"])
    assert list(tmp_path.iterdir()) == []


def test_a_set_is_written_whole_or_not_at_all(tmp_path: Path) -> None:
    first, second = tmp_path / "trust.html", tmp_path / "trust.json"
    first.write_text("old page\n")
    calls = []

    def full_on_second(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.raises(WriteError, match=f"cannot write {second}: No space left on device"):
        write_all_atomic([(first, "new page\n"), (second, "{}\n")], fsync=full_on_second)
    assert first.read_text() == "old page\n" and not second.exists()
    assert leftovers(tmp_path) == []
    write_all_atomic([(first, "new page\n"), (second, "{}\n")])
    assert (first.read_text(), second.read_text()) == ("new page\n", "{}\n")


def test_a_directory_in_the_set_stops_it_before_any_file_is_replaced(tmp_path: Path) -> None:
    first, taken = tmp_path / "trust.html", tmp_path / "trust.svg"
    first.write_text("old page\n")
    taken.mkdir()
    with pytest.raises(WriteError, match="a directory stands where the file should be"):
        write_all_atomic([(first, "new page\n"), (taken, "<svg/>\n")])
    assert first.read_text() == "old page\n" and leftovers(tmp_path) == []


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    """A FIFO that a writer holds open, so a reader that blocked on it would read EOF instead of hanging the run."""
    path = tmp_path / "fifo"
    os.mkfifo(path)
    reader = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    writer = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    yield path
    os.close(writer)
    os.close(reader)


def test_a_fifo_is_refused_naming_what_it_was_for(fifo: Path) -> None:
    with pytest.raises(InputError) as caught:
        read_input_text(fifo, "pins file")
    assert str(caught.value) == f"{fifo}: not a regular file (a fifo); expected the pins file"


def test_a_fifo_nobody_writes_is_refused_at_once(tmp_path: Path) -> None:
    # In a child with a deadline: a blocking open would wait for a writer for ever.
    os.mkfifo(tmp_path / "fifo")
    code = (
        "from pathlib import Path; from rootstock.core.files import read_input_text; "
        f"read_input_text(Path({str(tmp_path / 'fifo')!r}), 'SBOM')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=20, check=False)
    assert "not a regular file (a fifo); expected the SBOM" in done.stderr


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/dev/null", "/dev/null: not a regular file (a character device); expected the key"),
        ("/", "/: a directory, not a file; expected the key"),
        ("/nonexistent/key", "/nonexistent/key: key not found"),
    ],
)
def test_a_device_a_directory_and_a_missing_file(path: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        read_input_text(Path(path), "key")
    assert str(caught.value) == message


def test_a_socket_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind("sock")  # relative: a socket path is limited to 108 bytes
        with pytest.raises(InputError, match=r"^sock: not a regular file \(a socket\); expected the feed$"):
            read_input_text(Path("sock"), "feed")


def test_text_that_is_not_utf8_names_the_byte_and_its_offset(tmp_path: Path) -> None:
    path = tmp_path / "stages.toml"
    path.write_bytes(b"[steps]\n\x80")
    with pytest.raises(InputError) as caught:
        read_input_text(path, "stage graph")
    assert str(caught.value) == f"{path}: not UTF-8 text (byte 0x80 at offset 8); expected the stage graph"


def test_json_nested_too_deeply_is_a_json_error_not_a_recursion_error() -> None:
    with pytest.raises(JsonError, match="nested too deeply"):
        loads_json("[" * 100_000)
    with pytest.raises(JsonError, match="byte 0xff at offset 1"):
        loads_json(b"[\xff]")
    assert loads_json(b"[1]") == [1]


def test_a_file_where_a_directory_should_be_is_refused(tmp_path: Path) -> None:
    (tmp_path / "logs").write_text("")
    with pytest.raises(InputError) as caught:
        require_directory(tmp_path / "logs", "--log-dir")
    assert str(caught.value) == f"--log-dir {tmp_path / 'logs'}: not a directory (a regular file stands there)"
    require_directory(tmp_path / "absent", "--log-dir")  # made when written
    require_directory(tmp_path, "--log-dir")
