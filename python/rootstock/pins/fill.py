"""`mirror fill`: copy every pinned input into a local mirror, checked against its pin, for air-gapped use: from
upstream, or (`--from DIR`) from local clones and downloaded files."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from attrs import define, field, frozen

from rootstock.core.files import copy_atomic, replacing_directory, temporary_directory, write_error
from rootstock.errors import CommandError, InputError, RootstockError, SourceMissingError, WriteError
from rootstock.host import git
from rootstock.pins.fetch import Fetcher
from rootstock.pins.mirror import Mirror
from rootstock.pins.model import GitPin, NamedPin, Pins
from rootstock.pins.sources import LocalSources
from rootstock.pins.verify import raise_failures, verify_all

log = logging.getLogger(__name__)


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
        copy_atomic(upstream.raw_file(named, tmp), target)
    return target


@define
class _Repository:
    """One repository the mirror must hold: where it comes from, which commits and tags (name -> commit) of it
    the pins need, and which pins need it."""

    url: str
    source: Path
    revs: set[str] = field(factory=set)
    tags: dict[str, str] = field(factory=dict)
    pins: list[str] = field(factory=list)


@frozen
class _File:
    named: NamedPin
    source: Path


class _Plan:
    """What to import for the selected pins, and what no source holds (per pin, what was looked for).

    Repositories are told apart by where the mirror keeps them: a pin's URL and a submodule's may differ only by
    `.git` and still be one repository.
    """

    def __init__(self, sources: LocalSources, selected: Sequence[NamedPin], mirror: Mirror) -> None:
        self.sources = sources
        self.mirror = mirror
        self.repositories: dict[Path, _Repository] = {}
        self.files: list[_File] = []
        self.missing: dict[str, list[str]] = {}
        for named in selected:
            pin = named.pin
            if isinstance(pin, GitPin):
                tags = {pin.tag: pin.rev} if pin.tag else {}
                self._want(named.name, pin.url, pin.rev, tags, submodules=pin.submodules)
            elif (found := sources.file(named)) is not None:
                self.files.append(_File(named, found))
            else:
                self.missing.setdefault(named.name, []).append(_file_wanted(named))

    def _want(self, pin: str, url: str, rev: str, tags: dict[str, str], *, submodules: bool) -> None:
        key = self.mirror.git_path(url)
        known = self.repositories.get(key)
        revs = {rev, *(known.revs if known else ())}
        wanted_tags = {**(known.tags if known else {}), **tags}
        source = self.sources.repository(revs, wanted_tags)
        tagged = "".join(f" (tag '{t}')" for t in tags)
        if source is None:
            self.missing.setdefault(pin, []).append(f"a repository of {url} holding commit {rev}{tagged}")
            return
        if any(git.tag_target(source, t) != r for t, r in wanted_tags.items()):
            # A tag cannot be made up here: it is what `pins verify` checks the commit against.
            self.missing.setdefault(pin, []).append(
                f"a repository of {url} holding commit {rev}{tagged} with its tags ({self.sources.shown(source)} "
                "holds the commit without them)"
            )
            return
        entry = self.repositories.setdefault(key, _Repository(url, source))
        entry.source, entry.revs, entry.tags = source, revs, wanted_tags
        if pin not in entry.pins:
            entry.pins.append(pin)
        if submodules:
            # As a checkout does: the submodules the commit records, at their commits, recursively.
            for sub in git.submodules_at(source, rev):
                self._want(pin, git.submodule_url(url, sub.url), sub.rev, {}, submodules=True)


def _file_wanted(named: NamedPin) -> str:
    pin = named.pin
    assert not isinstance(pin, GitPin)
    upstream = ", ".join(pin.urls)
    if pin.recursive:
        return f"a file whose NAR hash (as Nix pins it) is {pin.hash.sri}, upstream {upstream}"
    return f"a file with sha256 {pin.hash.hex} ({pin.hash.sri}), upstream {upstream}"


def ensure_writable(root: Path) -> None:
    """Fail before the long part when the mirror cannot be written at all (a file in its place, read-only).

    Raises:
        WriteError: naming the mirror and what to do.
    """
    if root.exists() and not root.is_dir():
        raise WriteError(root, "not a directory", "the mirror is a directory; name another or move the file away")
    try:
        root.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryDirectory(prefix=".rootstock-write-test-", dir=root).cleanup()
    except OSError as exc:
        raise write_error(root / ".rootstock-write-test", exc) from None


def _refspecs(entry: _Repository) -> list[str]:
    # The pins' tags (tag objects kept, so `pins verify` still checks that a tag names its commit), and a ref of
    # its own for each commit no tag names, so that nothing the pins need is unreferenced in the mirror.
    tags = [tag for tag in sorted(entry.tags) if git.tag_target(entry.source, tag) is not None]
    named = {entry.tags[tag] for tag in tags}
    return [
        *(f"+refs/tags/{tag}:refs/tags/{tag}" for tag in tags),
        *(f"+{rev}:refs/rootstock/pinned/{rev}" for rev in sorted(entry.revs - named)),
    ]


def _holds(repo: Path, entry: _Repository) -> bool:
    if not repo.is_dir() or git.lacks_refs(repo):
        return False
    if not all(git.has_commit(repo, rev) for rev in entry.revs):
        return False
    if any(git.tag_target(repo, tag) != rev for tag, rev in entry.tags.items()):
        return False
    return git.missing_object(repo, sorted(entry.revs), history=True) is None


def _import_repository(mirror: Mirror, entry: _Repository, shown: Path) -> str:
    """Make the mirror's copy of one repository from its local source, in one rename; return how.

    The whole repository when its every ref's history is complete: the mirror then serves `vulns` (commit
    ancestry) and `pins update` to another tag as upstream would. Otherwise only the pinned commits and tags with
    their history, when that is complete; otherwise cut to the pinned commits (depth 1), the least a pin needs.
    Each is decided by asking the source, read-only, for the first object it lacks (what upload-pack would die on).

    Raises:
        InputError: the source lacks an object of a pinned commit's own tree: nothing can serve that commit; or
            git cannot read the source's objects (a damaged pack or object file).
    """
    dest = mirror.git_path(entry.url)
    if _holds(dest, entry):
        return f"{dest}: already in the mirror"
    try:
        return _copy_repository(dest, entry, shown)
    except CommandError as exc:
        # git fails this way on the source's own bytes (a pack that does not inflate, a corrupt loose object):
        # the data to mend, not the machine; git's last line says which object.
        last = exc.stderr_tail.splitlines()[-1] if exc.stderr_tail else f"exit {exc.exit_code_of_command}"
        msg = f"{shown}: git cannot read the objects of this repository of {entry.url}; repair or replace it"
        raise InputError(msg, f"git: {last}") from None


def _copy_repository(dest: Path, entry: _Repository, shown: Path) -> str:
    refspecs = _refspecs(entry)
    wants = [spec.split(":", 1)[0].lstrip("+") for spec in refspecs]
    with replacing_directory(dest) as tmp:
        if (lost := git.missing_object(entry.source, ["--all"], history=True)) is None:
            git.copy_repository(entry.source, tmp)
            how = f"{shown}, whole"
        elif (lost_pinned := git.missing_object(entry.source, wants, history=True)) is None:
            git.fetch_into(entry.source, tmp, refspecs, depth=None)
            how = (
                f"{shown}, only the pinned commits and tags with their history (the source lacks object "
                f"{lost} of other refs' history)"
            )
        elif (lost_tree := git.missing_object(entry.source, wants, history=False)) is None:
            git.fetch_into(entry.source, tmp, refspecs, depth=1)
            how = (
                f"{shown}, cut to the pinned commits and tags (depth 1: the source lacks object {lost_pinned} "
                "of their history)"
            )
        else:
            msg = (
                f"{shown} holds the commits {', '.join(sorted(entry.revs))} of {entry.url} but lacks object "
                f"{lost_tree} of their trees: no mirror can be made from it"
            )
            raise InputError(msg)
        git.set_upstream(tmp, entry.url)
    return how


def fill_from(
    pins: Pins,
    mirror: Mirror,
    sources: LocalSources,
    selected: Sequence[NamedPin],
    passed: Callable[[NamedPin, str], None],
) -> None:
    """Import the selected pins from local sources into the mirror, then verify each from the mirror as
    `pins verify` does, calling passed with each pin that passes and a line saying where it came from.

    Raises:
        WriteError: the mirror cannot be written (before anything is imported, where that can be told).
        InputError, PinFailuresError: pins no source holds (each with what was looked for) and pins that fail
            verification, after every other pin was imported and verified.
    """
    ensure_writable(mirror.root)
    log.info("looking for %d pins in %s", len(selected), ", ".join(map(str, sources.directories)))
    plan = _Plan(sources, selected, mirror)
    failures: list[RootstockError] = [
        SourceMissingError(name, wanted, sources.directories) for name, wanted in plan.missing.items()
    ]
    origin: dict[str, str] = {}
    broken: set[str] = set(plan.missing)
    for n, entry in enumerate(plan.repositories.values(), 1):
        shown = sources.shown(entry.source)
        log.info("[%d/%d] importing %s from %s", n, len(plan.repositories), entry.url, shown)
        try:
            how = _import_repository(mirror, entry, shown)
        except InputError as exc:
            failures += [InputError(f"pin '{pin}': {exc}") for pin in entry.pins if pin not in broken]
            broken.update(entry.pins)
            continue
        for pin in entry.pins:
            origin.setdefault(pin, how)
    for item in plan.files:
        copy_atomic(item.source, mirror.file_path(item.named.pin.hash))
        origin[item.named.name] = str(item.source)
    checked = [named for named in selected if named.name not in broken]

    def report(named: NamedPin, agreeing: list[str]) -> None:
        also = f"; equals the hash published by {', '.join(agreeing)}" if agreeing else ""
        passed(named, f"from {origin[named.name]}{also}")

    failures += verify_all(Fetcher(pins, mirror), checked, report)
    raise_failures(failures, len(selected))
