"""The one door to external programs: argv only, typed results, one error type with what failed."""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from rootstock.errors import CommandError, ToolMissingError
from rootstock.host import proc


def test_result_is_typed() -> None:
    done = proc.run(["sh", "-c", "printf out; printf err >&2"])
    assert (done.exit_code, done.stdout, done.stderr) == (0, "out", "err")


def test_failure_carries_command_exit_code_and_stderr_tail() -> None:
    with pytest.raises(CommandError) as info:
        proc.run(["sh", "-c", "for i in $(seq 1 40); do echo line$i >&2; done; exit 3"])
    error = info.value
    assert error.exit_code_of_command == 3
    assert error.argv[0] == "sh"
    assert error.stderr_tail.splitlines()[-1] == "line40"
    assert "line1\n" not in error.stderr_tail


def test_missing_program_names_it() -> None:
    with pytest.raises(ToolMissingError, match="'no-such-program-here' is not installed"):
        proc.run(["no-such-program-here"])


def test_unexecutable_program_is_a_command_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk"
    junk.write_bytes(b"\x7fELF not really")
    junk.chmod(0o755)
    with pytest.raises(CommandError, match="exit 126"):
        proc.run([junk])


def test_shell_strings_are_refused() -> None:
    with pytest.raises(TypeError, match="argv list"):
        proc.run("echo hi")  # type: ignore[arg-type]


def test_a_program_still_open_for_writing_runs_once_it_is_closed(tmp_path: Path) -> None:
    # What a fork in another thread does to a freshly written program: ETXTBSY until the writer lets go.
    program = tmp_path / "true"
    shutil.copy("/bin/true", program)
    writer = program.open("r+b")
    threading.Timer(0.1, writer.close).start()
    assert proc.run([str(program)]).exit_code == 0


def test_a_program_busy_for_good_fails_with_126(tmp_path: Path) -> None:
    program = tmp_path / "true"
    shutil.copy("/bin/true", program)
    with program.open("r+b"), pytest.raises(CommandError) as caught:
        proc.run([str(program)])
    assert caught.value.exit_code_of_command == 126
    assert "Text file busy" in caught.value.stderr_tail


def test_stderr_lines_reach_the_callback_in_order_on_the_calling_thread() -> None:
    seen: list[tuple[int, str]] = []
    done = proc.run(
        ["sh", "-c", "for i in $(seq 1 2000); do echo line$i >&2; done; echo out"],
        on_stderr_line=lambda line: seen.append((threading.get_ident(), line)),
    )
    assert {thread for thread, _ in seen} == {threading.get_ident()}
    assert [line for _, line in seen] == [f"line{i}" for i in range(1, 2001)]
    assert done.stdout == "out\n"
    assert done.stderr.splitlines()[-1] == "line2000"


def test_a_failing_program_with_a_callback_raises_with_its_stderr_tail() -> None:
    seen: list[str] = []
    with pytest.raises(CommandError) as info:
        proc.run(["sh", "-c", "echo first >&2; echo last >&2; exit 4"], on_stderr_line=seen.append)
    assert seen == ["first", "last"]
    assert info.value.exit_code_of_command == 4
    assert info.value.stderr_tail == "first\nlast"


def children() -> list[str]:
    """The commands of this process's living children (zombies too: an unreaped child was not cleaned up)."""
    listing = proc.run(["ps", "-o", "args=", "--ppid", str(os.getpid())], ok_codes=(0, 1)).stdout
    return [line for line in listing.splitlines() if not line.startswith("ps ")]


@pytest.mark.parametrize("on_stderr_line", [None, print])
def test_an_interrupt_ends_the_program(on_stderr_line: Callable[[str], None] | None) -> None:
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    started = time.monotonic()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        proc.run(["sleep", "30"], on_stderr_line=on_stderr_line)
    assert time.monotonic() - started < 1.3
    assert not [child for child in children() if "sleep" in child]


def test_an_exception_from_the_callback_ends_the_program() -> None:
    def refuse(line: str) -> None:
        raise ValueError(line)

    with pytest.raises(ValueError, match="stop here"):
        proc.run(["sh", "-c", "echo 'stop here' >&2; exec sleep 30"], on_stderr_line=refuse)
    assert not [child for child in children() if "sleep" in child]


def test_without_inherit_env_the_program_sees_only_the_given_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROOTSTOCK_TEST_LEAK", "leaked")
    env = shutil.which("env")
    assert env is not None
    inherited = proc.run([env], env={"ONLY": "this"}).stdout.splitlines()
    assert "ROOTSTOCK_TEST_LEAK=leaked" in inherited
    assert "ONLY=this" in inherited
    assert proc.run([env], env={"ONLY": "this"}, inherit_env=False).stdout.splitlines() == ["ONLY=this"]
