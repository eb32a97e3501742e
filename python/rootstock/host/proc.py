"""The one door to external programs: runs argv lists through `sh`, logs them, returns typed results."""

from __future__ import annotations

import logging
import os
import shlex
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import sh
from attrs import frozen

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
    stdin: str | bytes | None = None,
    ok_codes: Sequence[int] = (0,),
    on_stderr_line: Callable[[str], None] | None = None,
) -> Completed:
    """Run one program with an argv list (never a shell string) and return its output.

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
    stderr_lines: list[str] = []

    def collect(line: str) -> None:
        stderr_lines.append(line)
        if on_stderr_line is not None:
            on_stderr_line(line.rstrip("\n"))

    kwargs: dict[str, object] = {
        "_return_cmd": True,
        "_tty_out": False,
        "_truncate_exc": False,
        "_ok_code": list(ok_codes),
        "_env": {**os.environ, **(env or {})},
        "_cwd": os.fspath(cwd) if cwd is not None else None,
        "_decode_errors": "replace",
    }
    if on_stderr_line is not None:
        kwargs["_err"] = collect
    if stdin is not None:
        kwargs["_in"] = stdin
    try:
        done = _start(program, words, kwargs)
    except sh.ErrorReturnCode as exc:
        stderr = "".join(stderr_lines) if on_stderr_line is not None else exc.stderr.decode(errors="replace")
        raise CommandError(words, exc.exit_code, stderr) from None
    except sh.ForkException as exc:
        # The program exists but cannot be executed (wrong architecture, not executable): exit 126 as a shell says.
        raise CommandError(words, 126, str(exc).strip().splitlines()[-1]) from None
    stderr = "".join(stderr_lines) if on_stderr_line is not None else done.stderr.decode(errors="replace")
    return Completed(
        argv=tuple(words),
        exit_code=done.exit_code,
        stdout_bytes=done.stdout,
        stderr=stderr,
    )


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
