"""`pins verify`: re-fetch each pin and insist nothing moved: not a tag, not a byte."""

from __future__ import annotations

from rootstock.core.files import temporary_directory
from rootstock.errors import HashMismatchError, InputError, TagMovedError
from rootstock.pins.fetch import Fetcher
from rootstock.pins.model import GitPin, NamedPin


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
