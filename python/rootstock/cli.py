"""Command-line entry point: parses arguments, dispatches to one handler per subcommand, maps errors to exit codes."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import select
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from rootstock import __version__, interrupts
from rootstock.errors import ExitCode, RootstockError

# Each module defines register(subparsers); its handlers take (GlobalOptions, argparse.Namespace) -> int.
# Start-up is mostly imports: a command module imports only what its parser needs and the rest in its handlers.
COMMAND_MODULES = (
    "rootstock.commands.pins",
    "rootstock.commands.hash",
    "rootstock.commands.render",
    "rootstock.commands.build",
    "rootstock.commands.stages",
    "rootstock.commands.sbom",
    "rootstock.commands.audit",
    "rootstock.commands.ddc",
    "rootstock.commands.vulns",
    "rootstock.commands.vendored",
    "rootstock.commands.log",
    "rootstock.commands.verify_with",
    "rootstock.commands.report",
)

# The name of the handler main() installs on the `rootstock` logger, so a second main() replaces it.
TERMINAL_HANDLER = "rootstock-terminal"

log = logging.getLogger(__name__)


def path_argument(text: str) -> Path:
    """A path option's value (argparse `type`): `Path('')` would silently be the working directory.

    Raises:
        argparse.ArgumentTypeError: the value is empty (a usage error).
    """
    if not text:
        msg = "an empty path names no file or directory (leave the option out instead)"
        raise argparse.ArgumentTypeError(msg)
    return Path(text)


def global_options() -> argparse.ArgumentParser:
    """The options before COMMAND, as a parent parser for the full parser and the --version fast path."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--version", action="version", version=f"rootstock {__version__}")
    parser.add_argument(
        "--root",
        type=path_argument,
        default=None,
        help="checkout holding pins.toml (default: $ROOTSTOCK_ROOT, else the nearest parent with pins.toml)",
    )
    parser.add_argument(
        "--pins",
        type=path_argument,
        default=None,
        help="pins file to use instead of <root>/pins.toml (for example a second pins file for a local build)",
    )
    parser.add_argument(
        "--mirror",
        type=path_argument,
        default=None,
        help="local mirror directory; every fetch is served from it (default: $ROOTSTOCK_MIRROR)",
    )
    loudness = parser.add_mutually_exclusive_group()
    loudness.add_argument(
        "-v", "--verbose", action="store_true", help="also log every external command it runs ('$ argv')"
    )
    loudness.add_argument("-q", "--quiet", action="store_true", help="log only warnings and errors, no progress")
    return parser


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser; building it runs no external command."""
    parser = argparse.ArgumentParser(prog="rootstock", description=__doc__, parents=[global_options()])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def answer_version(argv: Sequence[str]) -> None:
    """Print the version and exit when --version comes before COMMAND, without importing any command module."""
    quick = argparse.ArgumentParser(
        prog="rootstock", parents=[global_options()], add_help=False, allow_abbrev=False, exit_on_error=False
    )
    quick.add_argument("rest", nargs=argparse.REMAINDER)
    # A malformed command line is the full parser's to report, with its complete usage.
    with contextlib.suppress(argparse.ArgumentError):
        quick.parse_known_args(argv)


def configure_logging(level: int) -> None:
    """Write the records of rootstock's loggers from level up to stderr, as bare messages.

    Only the `rootstock` logger gets a level and a handler: every other logger keeps the root logger's WARNING,
    so -v shows the commands rootstock runs but not the `sh` library's own records of every process event.
    Records still propagate to the root logger, where an embedding program (or pytest's caplog) may collect them.
    """
    logger = logging.getLogger("rootstock")
    for old in [h for h in logger.handlers if h.get_name() == TERMINAL_HANDLER]:
        logger.removeHandler(old)
    terminal = logging.StreamHandler(sys.stderr)
    terminal.set_name(TERMINAL_HANDLER)
    terminal.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(terminal)
    logger.setLevel(level)


def main(argv: Sequence[str] | None = None) -> int:
    """Run rootstock with argv and return the process exit code (README.md, "Exit codes").

    A usage error exits through argparse's SystemExit with status 2, as --help and --version exit with 0.
    """
    words = sys.argv[1:] if argv is None else list(argv)
    # From here to the return, SIGTERM unwinds as Ctrl-C does; an interrupt while the parser imports the
    # command modules is one line too, not a traceback.
    with interrupts.as_exceptions():
        try:
            return int(run(words))
        except KeyboardInterrupt as interrupt:
            log.error("rootstock: interrupted")
            return interrupts.exit_code(interrupt)


def _reader_of_stdout_gone() -> bool:
    """Whether stdout is a pipe or socket whose reading end is closed (poll says POLLERR for it)."""
    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), 0)
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except (OSError, ValueError):  # stdout closed or replaced by an object without a descriptor
        return False


def _stdout_closed() -> bool:
    """Whether there is no stdout to write a result to: Python makes sys.stdout None when descriptor 1 was closed
    before it started (`rootstock … >&-`), and print() then writes nothing, without an error."""
    if sys.stdout is None:
        return True
    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError, AttributeError):  # replaced by an object without a descriptor (a capture)
        return False
    try:
        os.fstat(fd)
    except OSError:
        return True
    return False


class StdoutFailedError(Exception):
    """A write to stdout failed other than by its reader going away (a full disk, an I/O error)."""

    def __init__(self, exc: OSError) -> None:
        super().__init__(exc.strerror or str(exc))


@contextlib.contextmanager
def _as_stdout_failure() -> Iterator[None]:
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise StdoutFailedError(exc) from None


class Stdout:
    """sys.stdout while a command runs, telling its failures from those of every other file: a full disk under
    `> out` says it was stdout. A reader gone (BrokenPipeError) is left as it is, for run() to judge."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        with _as_stdout_failure():
            return self.stream.write(text)

    def flush(self) -> None:
        with _as_stdout_failure():
            self.stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def _discard_stdout() -> None:
    """Point descriptor 1 at /dev/null, so the flush at exit of what is still buffered fails no second time."""
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def run(words: list[str]) -> int:
    """Parse words and run the handler, mapping each expected failure to one message and its exit code."""
    if _stdout_closed():
        if sys.stderr is not None:
            print("rootstock: error: stdout is closed: nowhere to write the result", file=sys.stderr)
        return ExitCode.ENVIRONMENT
    real_stdout = sys.stdout
    sys.stdout = Stdout(real_stdout)  # type: ignore[assignment]
    try:
        return _run(words)
    except StdoutFailedError as exc:  # from a command, or from --help or --version before any
        print(f"rootstock: error: cannot write to stdout: {exc}", file=sys.stderr)
        _discard_stdout()
        return ExitCode.ENVIRONMENT
    finally:
        sys.stdout = real_stdout


def _run(words: list[str]) -> int:
    answer_version(words)
    args = build_parser().parse_args(words)
    configure_logging(logging.DEBUG if args.verbose else logging.WARNING if args.quiet else logging.INFO)
    from rootstock.options import GlobalOptions  # attrs behind it costs as much as the rest of --help

    try:
        options = GlobalOptions.from_args(args, os.environ)
        code: int = args.handler(options, args)
        sys.stdout.flush()  # here, not at exit: a reader gone meanwhile is then the case below
    except RootstockError as exc:
        log.error("rootstock: error: %s", exc)
        return exc.exit_code
    except BrokenPipeError as exc:
        if not _reader_of_stdout_gone():
            log.error("rootstock: error: %s", exc)  # a pipe to a program rootstock started: its failure
            return ExitCode.ENVIRONMENT
        # `rootstock … | head` has all it wanted: no message, and no second error when Python flushes stdout at
        # exit (os.devnull in its place).
        _discard_stdout()
        return ExitCode.STDOUT_CLOSED
    except OSError as exc:
        # A file system that refuses a read or a write no RootstockError anticipated (permissions, a full disk,
        # an I/O error) is still the machine's fault, not the data's: one message, and the environment's code.
        log.error("rootstock: error: %s", exc)
        return ExitCode.ENVIRONMENT
    return code
