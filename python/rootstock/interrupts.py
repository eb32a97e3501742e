"""SIGINT and SIGTERM as exceptions in the main thread, so that both unwind like Ctrl-C: every `with` and
`finally` runs (temporary directories go, child process groups are ended, no half-written file stays).

Imported before anything else at start-up, so it imports only the standard library's cheapest modules.
"""

from __future__ import annotations

import contextlib
import functools
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

from rootstock.errors import ExitCode


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived. A KeyboardInterrupt, so that whatever cleans up after Ctrl-C cleans up after it too."""


def exit_code(interrupt: KeyboardInterrupt) -> int:
    """The documented status for an interrupt: 143 for SIGTERM, 130 for SIGINT."""
    return ExitCode.TERMINATED if isinstance(interrupt, Terminated) else ExitCode.INTERRUPTED


class _State:
    """Whether signals are exceptions now, and whether one was raised: process-wide, as signal handlers are."""

    active = False
    raised = False
    holding = 0
    held: int | None = None
    # A signal whose exception Python dropped (see _redeliver), to be raised again.
    again: int | None = None


def _handler(signum: int, frame: FrameType | None) -> None:
    # Only the first signal raises. Later ones would interrupt the unwinding the first one started (removing a
    # temporary directory, waiting for a child group to end), which is short and bounded, and leave its mess.
    if _State.raised:
        return
    if _State.holding:
        _State.held = _State.held or signum
        return
    _raise(signum)


def _raise(signum: int) -> None:
    _State.raised = True
    raise Terminated if signum == signal.SIGTERM else KeyboardInterrupt


@contextlib.contextmanager
def held() -> Iterator[None]:
    """Within the block a signal waits; it is raised as the block ends, or where the block calls
    raise_held(). For code that must not be cut at an arbitrary bytecode: starting a child process
    (interrupted halfway, nothing would know the child to end it), or waiting in a library whose threads share
    locks with the waiting thread (`sh`: a lock taken just before the interrupt is never released)."""
    if threading.current_thread() is not threading.main_thread():
        # Python runs signal handlers in the main thread only; a signal held here would wait for this thread.
        yield
        return
    _State.holding += 1
    try:
        yield
    finally:
        _State.holding -= 1
        if not _State.holding and _State.held is not None:
            signum, _State.held = _State.held, None
            _raise(signum)


def raise_held() -> None:
    """Within held(): raise the signal that has arrived meanwhile, if any, here, at a point the caller knows
    holds no lock."""
    if _State.held is not None:
        signum, _State.held = _State.held, None
        _raise(signum)


@contextlib.contextmanager
def as_exceptions() -> Iterator[None]:
    """Within the block, SIGINT raises KeyboardInterrupt and SIGTERM raises Terminated (once); afterwards
    the previous handlers are back. Nested uses, and uses outside the main thread (where Python lets no one
    install a handler), change nothing."""
    if _State.active or threading.current_thread() is not threading.main_thread():
        yield
        return
    # A signal the parent ignores (a shell's background job ignores SIGINT; nohup, SIGHUP) stays ignored.
    wanted = [s for s in (signal.SIGINT, signal.SIGTERM) if signal.getsignal(s) is not signal.SIG_IGN]
    previous = {s: signal.signal(s, _handler) for s in wanted}
    _State.active, _State.raised, _State.held = True, False, None
    unraisable = sys.unraisablehook
    sys.unraisablehook = functools.partial(_redeliver, unraisable)
    alarm = signal.signal(signal.SIGALRM, _again)
    try:
        # A launcher may block both across exec (`env --block-signal=INT --block-signal=TERM rootstock ...`), so
        # that one arriving while Python starts waits for this handler instead of making Python print a
        # traceback: it is delivered here, inside the block, as the exception.
        blocked = signal.pthread_sigmask(signal.SIG_UNBLOCK, wanted)
        try:
            yield
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    finally:
        sys.unraisablehook = unraisable
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, alarm)
        _State.again = None
        for s, handler in previous.items():
            signal.signal(s, handler)
        _State.active = False


def _redeliver(fallback: Callable[[Any], object], unraisable: Any) -> None:
    # Python runs the handler between any two bytecodes of the main thread, also inside a weakref callback or a
    # __del__ (the import system's module locks have one), where an exception cannot propagate: Python prints
    # it as "Exception ignored" and drops it, and the interrupt would be lost. So it comes again a millisecond
    # later (SIGALRM; sent at once, Python would run the handler still inside the callback), outside it.
    if isinstance(unraisable.exc_value, KeyboardInterrupt) and _State.raised:
        _State.raised = False
        _State.again = signal.SIGTERM if isinstance(unraisable.exc_value, Terminated) else signal.SIGINT
        signal.setitimer(signal.ITIMER_REAL, AGAIN_SECONDS)
        return
    fallback(unraisable)


AGAIN_SECONDS = 0.001


def _again(_signum: int, frame: FrameType | None) -> None:
    if _State.again is not None:
        signum, _State.again = _State.again, None
        _handler(signum, frame)
