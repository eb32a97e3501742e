"""`mirror fill`: copy every pinned input into a local mirror, checked against its pin, for air-gapped use."""

from __future__ import annotations

import shutil
from pathlib import Path

from rootstock.core.files import temporary_directory
from rootstock.host import git
from rootstock.pins.fetch import Fetcher
from rootstock.pins.mirror import Mirror
from rootstock.pins.model import GitPin, NamedPin


def _mirror_repo(mirror: Mirror, url: str, rev: str) -> None:
    dest = mirror.git_path(url)
    git.mirror_clone(url, dest)
    for sub in git.submodules_at(dest, rev):
        _mirror_repo(mirror, git.submodule_url(url, sub.url), sub.rev)


def fill(upstream: Fetcher, mirror: Mirror, named: NamedPin) -> Path:
    """Put one pin into the mirror after checking it against its hash; return where it went."""
    pin = named.pin
    if isinstance(pin, GitPin):
        _mirror_repo(mirror, pin.url, pin.rev)
        with temporary_directory("rootstock-fill-") as tmp:
            Fetcher(upstream.pins, mirror).check(named, tmp)
        return mirror.git_path(pin.url)
    target = mirror.file_path(pin.hash)
    with temporary_directory("rootstock-fill-") as tmp:
        upstream.check(named, tmp)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(upstream.raw_file(named, tmp), target)
    return target
