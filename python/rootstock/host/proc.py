"""The one door to external programs: runs argv lists through `sh`, logs them, returns typed results."""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import select
import shlex
import signal
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import sh
from attrs import frozen

from rootstock import interrupts
from rootstock.errors import CommandError, ToolMissingError

log = logging.getLogger(__name__)

INSTALL_HINTS = {
    "nix-build": "apt-get install nix-bin",
    "nix-instantiate": "apt-get install nix-bin",
    "nix-store": "apt-get install nix-bin",
    "nix-hash": "apt-get install nix-bin",
    "nix-prefetch-url": "apt-get install nix-bin",
    "nix": "apt-get install nix-bin",
    "git": "apt-get install git",
    "as": "apt-get install binutils",
    "ld": "apt-get install binutils",
    "dpkg-query": "this only works on Debian-like hosts",
    "dot": "apt-get install graphviz",
}


@frozen
class Completed:
    """A finished command: its argv, exit status and decoded output."""

    argv: tuple[str, ...]
    exit_code: int
    stdout_bytes: bytes
    stderr: str

    @property
    def stdout(self) -> str:
        """Standard output decoded as UTF-8 (undecodable bytes replaced)."""
        return self.stdout_bytes.decode(errors="replace")


def run(
    argv: Sequence[str | os.PathLike[str]],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    inherit_env: bool = True,
    stdin: str | bytes | None = None,
    ok_codes: Sequence[int] = (0,),
    on_stderr_line: Callable[[str], None] | None = None,
) -> Completed:
    """Run one program with an argv list (never a shell string) and return its output.

    on_stderr_line gets each line of standard error (without its newline) as it comes, on the calling thread.
    env is added to this process's environment; with inherit_env=False it is the program's whole environment
    (a step run bare sees only what Nix would give it).
    Whatever interrupts the wait (KeyboardInterrupt, an exception from on_stderr_line) ends the program and
    its process group before it propagates.

    Raises:
        ToolMissingError: the program is not installed.
        CommandError: it exited with a status outside ok_codes; carries argv, exit code and stderr tail.
    """
    if isinstance(argv, str):
        msg = "proc.run takes an argv list, not a shell string"
        raise TypeError(msg)
    words = [os.fspath(a) for a in argv]
    log.debug("$ %s", shlex.join(words))
    try:
        program = sh.Command(words[0])
    except sh.CommandNotFound as exc:
        raise ToolMissingError(words[0], INSTALL_HINTS.get(Path(words[0]).name, "")) from exc
    # sh reads the program's output in threads of its own, which share locks with this thread (sh's wait lock,
    # logging's): a KeyboardInterrupt raised between a lock's acquire and its release leaves it taken for good,
    # and the next wait deadlocks. So signals are held from the fork to the end and raised only where this
    # thread is between sh's calls (_wait); the caller's callback (which logs) runs here too, never on sh's
    # threads. An interrupt ends the program and its group, not leave it running.
    lines: queue.SimpleQueue[str] = queue.SimpleQueue()
    kwargs: dict[str, object] = {
        "_bg": True,
        "_bg_exc": False,
        # Its own process group, so that ending it also ends whatever it started.
        "_new_group": True,
        "_tty_out": False,
        "_truncate_exc": False,
        "_ok_code": list(ok_codes),
        "_env": {**(os.environ if inherit_env else {}), **(env or {})},
        "_cwd": os.fspath(cwd) if cwd is not None else None,
        "_decode_errors": "replace",
    }
    if on_stderr_line is not None:
        kwargs["_err"] = lines.put
    if stdin is not None:
        kwargs["_in"] = stdin
    received: list[str] = []
    # as_exceptions: held() needs rootstock's handler; without it (a library caller, a test) Python's own raises
    # anywhere. Inside cli.main it is already installed and this changes nothing.
    with interrupts.as_exceptions(), interrupts.held():
        try:
            running = _start(program, words, kwargs)
        except sh.ForkException as exc:
            # The program exists but cannot be executed (wrong architecture, not executable): 126, as a shell says.
            raise CommandError(words, 126, str(exc).strip().splitlines()[-1]) from None
        try:
            _wait(running, lines, received, on_stderr_line)
        except sh.ErrorReturnCode as exc:
            stderr = "".join(received) if on_stderr_line is not None else exc.stderr.decode(errors="replace")
            raise CommandError(words, exc.exit_code, stderr) from None
        except BaseException:
            _stop(running)
            raise
    stderr = "".join(received) if on_stderr_line is not None else running.stderr.decode(errors="replace")
    return Completed(
        argv=tuple(words),
        exit_code=running.exit_code,
        stdout_bytes=running.stdout,
        stderr=stderr,
    )


# How long the waiting thread waits for the program's end before it looks at signals and stderr lines again.
_POLL_SECONDS = 0.05
# How long an interrupted program may take to end on SIGINT (nix-build stops its builders) before SIGKILL.
_GRACE_SECONDS = 1.0


def _wait(
    running: sh.RunningCommand,
    lines: queue.SimpleQueue[str],
    received: list[str],
    on_line: Callable[[str], None] | None,
) -> None:
    """Wait for the program's end, handing every stderr line in order to on_line on this thread, raising a held
    signal within _POLL_SECONDS; then reap it (sh.ErrorReturnCode for an exit status outside ok_codes)."""
    with _exit_watch(running.pid) as ended:
        while not ended(_POLL_SECONDS):
            interrupts.raise_held()
            _hand_over(lines, received, on_line)
    interrupts.raise_held()
    try:
        # Reaps it and joins sh's reader threads: after this every line of its stderr is in the queue.
        running.wait()
    finally:
        _hand_over(lines, received, on_line)


def _hand_over(lines: queue.SimpleQueue[str], received: list[str], on_line: Callable[[str], None] | None) -> None:
    if on_line is None:
        return
    while not lines.empty():
        line = lines.get_nowait()
        received.append(line)
        on_line(line.rstrip("\n"))


@contextlib.contextmanager
def _exit_watch(pid: int) -> Iterator[Callable[[float], bool]]:
    """A function telling, within a timeout, whether the process pid has ended (zombie or reaped): a pidfd
    becomes readable at its exit, so a short program is not kept waiting for a polling interval."""
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:  # sh's own threads reaped it already
        yield lambda _timeout: True
        return
    try:
        watch = select.poll()
        watch.register(pidfd, select.POLLIN)
        yield lambda timeout: bool(watch.poll(timeout * 1000))
    finally:
        os.close(pidfd)


def _stop(running: sh.RunningCommand) -> None:
    """End an abandoned program and its process group: SIGINT as a terminal's Ctrl-C sends, then SIGKILL."""
    group = running.process.pgid
    with contextlib.suppress(ProcessLookupError), _exit_watch(running.pid) as ended:
        os.killpg(group, signal.SIGINT)
        ended(_GRACE_SECONDS)
        os.killpg(group, signal.SIGKILL)
    # Reap it and let sh's threads finish; its exit status is of no interest any more.
    running.process.wait()


# A program written just before it runs can be "busy" for a moment: a fork in another thread inherits the
# writer's descriptor until that child calls exec. The kernel says ETXTBSY; trying again shortly succeeds.
_BUSY_RETRIES = 50


def _start(program: sh.Command, words: list[str], kwargs: dict[str, object]) -> sh.RunningCommand:
    for _ in range(_BUSY_RETRIES):
        try:
            return program(*words[1:], **kwargs)
        except sh.ForkException as exc:
            if "Text file busy" not in str(exc):
                raise
            time.sleep(0.02)
    return program(*words[1:], **kwargs)
