"""`pins update`: prefetch a new revision or file (nix-prefetch-git / nix-prefetch-url) and rewrite its pin in place."""

from __future__ import annotations

import tempfile
from pathlib import Path

import attrs
from attrs import frozen

from rootstock.core.hashes import Hash
from rootstock.errors import InputError, ToolMissingError
from rootstock.host import nix
from rootstock.pins.convert import update_pin_fields
from rootstock.pins.fetch import Fetcher
from rootstock.pins.model import GitPin, NamedPin, Rev


@frozen
class Updated:
    """What changed in one pin."""

    name: str
    old: dict[str, str]
    new: dict[str, str]


def _git_hash(fetcher: Fetcher, named: NamedPin, pin: GitPin) -> Hash:
    prepared = pin.remove or pin.patches
    if not prepared and fetcher.mirror is None:
        try:
            return nix.prefetch_git(pin.url, pin.rev, submodules=pin.submodules).hash
        except ToolMissingError:
            pass  # Debian's Nix ships no nix-prefetch-git; the built-in path gives the identical NAR hash.
    with tempfile.TemporaryDirectory(prefix="rootstock-update-") as tmp:
        return fetcher.actual_hash(attrs.evolve(named, pin=pin), Path(tmp))


def update(fetcher: Fetcher, pins_file: Path, named: NamedPin, rev: str | None) -> Updated:
    """Prefetch the pin's new content and write its new rev/hash into the pins file.

    Raises:
        InputError: no revision can be chosen, or the download fails.
    """
    pin = named.pin
    if isinstance(pin, GitPin):
        new_rev = rev or (fetcher.tag_commit(named, pin.tag) if pin.tag else None)
        if new_rev is None:
            msg = f"pin '{named.name}' has no tag (or the tag is gone): give the commit with --rev"
            raise InputError(msg)
        fresh = attrs.evolve(pin, rev=Rev(new_rev))
        new_hash = _git_hash(fetcher, named, fresh)
        old = {"rev": pin.rev, "hash": pin.hash.sri}
        new = {"rev": new_rev, "hash": new_hash.sri}
    else:
        if rev is not None:
            msg = f"pin '{named.name}' is a {pin.kind} pin; --rev only applies to git pins"
            raise InputError(msg)
        unpack = getattr(pin, "unpack", False)
        executable = getattr(pin, "executable", False)
        got = nix.prefetch_url(pin.urls[0], name=named.store_name, unpack=unpack, executable=executable)
        old = {"hash": pin.hash.sri}
        new = {"hash": got.hash.sri}
    update_pin_fields(pins_file, named.name, new)
    return Updated(named.name, old, new)
