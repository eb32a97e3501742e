"""`pins verify`: re-fetch each pin and insist nothing moved: not a tag, not a byte."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from rootstock.core.files import temporary_directory
from rootstock.errors import ExitCode, HashMismatchError, InputError, PinFailuresError, RootstockError, TagMovedError
from rootstock.pins.fetch import Fetcher
from rootstock.pins.model import GitPin, NamedPin

log = logging.getLogger(__name__)


def check_tag(fetcher: Fetcher, named: NamedPin) -> None:
    """Fail when a pinned tag no longer names the pinned commit.

    Raises:
        TagMovedError: naming both commits.
        InputError: the tag is gone.
    """
    pin = named.pin
    if not isinstance(pin, GitPin) or pin.tag is None:
        return
    current = fetcher.tag_commit(named, pin.tag)
    if current is None:
        msg = f"pin '{named.name}': tag '{pin.tag}' no longer exists at {pin.url} (pinned commit {pin.rev})"
        raise InputError(msg)
    if current != pin.rev:
        raise TagMovedError(named.name, pin.tag, pin.rev, current)


def check_published(named: NamedPin) -> list[str]:
    """Compare the pin with the hashes other projects publish for the same content; return who agrees.

    Raises:
        HashMismatchError: a publisher's hash differs (the pin is not the content it claims to share).
    """
    for publisher, published in sorted(named.pin.published.items()):
        if published != named.pin.hash:
            what = f"pin '{named.name}' compared with {publisher}'s published hash"
            raise HashMismatchError(
                what,
                published.sri,
                named.pin.hash.sri,
                f"the pinned content is not what {publisher} uses; find out why before building",
            )
    return sorted(named.pin.published)


def verify(fetcher: Fetcher, named: NamedPin) -> list[str]:
    """Re-fetch one pin (ignoring anything already in the store), check its tag and hash; return who agrees."""
    check_tag(fetcher, named)
    with temporary_directory("rootstock-verify-") as tmp:
        fetcher.check(named, tmp)
    return check_published(named)


def verify_all(
    fetcher: Fetcher, entries: Sequence[NamedPin], passed: Callable[[NamedPin, list[str]], None]
) -> list[RootstockError]:
    """Verify every pin (logging `[n/total] verifying NAME` before each), calling passed with those that pass (and
    who agrees); return the others' failures.

    A pin that fails (moved, changed, absent from the mirror) does not stop the rest: a mirror holding only some
    pins verifies those. A machine that cannot run the check (a program missing, a file it cannot write) does.
    """
    failures: list[RootstockError] = []
    for n, named in enumerate(entries, 1):
        log.info("[%d/%d] verifying %s", n, len(entries), named.name)
        try:
            agreeing = verify(fetcher, named)
        except RootstockError as exc:
            if exc.exit_code not in (ExitCode.CHECK_FAILED, ExitCode.BAD_INPUT):
                raise
            failures.append(exc)
        else:
            passed(named, agreeing)
    return failures


def raise_failures(failures: Sequence[RootstockError], total: int) -> None:
    """Raise the one failure as it is, several as one report (PinFailuresError); nothing when there are none."""
    if len(failures) == 1:
        raise failures[0]
    if failures:
        raise PinFailuresError(failures, total)
