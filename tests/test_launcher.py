"""The rootstock command (python/bin/rootstock): Python started with SIGINT and SIGTERM blocked, so that a
Ctrl-C at any moment of start-up is the one line and exit code, never a traceback of Python's own."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from common_support import REPO

LAUNCHER = REPO / "python" / "bin" / "rootstock"
# What the virtualenv's bin/ holds: dev/setup installs the package, and pip copies the launcher there as it is.
INSTALLED = Path(sys.executable).parent / "rootstock"


def blocked_signals(status: str) -> set[int]:
    """The signals a /proc/PID/status text says are blocked."""
    mask = int(next(line for line in status.splitlines() if line.startswith("SigBlk:")).split()[1], 16)
    return {signum for signum in range(1, 65) if mask & (1 << (signum - 1))}


def test_the_installed_command_is_the_launcher() -> None:
    assert INSTALLED.read_bytes() == LAUNCHER.read_bytes()


def test_python_starts_with_the_signals_blocked_and_no_current_directory_on_its_path(tmp_path: Path) -> None:
    # A stand-in python3 beside the launcher reports what it was started with; the launcher is reached through a
    # symlink elsewhere, as from a user's ~/bin, and still finds the Python beside its real path.
    bin_dir, elsewhere = tmp_path / "venv" / "bin", tmp_path / "elsewhere"
    bin_dir.mkdir(parents=True)
    elsewhere.mkdir()
    shutil.copy(LAUNCHER, bin_dir / "rootstock")
    python = bin_dir / "python3"
    # Python, not sh: dash unblocks every signal as it starts.
    python.write_text(f"#!{sys.executable}\nimport sys\nprint(open('/proc/self/status').read())\nprint(sys.argv[1:])\n")
    python.chmod(0o755)
    (elsewhere / "rootstock").symlink_to(bin_dir / "rootstock")
    done = subprocess.run(
        [elsewhere / "rootstock", "--version", "two words"], capture_output=True, text=True, check=True
    )
    assert {signal.SIGINT, signal.SIGTERM} <= blocked_signals(done.stdout)
    assert done.stdout.splitlines()[-1] == str(["-P", "-m", "rootstock", "--version", "two words"])


@pytest.mark.parametrize(("signal_name", "code"), [("INT", 130), ("TERM", 143)])
def test_a_signal_pending_from_the_start_is_the_one_line_and_its_code(signal_name: str, code: int) -> None:
    # Sent before the launcher runs, to a process that has it blocked: it waits through the launcher and
    # Python's start-up and is delivered when rootstock's handlers are in place.
    pending = ["env", f"--block-signal={signal_name}", "sh", "-c", f'kill -{signal_name} $$; exec "$0" "$@"']
    done = subprocess.run([*pending, INSTALLED, "--version"], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stderr, done.stdout) == (code, "rootstock: interrupted\n", "")


def test_a_ctrl_c_at_any_moment_of_start_up_is_never_a_traceback() -> None:
    # Delays across the launcher's shell, env, Python's start-up and the imports: each run ends by the signal
    # in the shell (no output) or as rootstock's one line, or finishes first; Python's own traceback (what a
    # Ctrl-C in site or runpy gives without the launcher) never comes.
    outcomes = set()
    for step in range(24):
        child = subprocess.Popen(
            [INSTALLED, "--version"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        time.sleep(step * 0.004)
        with contextlib.suppress(ProcessLookupError):  # finished first
            os.killpg(child.pid, signal.SIGINT)
        out, err = child.communicate(timeout=10)
        assert "Traceback" not in err
        outcome = (child.returncode, err, out)
        assert outcome in {
            (-signal.SIGINT, "", ""),
            (130, "rootstock: interrupted\n", ""),
            (0, "", "rootstock 0.1.0\n"),
        }
        outcomes.add(child.returncode)
    assert 130 in outcomes  # some signals did land in Python's start-up, where the blocking matters
