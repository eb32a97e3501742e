"""Signals as exceptions: SIGTERM unwinds like Ctrl-C, a held step is never cut in two, and the fault script."""

from __future__ import annotations

import os
import signal

import pytest

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


def test_a_held_signal_is_raised_where_the_block_asks_for_it_and_only_there() -> None:
    steps = []
    with interrupts.as_exceptions(), pytest.raises(KeyboardInterrupt), interrupts.held():
        interrupts.raise_held()  # nothing arrived yet: no-op
        os.kill(os.getpid(), signal.SIGINT)
        steps.append("between the library's calls")
        interrupts.raise_held()
        steps.append("not reached")
    assert steps == ["between the library's calls"]
