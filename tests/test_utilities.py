"""The pure utilities (hash, sbom check-static) run anywhere, with no checkout, and refuse what has no bytes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from common_support import REPO
from rootstock.cli import main
from rootstock.core.nar import flat_hash, nar_hash
from rootstock.host import proc
from rootstock.options import find_root

# Far longer than any of these commands takes, far shorter than forever: a read that blocks fails the test.
TIMEOUT = 30


def rootstock_in_subprocess(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI as a user would, in cwd, with a deadline: for a path whose reading could block."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "python")}
    return subprocess.run(
        [sys.executable, "-m", "rootstock", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The working directory, with no pins.toml in it or above it."""
    directory = tmp_path / "elsewhere"
    directory.mkdir()
    assert find_root(directory) is None
    monkeypatch.chdir(directory)
    return directory


def test_hash_needs_no_checkout(elsewhere: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (elsewhere / "file").write_bytes(b"abc")
    (elsewhere / "tree").mkdir()
    (elsewhere / "tree" / "leaf").write_text("leaf\n")
    assert main(["hash", "file", "file"]) == 0
    assert capsys.readouterr().out == f"{flat_hash(elsewhere / 'file').sri}  file\n"
    assert main(["hash", "path", "tree"]) == 0
    assert capsys.readouterr().out == f"{nar_hash(elsewhere / 'tree').sri}  tree\n"


def test_check_static_needs_no_checkout(elsewhere: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (elsewhere / "a.c").write_text("int main(void) { return 0; }\n")
    proc.run(["gcc", "-static", "-o", "static", "a.c"], cwd=elsewhere)
    assert main(["sbom", "check-static", "static"]) == 0
    assert "static: static ET_EXEC" in capsys.readouterr().out


@pytest.mark.usefixtures("elsewhere")
def test_a_command_that_reads_the_checkout_still_asks_for_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pins", "list"]) == 3
    assert capsys.readouterr().err == (
        "rootstock: error: no pins.toml here or in any parent directory; pass --root or set ROOTSTOCK_ROOT\n"
    )


@pytest.mark.parametrize("action", ["file", "path"])
@pytest.mark.parametrize("special", ["fifo", "/dev/zero"])
def test_a_fifo_or_an_endless_device_is_refused_without_reading(elsewhere: Path, action: str, special: str) -> None:
    # Nobody writes to the FIFO: opening it would wait forever, and reading /dev/zero never ends.
    os.mkfifo(elsewhere / "fifo")
    done = rootstock_in_subprocess(elsewhere, "hash", action, special)
    assert (done.returncode, done.stdout) == (3, "")
    kind = "a fifo" if special == "fifo" else "a character device"
    expected = (
        f"not a regular file ({kind}); expected the file to hash"
        if action == "file"
        else "only regular files, directories and symlinks can be stored in Nix"
    )
    assert done.stderr == f"rootstock: error: {special}: {expected}\n"


def test_hash_file_refuses_a_socket_and_a_symlink_to_a_fifo(
    elsewhere: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind("socket")  # relative: a socket path is limited to 108 bytes
    os.mkfifo(elsewhere / "fifo")
    (elsewhere / "to-fifo").symlink_to("fifo")
    assert main(["hash", "file", "socket"]) == 3
    assert (
        capsys.readouterr().err
        == "rootstock: error: socket: not a regular file (a socket); expected the file to hash\n"
    )
    assert main(["hash", "file", "to-fifo"]) == 3
    assert (
        capsys.readouterr().err == "rootstock: error: to-fifo: not a regular file (a fifo); expected the file to hash\n"
    )


@pytest.mark.usefixtures("elsewhere")
def test_hash_file_points_a_directory_to_hash_path(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hash", "file", "."]) == 3
    assert "'rootstock hash path' hashes a tree" in capsys.readouterr().err
