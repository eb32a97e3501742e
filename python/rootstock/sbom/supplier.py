"""Who created a component, named as TR-03183-2 asks (an email address or a URL): for a pin, by the rule its
download URL gives, unless pins.toml states it by hand; for anyone, parsed from a contact written by hand."""

from __future__ import annotations

import re
from typing import NewType
from urllib.parse import urlsplit

from rootstock.sbom.model import Party

# Hosts (and GitHub accounts) that carry other projects' code: the URL says who hosts the copy, not who made it,
# so the rule gives no creator and the pin must state one (`supplier`).
REDISTRIBUTORS = ("deb.debian.org", "files.pythonhosted.org", "ftpmirror.gnu.org", "github.com/mirror")
HAND_KEPT = "hand-kept in pins.toml"
# An email address or URL that `contact` accepts; the one converter checks it where it is read.
Contact = NewType("Contact", str)
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")
_URL = re.compile(r"^https?://[A-Za-z0-9.-]+(?::\d+)?(?:/\S*)?$")
CONTACT_RULE = "an email address (name@example.org, or mailto:…) or an http(s) URL"


def contact(text: str, rule: str) -> Party:
    """A party named by an email address or a URL.

    Raises:
        ValueError: text is neither (the message says what is expected).

    Examples:
        >>> contact("mailto:sbom@example.org", "given").email
        'sbom@example.org'
        >>> contact("https://www.boost.org", "given").name
        'www.boost.org'
    """
    address = text.removeprefix("mailto:")
    if is_email(address):
        return Party(address.partition("@")[2], email=address, rule=rule)
    if is_url(text):
        return Party(urlsplit(text).hostname or text, url=text, rule=rule)
    msg = f"expected {CONTACT_RULE}, got {text!r}"
    raise ValueError(msg)


def is_email(text: str) -> bool:
    """Whether text is an email address (without `mailto:`), as TR-03183-2 asks a creator to be named."""
    return _EMAIL.match(text) is not None


def is_url(text: str) -> bool:
    """Whether text is an http(s) URL, the other form TR-03183-2 accepts for a creator."""
    return _URL.match(text) is not None


def of_pin(url: str, kept: str | None) -> Party | None:
    """The creator of a pinned component: the hand-kept one, else the owner of its GitHub repository, else the
    host it is downloaded from; None when that host only redistributes (REDISTRIBUTORS).

    Examples:
        >>> of_pin("https://github.com/madler/zlib", None).url
        'https://github.com/madler'
        >>> of_pin("https://www.sqlite.org/2023/sqlite-autoconf-3440200.tar.gz", None).url
        'https://www.sqlite.org'
        >>> of_pin("https://github.com/mirror/busybox", None) is None
        True
    """
    if kept:
        return contact(kept, HAND_KEPT)
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host == "github.com":
        owner = parts.path.strip("/").split("/")[0]
        if not owner or f"github.com/{owner.lower()}" in REDISTRIBUTORS:
            return None
        return Party(owner, url=f"https://github.com/{owner}", rule="the owner of the pin's GitHub repository")
    if not host or host in REDISTRIBUTORS:
        return None
    return Party(host, url=f"{parts.scheme}://{host}", rule="the host the pin is downloaded from")
