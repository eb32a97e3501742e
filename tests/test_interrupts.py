"""Signals as exceptions: SIGTERM unwinds like Ctrl-C, a held step is never cut in two, and the fault script."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from common_support import REPO
from rootstock import interrupts


def test_a_signal_during_a_held_step_comes_when_it_ends() -> None:
    steps = []
    with interrupts.as_exceptions(), pytest.raises(interrupts.Terminated):
        with interrupts.held():
            os.kill(os.getpid(), signal.SIGTERM)
            steps.append("the held step finished")
        steps.append("not reached")
    assert steps == ["the held step finished"]


def test_only_the_first_signal_raises_so_the_unwinding_it_starts_completes() -> None:
    cleaned = False
    with interrupts.as_exceptions(), pytest.raises(KeyboardInterrupt):
        try:
            os.kill(os.getpid(), signal.SIGINT)
        finally:
            os.kill(os.getpid(), signal.SIGINT)
            cleaned = True
    assert cleaned


@pytest.mark.slow
def test_interrupted_commands_leave_nothing_behind() -> None:
    # A few runs of benchmarks/interrupt_faults.py (docs/faults.md has the table of a long run).
    script = REPO / "benchmarks" / "interrupt_faults.py"
    argv = [sys.executable, str(script), "--runs", "3", "--seed", "5", "--commands", "pins update", "build stage0"]
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "| total | 6 |" in done.stdout
