"""User-facing errors: every expected failure is a RootstockError that the CLI prints as one message.

Each class says by its exit_code which kind of failure it is (README.md, "Exit codes"), so a script can tell a
check that failed from data it must fix and from a machine that cannot run the command.
"""

from __future__ import annotations

import difflib
import enum
from collections.abc import Sequence
from pathlib import Path

STDERR_TAIL_LINES = 25
# A command line in a message shows this many arguments; `-v` logs it whole. A build's argv names every
# derivation of the chain, which made one line of kilobytes.
SHOWN_ARGS = 12


def listing(items: Sequence[str], limit: int = 8) -> str:
    """Items for a message, comma-separated, the rest counted: `a, b, c and 12 more`."""
    shown = ", ".join(items[:limit])
    return f"{shown} and {len(items) - limit} more" if len(items) > limit else shown


def known_names(name: str, known: Sequence[str]) -> str:
    """The names a misspelt one could have meant, closest first, the rest counted (`none` when there are none):
    a chain of seventy steps or forty pins is not listed whole in one line."""
    close = difflib.get_close_matches(name, known, n=3)
    return listing([*close, *(k for k in known if k not in close)]) or "none"


class ExitCode(enum.IntEnum):
    """The exit statuses of rootstock, one per kind of outcome."""

    OK = 0
    CHECK_FAILED = 1
    """A check ran and failed: a hash, a tag, drift, the audit, reproducibility, an oracle, a build."""
    USAGE = 2
    """The command line is malformed (argparse's own status)."""
    BAD_INPUT = 3
    """A file the user supplied is missing or malformed, or the mirror lacks an input: fix the data."""
    ENVIRONMENT = 4
    """The machine cannot run the command: a program missing or failing, a file that cannot be written."""
    INTERRUPTED = 130
    """SIGINT (Ctrl-C): 128 + 2, as a shell reports a program a signal ended."""
    STDOUT_CLOSED = 141
    """The reader of stdout went away (`| head`): 128 + SIGPIPE, what a program SIGPIPE ends reports."""
    TERMINATED = 143
    """SIGTERM: 128 + 15."""


class RootstockError(Exception):
    """An expected failure with a message fit for the user; the CLI prints it and exits non-zero.

    The message's first line says what failed; each non-empty detail (what was expected, what to do next)
    follows on a line of its own, indented under it.
    """

    exit_code: int = ExitCode.CHECK_FAILED
    drv: str | None = None
    """The derivation the failure belongs to, where a build names one (host/nix.py sets it)."""

    def __init__(self, message: str, *details: str) -> None:
        super().__init__("\n  ".join([message, *(d for d in details if d)]))


class CommandError(RootstockError):
    """An external command exited with a status it was not allowed to.

    Where the data makes a command fail (a build, a patch that does not apply), the caller turns this into
    the error that says so; one that reaches the user failed for a reason outside the data.
    """

    exit_code = ExitCode.ENVIRONMENT

    def __init__(self, argv: Sequence[str], exit_code: int, stderr: str) -> None:
        self.argv = list(argv)
        self.exit_code_of_command = exit_code
        self.stderr_tail = "\n".join(stderr.rstrip().splitlines()[-STDERR_TAIL_LINES:])
        shown = " ".join(self.argv[:SHOWN_ARGS])
        if len(self.argv) > SHOWN_ARGS:
            shown += f" … ({len(self.argv) - SHOWN_ARGS} more arguments; -v logs the whole command)"
        msg = f"command failed (exit {exit_code}): {shown}"
        if self.stderr_tail:
            msg += "\n" + self.stderr_tail
        super().__init__(msg)


class ToolMissingError(RootstockError):
    """A required external program is not installed."""

    exit_code = ExitCode.ENVIRONMENT

    def __init__(self, tool: str, hint: str = "") -> None:
        self.tool = tool
        super().__init__(f"required program '{tool}' is not installed or not on PATH", hint)


class InputError(RootstockError):
    """A file the user supplied (pins, stage graph, mirror, seed) is missing or malformed."""

    exit_code = ExitCode.BAD_INPUT


class WriteError(RootstockError):
    """A file rootstock writes (pins, generated Nix, a log, a report) could not be written."""

    exit_code = ExitCode.ENVIRONMENT

    def __init__(self, path: Path, reason: str, remedy: str = "") -> None:
        self.path = path
        super().__init__(f"cannot write {path}: {reason}", remedy)


class HashMismatchError(RootstockError):
    """Bytes that were pinned are not the bytes we got."""

    def __init__(self, what: str, expected: str, actual: str, remedy: str = "") -> None:
        self.what = what
        self.expected = expected
        self.actual = actual
        self.remedy = remedy
        super().__init__(f"hash mismatch for {what}", f"expected: {expected}", f"actual:   {actual}", remedy)


class TagMovedError(RootstockError):
    """A pinned tag now names another commit than the pin records."""

    def __init__(self, pin: str, tag: str, pinned_rev: str, current_rev: str) -> None:
        self.pin = pin
        super().__init__(
            f"pin '{pin}': tag '{tag}' moved",
            f"pinned commit:  {pinned_rev}",
            f"tag now names:  {current_rev}",
            "a force-pushed or rewritten tag is never followed silently; review the new commit, then run "
            f"'rootstock pins update {pin} --rev {current_rev}'",
        )


class AbsentError(InputError):
    """An input is not where it was looked for. `absence` is the sentence without the pin and the remedy, so that
    a report of many absent pins names each once and says what to do once (PinFailuresError)."""

    def __init__(self, pin: str, absence: str, remedy: str) -> None:
        self.pin = pin
        self.absence = absence
        self.remedy = remedy
        super().__init__(f"pin '{pin}' {absence}; {remedy}")


MIRROR_REMEDY = (
    "run 'rootstock mirror fill' on a machine with network access and copy the mirror over "
    "(or import local clones and downloads with 'rootstock mirror fill MIRROR --from DIR')"
)


class MirrorMissingError(AbsentError):
    """A local mirror was requested but does not hold an input."""

    def __init__(self, pin: str, expected: str, where: str) -> None:
        super().__init__(pin, f"is not in the mirror: expected {expected} at {where}", MIRROR_REMEDY)


class SourceMissingError(AbsentError):
    """`mirror fill --from`: no local directory holds a pin's content (or a part of it, a submodule)."""

    def __init__(self, pin: str, wanted: Sequence[str], searched: Sequence[Path]) -> None:
        self.wanted = tuple(wanted)
        where = ", ".join(str(d) for d in searched)
        super().__init__(
            pin,
            f"has no source in {where}: looked for {'; '.join(wanted)}",
            "add a directory holding it with another --from, or fill it from upstream on a machine with network access",
        )


class MissingObjectError(InputError):
    """A repository holds a commit but cannot serve it: an object of its history is gone (a snapshot or copy that
    lost objects). git itself then says only that upload-pack died ("unable to read <sha>"), which a fetcher
    would blame on the URL or the commit."""

    def __init__(
        self, url: str, rev: str, obj: str, *, pin: str = "", repo: Path | None = None, mirror: str = ""
    ) -> None:
        self.url = url
        self.rev = rev
        self.obj = obj
        who = f"pin '{pin}': " if pin else ""
        if repo is not None:
            msg = (
                f"{who}object {obj} of the history of commit {rev} is missing from the mirror's copy of {url} "
                f"({repo}): re-import it with 'rootstock mirror fill {mirror or 'MIRROR'} --from DIR', which cuts "
                "the history of a copy that lacks objects"
            )
        else:
            msg = (
                f"{who}{url} holds commit {rev} but cannot serve it: object {obj} of its history is missing there "
                "(the repository is damaged)"
            )
        super().__init__(msg)

    def of_pin(self, pin: str, repo: Path | None, mirror: str) -> MissingObjectError:
        """The same failure named by the pin it belongs to (and the mirror repository that lacks the object)."""
        return MissingObjectError(self.url, self.rev, self.obj, pin=pin, repo=repo, mirror=mirror)


OFFLINE_REMEDY = "use --mirror DIR or ROOTSTOCK_MIRROR"


class CheckoutError(InputError):
    """A pinned commit cannot be checked out, of the pin's own repository (path "") or of a submodule the pinned
    commit records (its path): the repository does not answer (`reachable` false), or answers without the commit.

    git's own report of this is a dozen lines from several processes; this is the one line that says which
    repository, what it must hold, git's reason (its last `fatal:` line) and (once the caller adds them) the pin
    and what to do.
    """

    def __init__(
        self,
        path: str,
        url: str,
        rev: str,
        *,
        reachable: bool,
        reason: str = "",
        pin: str = "",
        mirror: Path | None = None,
        remedy: str = "",
    ) -> None:
        self.path = path
        self.url = url
        self.rev = rev
        self.reachable = reachable
        self.reason = reason
        what = f"submodule '{path}' ({url})" if path else f"repository {url}"
        who = f"pin '{pin}': {what}" if pin else what
        recorded = ", which the pinned commit records" if path else ""
        if mirror is not None and not reachable:
            msg = f"{who} is not in the mirror: expected a repository holding commit {rev} at {mirror}; {MIRROR_REMEDY}"
        elif mirror is not None:
            msg = f"{who}: the mirror's {mirror} lacks commit {rev}{recorded}; {MIRROR_REMEDY}"
        elif not reachable:
            because = f"{reason}; " if reason else ""
            msg = f"{who} cannot be reached to fetch commit {rev} ({because}offline? {OFFLINE_REMEDY})"
        else:
            msg = f"{who} lacks commit {rev}{recorded}"
            msg += f"; {remedy}" if remedy else ""
        super().__init__(msg)

    def of_pin(self, pin: str, mirror: Path | None, remedy: str) -> CheckoutError:
        """The same failure named by the pin it belongs to (and the mirror repository it was looked for in)."""
        return CheckoutError(
            self.path,
            self.url,
            self.rev,
            reachable=self.reachable,
            reason=self.reason,
            pin=pin,
            mirror=mirror,
            remedy=remedy,
        )


class PinFailuresError(RootstockError):
    """Several pins failed while the others were checked: every failure listed, the pins absent from where they
    were looked for once each with each remedy once. A failed check outweighs bad input in the exit code."""

    def __init__(self, failures: Sequence[RootstockError], total: int) -> None:
        self.failures = tuple(failures)
        checks = any(f.exit_code == ExitCode.CHECK_FAILED for f in failures)
        self.exit_code = ExitCode.CHECK_FAILED if checks else ExitCode.BAD_INPUT
        absent = [f for f in failures if isinstance(f, AbsentError)]
        others = [f for f in failures if not isinstance(f, AbsentError)]
        remedies = dict.fromkeys(f.remedy for f in absent)
        super().__init__(
            f"{len(failures)} of {total} pins failed ({total - len(failures)} passed)",
            *(f"pin '{f.pin}' {f.absence}" for f in absent),
            *(f"then {remedy}" for remedy in remedies),
            *(str(f).replace("\n", "\n  ") for f in others),
        )


class DriftError(RootstockError):
    """Committed generated files differ from what the templates and pins render."""


class BuildError(RootstockError):
    """A stage failed to build or produced an output that does not match its pin."""


class NotReproducibleError(BuildError):
    """A second build of a derivation gave other bytes than the first."""

    def __init__(self, what: str, detail: str) -> None:
        self.what = what
        super().__init__(f"{what} is not reproducible: {detail}")


class AuditError(RootstockError):
    """The audit found failing checks."""


class CustodyError(RootstockError):
    """The custody log fails a check: a signature, the chain of entries, or an entry against the data; or two
    builders' logs disagree."""


class TrustError(RootstockError):
    """The trust report, written, shows evidence that disagrees: a failed build, a check that differs, a custody
    log that does not verify."""
