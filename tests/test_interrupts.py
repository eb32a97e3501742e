"""Signals as exceptions: SIGTERM unwinds like Ctrl-C, a held step is never cut in two, and the fault script."""

from __future__ import annotations

import os
import signal
import time
import weakref

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


def test_a_signal_inside_a_callback_python_cannot_raise_from_comes_again_outside_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A weakref callback (as the import system's module locks have) where the handler runs: Python would print
    # "Exception ignored" and drop the interrupt.
    class Thing:
        pass

    def callback(_ref: object) -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(1000):  # bytecodes, between which the handler runs
            pass

    steps = []
    with interrupts.as_exceptions(), pytest.raises(interrupts.Terminated):
        thing = Thing()
        ref = weakref.ref(thing, callback)
        del thing
        steps.append("after the callback")
        time.sleep(5)  # the signal comes again within it
        steps.append("not reached")
    assert ref() is None
    assert steps == ["after the callback"]
    assert "Exception ignored" not in capsys.readouterr().err
