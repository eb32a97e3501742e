"""The CLI border: where progress and command lines go at each loudness, what start-up imports, exit codes."""

from __future__ import annotations

import base64
import builtins
import errno
import io
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import nacl.signing
import pytest

from common_support import PLACEHOLDER, REPO
from rootstock.__main__ import run
from rootstock.cli import main
from rootstock.core.nar import flat_hash


@pytest.fixture
def seed_checkout(checkout: Path, tmp_path: Path) -> Path:
    """A checkout pinning one local file, so `pins verify` runs nix-prefetch-url and nothing slower."""
    seed = tmp_path / "seed"
    seed.write_bytes(b"seed\n")
    (checkout / "pins.toml").write_text(
        f'[pins.seed]\nkind = "file"\nurls = ["{seed.as_uri()}"]\nhash = "{flat_hash(seed).sri}"\n'
    )
    return checkout


@pytest.mark.usefixtures("nix_store")
def test_progress_on_stderr_results_on_stdout(seed_checkout: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(seed_checkout), "pins", "verify"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("seed: ok (sha256-")
    assert err == "[1/1] verifying seed\n"


@pytest.mark.usefixtures("nix_store")
def test_quiet_hides_progress_but_not_errors(seed_checkout: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-q", "--root", str(seed_checkout), "pins", "verify"]) == 0
    assert capsys.readouterr().err == ""
    assert main(["-q", "--root", str(seed_checkout), "pins", "verify", "nothing"]) == 3
    assert capsys.readouterr().err.startswith("rootstock: error: no pin named 'nothing'")


@pytest.mark.usefixtures("nix_store")
def test_verbose_shows_the_commands_run_but_not_the_sh_library(
    seed_checkout: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["-v", "--root", str(seed_checkout), "pins", "verify"]) == 0
    lines = capsys.readouterr().err.splitlines()
    assert "[1/1] verifying seed" in lines
    assert any(line.startswith("$ nix-prefetch-url ") for line in lines)
    # sh logs every process event under loggers named sh.*, each message naming "<Command '...', pid N>".
    assert not [line for line in lines if re.search(r", pid \d+>", line)]


def test_quiet_and_verbose_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["-q", "-v", "pins", "list"])
    assert exited.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_version_anywhere_before_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["-q", "--root", "/nonexistent", "--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("rootstock ")


@pytest.mark.parametrize(
    "start_up",
    ["import rootstock.cli", "import rootstock.cli; rootstock.cli.build_parser()"],
    ids=["import", "full parser"],
)
def test_start_up_imports_no_heavy_library(start_up: str) -> None:
    # Every run imports the CLI and builds its parser from every command module (`--help` does no more): that
    # is start-up time (benchmarks/startup_bench.py); the libraries below are imported by the handlers that use them.
    heavy = ("capstone", "jinja2", "cattrs", "sh", "cyclonedx", "spdx_tools", "attrs")
    probe = f"import sys; {start_up}; print(' '.join(m for m in {heavy!r} if m in sys.modules))"
    env = {"PYTHONPATH": str(REPO / "python")}
    done = subprocess.run([sys.executable, "-c", probe], env=env, check=True, capture_output=True, text=True)
    assert done.stdout.split() == []


def exit_of(argv: list[str]) -> int:
    """main's status, whether it returns it or argparse exits with it."""
    try:
        return main(argv)
    except SystemExit as exited:
        assert isinstance(exited.code, int)
        return exited.code


def seed_changed(root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    (tmp_path / "seed").write_bytes(b"not the pinned seed\n")
    return ["pins", "verify"]


def pins_malformed(root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    (root / "pins.toml").write_text("[pins.seed\n")
    return ["pins", "list"]


def mirror_empty(root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    (tmp_path / "mirror").mkdir()
    return ["--mirror", str(tmp_path / "mirror"), "pins", "verify"]


def mirror_a_file(root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    (tmp_path / "mirror").write_text("not a directory\n")
    monkeypatch.setenv("ROOTSTOCK_MIRROR", str(tmp_path / "mirror"))
    return ["pins", "verify"]


def mirror_nonexistent(root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    return ["--mirror", str(tmp_path / "no-such-mirror"), "pins", "verify"]


def pins_emptied(root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    (root / "pins.toml").write_text("")
    return ["pins", "verify"]


def nix_missing(root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    (tmp_path / "empty-bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    return ["pins", "verify"]


def generated_unwritable(root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    # A file where nix/generated/ should be: what root cannot write either (permissions do not stop root).
    (root / "nix" / "generated").write_text("in the way\n")
    return ["render"]


class FullDisk(io.StringIO):
    def write(self, text: str) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def stdout_on_a_full_disk(root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    # `rootstock hash file seed > /full/disk/out`: an OSError no RootstockError anticipates is the machine's too.
    monkeypatch.setattr(sys, "stdout", FullDisk())
    return ["hash", "file", str(tmp_path / "seed")]


def argv_only(*words: str) -> Callable[[Path, Path, pytest.MonkeyPatch], list[str]]:
    return lambda root, tmp_path, monkeypatch: list(words)


@pytest.mark.usefixtures("nix_store")
@pytest.mark.parametrize(
    "case",
    [
        (argv_only("pins", "verify"), 0, "seed: ok"),
        (seed_changed, 1, "hash mismatch for pin 'seed'"),
        (argv_only("pins", "frobnicate"), 2, "invalid choice"),
        (argv_only("-q", "-v", "pins", "list"), 2, "not allowed with argument"),
        (pins_malformed, 3, "malformed TOML"),
        (argv_only("pins", "verify", "nothing"), 3, "no pin named 'nothing'"),
        (argv_only("hash", "file", "/nonexistent/seed"), 3, "/nonexistent/seed"),
        (mirror_empty, 3, "is not in the mirror"),
        (mirror_a_file, 3, "is not a directory: expected a mirror directory"),
        (mirror_nonexistent, 3, "--mirror: mirror directory "),
        (argv_only("--mirror", "", "pins", "verify"), 2, "argument --mirror: an empty path names no file"),
        (pins_emptied, 3, "pins.toml: defines no pins"),
        (nix_missing, 4, "required program 'nix-prefetch-url' is not installed"),
        (generated_unwritable, 4, "cannot write"),
        (stdout_on_a_full_disk, 4, "No space left on device"),
    ],
    ids=[
        "ok",
        "hash-mismatch",
        "unknown-command",
        "conflicting-options",
        "malformed-pins",
        "unknown-pin",
        "missing-file",
        "mirror-lacks-pin",
        "mirror-not-a-directory",
        "mirror-nonexistent",
        "mirror-empty-string",
        "pins-emptied",
        "tool-missing",
        "cannot-write",
        "full-disk",
    ],
)
def test_exit_codes(
    case: tuple[Callable[[Path, Path, pytest.MonkeyPatch], list[str]], int, str],
    seed_checkout: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup, code, word = case
    argv = ["--root", str(seed_checkout), *setup(seed_checkout, tmp_path, monkeypatch)]
    assert exit_of(argv) == code
    out, err = capsys.readouterr()
    assert word in (out if code == 0 else err)
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "argv",
    [
        ["build", "stage0", "--jobs", "0"],
        ["build", "stage1", "--jobs", "-3"],
        ["build", "nix-static", "--cores", "two"],
        ["stages", "repin", "--jobs", "0"],
    ],
    ids=["no-jobs", "negative-jobs", "cores-not-a-number", "repin-no-jobs"],
)
def test_counts_below_one_are_usage_errors_before_anything_runs(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # Nix takes --max-jobs 0 as "build nothing here" and rejects a negative only after evaluating everything.
    assert exit_of(argv) == 2
    assert "expected a whole number of at least 1" in capsys.readouterr().err


@pytest.fixture
def hanging_prefetch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A nix-prefetch-url that never ends, so a signal always arrives while rootstock waits for a child; returns
    its command line, which is this test run's alone (another `sleep` on the machine must not count as left)."""
    bin_dir = tmp_path / "hanging-bin"
    bin_dir.mkdir()
    program = bin_dir / "nix-prefetch-url"
    sleeper = f"sleep 30.{os.getpid()}"
    program.write_text(f"#!/bin/sh\nexec {sleeper}\n")
    program.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return sleeper


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"])
def test_a_signal_ends_the_command_and_its_child_with_its_code(
    signum: int, code: int, hanging_prefetch: str, seed_checkout: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    threading.Timer(0.5, os.kill, (os.getpid(), signum)).start()
    assert main(["--root", str(seed_checkout), "pins", "verify"]) == code
    err = capsys.readouterr().err
    assert err.count("rootstock: interrupted") == 1
    assert "Traceback" not in err
    sleepers = subprocess.run(["pgrep", "-fx", hanging_prefetch], capture_output=True, text=True, check=False).stdout
    assert sleepers.split() == []
    # An embedding program (here pytest) gets its own handlers back.
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before


def test_an_interrupt_while_importing_the_cli_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real_import = builtins.__import__

    def interrupted(name: str, *args: object, **kwargs: object) -> object:
        if name == "rootstock.cli":
            raise KeyboardInterrupt
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", interrupted)
    with pytest.raises(SystemExit) as exited:
        run()
    assert exited.value.code == 130
    assert capsys.readouterr().err == "rootstock: interrupted\n"


def test_a_reader_of_stdout_gone_ends_the_command_quietly(tmp_path: Path) -> None:
    # `rootstock … | head`: head has what it wanted and closed the pipe; no message, SIGPIPE's status.
    (tmp_path / "seed").write_bytes(b"x")
    read, write = os.pipe()
    os.close(read)
    command = [sys.executable, "-m", "rootstock", "hash", "file", str(tmp_path / "seed")]
    env = {**os.environ, "PYTHONPATH": str(REPO / "python")}
    done = subprocess.run(command, stdout=write, stderr=subprocess.PIPE, text=True, env=env, check=False)
    os.close(write)
    assert (done.returncode, done.stderr) == (141, "")


class ClosedPipe(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))


def test_a_broken_pipe_that_is_not_stdout_is_the_machines_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A program rootstock writes to died (stdout itself is still read): one message and the environment's code.
    (tmp_path / "seed").write_bytes(b"x")
    output = ClosedPipe()
    monkeypatch.setattr(sys, "stdout", output)
    assert main(["hash", "file", str(tmp_path / "seed")]) == 4
    assert capsys.readouterr().err == "rootstock: error: [Errno 32] Broken pipe\n"


@pytest.mark.parametrize("option", ["--root", "--pins", "--mirror"])
def test_an_empty_path_option_is_a_usage_error_not_the_working_directory(
    option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert exit_of([option, "", "pins", "list"]) == 2
    err = capsys.readouterr().err
    assert err.endswith(
        f"rootstock: error: argument {option}: an empty path names no file or directory "
        "(leave the option out instead)\n"
    )


def rootstock(*args: str | Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    """The CLI in a child with a deadline: a read that blocked on a FIFO fails the test instead of hanging it."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "python")}
    command = [sys.executable, "-m", "rootstock", *map(str, args)]
    streams = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, **kwargs}
    return subprocess.run(command, env=env, text=True, timeout=20, check=False, **streams)  # type: ignore[call-overload]


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    """A FIFO nobody writes, a JSON document 100,000 arrays deep, a CycloneDX SBOM, a key pair and a plain file."""
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "deep.json").write_text("[" * 100_000 + "\n")
    (tmp_path / "sbom.json").write_text('{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": []}')
    signing = nacl.signing.SigningKey.generate()
    public = bytes(signing.verify_key)
    (tmp_path / "key.sec").write_text("t:" + base64.b64encode(bytes(signing) + public).decode())
    (tmp_path / "key.pub").write_text("t:" + base64.b64encode(public).decode())
    (tmp_path / "file").write_text("not a directory\n")
    return tmp_path


FIFO = "fifo: not a regular file (a fifo); expected the"


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["sbom", "check", "--profile", "bsi-tr-03183-2", "fifo"], 3, f"{FIFO} SBOM"),
        (["vulns", "sbom.json", "--feed", "fifo"], 3, f"{FIFO} vulnerability feed"),
        (["vendored", "fifo"], 3, f"{FIFO} file to scan"),
        (["sbom", "check-static", "fifo"], 3, f"{FIFO} binary"),
        (["vendored", "file", "--sbom", "fifo"], 3, f"{FIFO} SBOM"),
        (["log", "verify", "--key", "fifo"], 3, f"{FIFO} public key"),
        (["log", "verify", "--key", "key.pub", "--log", "fifo"], 3, f"{FIFO} custody log"),
        (["build", "stage0", "--until", "hex0", "--sign-key", "fifo"], 3, f"{FIFO} secret key"),
        (
            ["build", "stage0", "--until", "hex0", "--sign-key", "key.sec", "--custody-log", "fifo"],
            3,
            f"{FIFO} custody log",
        ),
        (["--pins", "fifo", "pins", "list"], 3, "/fifo: not a regular file (a fifo); expected the pins file"),
        (["build", "stage0", "--until", "hex0", "--log-dir", "file"], 3, "--log-dir file: not a directory"),
        (["sbom", "check", "--profile", "bsi-tr-03183-2", "deep.json"], 3, "deep.json: not JSON (nested too deeply"),
        (["vulns", "sbom.json", "--feed", "deep.json"], 3, "deep.json: not JSON (nested too deeply"),
        (
            ["vendored", "file", "--sbom", "deep.json"],
            3,
            "deep.json: not an SBOM rootstock reads (malformed JSON: nested",
        ),
        # A line of the log that is not JSON is a file that is not a custody log, however deep its brackets.
        (
            ["log", "verify", "--key", "key.pub", "--log", "deep.json"],
            3,
            "deep.json: line 1: not a JSON object (nested",
        ),
    ],
    ids=[
        "sbom-check-fifo",
        "vulns-feed-fifo",
        "vendored-fifo",
        "check-static-fifo",
        "vendored-sbom-fifo",
        "log-key-fifo",
        "log-fifo",
        "sign-key-fifo",
        "custody-log-fifo",
        "pins-fifo",
        "log-dir-a-file",
        "sbom-check-deep",
        "vulns-feed-deep",
        "vendored-sbom-deep",
        "log-deep",
    ],
)
def test_an_input_that_is_no_regular_file_or_too_deep_is_one_message_at_once(
    argv: list[str], code: int, message: str, inputs: Path
) -> None:
    # Every build case fails before building: a FIFO custody log or a file as --log-dir after an hour's build
    # would waste the build (the deadline of 20 s would fail the test).
    done = rootstock("--root", REPO, *argv, cwd=inputs)
    assert (done.returncode, done.stdout) == (code, "")
    [line] = done.stderr.splitlines()
    assert line.startswith("rootstock: error: ")
    assert message in line


def test_a_stage_graph_that_is_a_fifo_is_refused(checkout: Path) -> None:
    (checkout / "pins.toml").write_text(
        f'[pins.seed]\nkind = "file"\nurls = ["https://example.org/s"]\nhash = "{PLACEHOLDER}"\n'
    )
    (checkout / "stages.toml").unlink()
    os.mkfifo(checkout / "stages.toml")
    done = rootstock("--root", checkout, "render", "--check")
    assert (done.returncode, done.stderr) == (
        3,
        f"rootstock: error: {checkout / 'stages.toml'}: not a regular file (a fifo); expected the stage graph\n",
    )


def test_a_stdout_closed_from_the_start_is_the_machines_error(tmp_path: Path) -> None:
    # `rootstock hash file F >&-`: Python makes sys.stdout None, and print() would drop the result silently.
    (tmp_path / "seed").write_bytes(b"x")
    done = rootstock(
        "hash",
        "file",
        tmp_path / "seed",
        stdout=None,
        stdin=subprocess.DEVNULL,
        pass_fds=(),
        preexec_fn=lambda: os.close(1),
    )
    assert (done.returncode, done.stderr) == (4, "rootstock: error: stdout is closed: nowhere to write the result\n")


def test_a_full_stdout_says_it_was_stdout(seed_checkout: Path) -> None:
    with Path("/dev/full").open("w") as full:
        done = rootstock("--root", seed_checkout, "pins", "list", stdout=full, stderr=subprocess.PIPE)
    assert (done.returncode, done.stderr) == (4, "rootstock: error: cannot write to stdout: No space left on device\n")


@pytest.mark.usefixtures("nix_store")
@pytest.mark.parametrize("action", ["list", "verify"])
def test_pins_into_a_pipe_nobody_reads_end_quietly(seed_checkout: Path, action: str) -> None:
    read, write = os.pipe()
    os.close(read)
    try:
        done = rootstock("-q", "--root", seed_checkout, "pins", action, stdout=write)
    finally:
        os.close(write)
    assert (done.returncode, done.stderr) == (141, "")
