"""The one door to external programs: argv only, typed results, one error type with what failed."""

from __future__ import annotations

import shutil
import threading
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
