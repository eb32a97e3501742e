"""`rootstock pins list|verify|update|fetch` and `rootstock mirror fill`: the commands that work on pins."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rootstock.options import GlobalOptions
    from rootstock.pins.model import NamedPin, Pins

log = logging.getLogger(__name__)


class _Intermixed(argparse.ArgumentParser):
    """A parser whose options may stand between its positionals, as in `mirror fill DIR --from SOURCES NAME…`
    (argparse otherwise takes DIR and the names in one go and calls the names after an option unrecognised)."""

    _intermixing = False

    def parse_known_args(  # type: ignore[override]
        self, args: list[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        # parse_known_intermixed_args parses in two passes through parse_known_args itself.
        if self._intermixing:
            return super().parse_known_args(args, namespace)
        self._intermixing = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._intermixing = False


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the pins command group."""
    pins = sub.add_parser("pins", help="list, verify, update and fetch pinned inputs")
    actions = pins.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = actions.add_parser("list", help="show every pin with its kind and hash")
    p.set_defaults(handler=list_pins)
    p = actions.add_parser("verify", help="re-fetch pins (or read the mirror) and check tags and hashes")
    p.add_argument("names", nargs="*", metavar="NAME", help="pins to verify (default: all)")
    p.set_defaults(handler=verify_pins)
    p = actions.add_parser(
        "update",
        help="prefetch a new revision, tag or file and rewrite the pin in place (rev, tag and version kept consistent)",
    )
    p.add_argument("name", metavar="NAME")
    p.add_argument("--rev", help="commit to pin (git pins; default: what the tag names now); must be the tag's commit")
    tagging = p.add_mutually_exclusive_group()
    tagging.add_argument("--tag", help="move to this tag (git pins): the rev becomes the commit it names")
    tagging.add_argument("--untag", action="store_true", help="drop the pin's tag and pin --rev as a bare commit")
    p.add_argument(
        "--version", dest="pin_version", metavar="VERSION", help="new version (default: follows a tag-derived version)"
    )
    p.add_argument("--file", type=Path, metavar="PATH", help="file and tarball pins: hash this local file instead")
    p.set_defaults(handler=update_pin)
    p = actions.add_parser("fetch", help="place pins in the Nix store (from upstream or the mirror), checked")
    p.add_argument("names", nargs="*", metavar="NAME", help="pins to place (default: all)")
    p.set_defaults(handler=fetch_pins)

    mirror = sub.add_parser("mirror", help="maintain a local mirror of every pinned input")
    actions = mirror.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=_Intermixed)
    p = actions.add_parser(
        "fill",
        help="fetch pins from upstream (or import them from local clones and downloads) into DIR, each checked",
    )
    p.add_argument("dir", type=Path, metavar="DIR")
    p.add_argument("names", nargs="*", metavar="NAME", help="pins to mirror (default: all)")
    p.add_argument(
        "--from",
        dest="sources",
        type=Path,
        action="append",
        metavar="SOURCES",
        help="offline: import from git repositories and files below this directory, found by commit and by hash "
        "(repeatable); then verify every pin from DIR",
    )
    p.set_defaults(handler=fill_mirror)


def each_selected(pins: Pins, names: list[str], doing: str) -> Iterator[NamedPin]:
    """The named pins (all when none are named); before each, logs `[n/total]` and doing, its {} the pin's name.

    Raises:
        InputError: a name is not a pin, before any is worked on.
    """
    selected = pins.select(names)
    for n, entry in enumerate(selected, 1):
        log.info("[%d/%d] %s", n, len(selected), doing.format(entry.name))
        yield entry


def list_pins(options: GlobalOptions, _args: argparse.Namespace) -> int:
    """Print one line per pin."""
    from rootstock.project import Project

    project = Project.load(options)
    for entry in project.pins.entries:
        print(f"{entry.name}\t{entry.pin.kind}\t{entry.store_name}\t{entry.pin.hash.sri}")
    return 0


def verify_pins(options: GlobalOptions, args: argparse.Namespace) -> int:
    """Verify the named pins, all of them; then fail listing those that did not pass."""
    from rootstock.pins.verify import raise_failures, verify_all
    from rootstock.project import Project

    project = Project.load(options)
    selected = project.pins.select(args.names)

    def passed(entry: NamedPin, agreeing: list[str]) -> None:
        also = f"; equals the hash published by {', '.join(agreeing)}" if agreeing else ""
        print(f"{entry.name}: ok ({entry.pin.hash.sri}){also}", flush=True)

    raise_failures(verify_all(project.fetcher(), selected, passed), len(selected))
    return 0


def update_pin(options: GlobalOptions, args: argparse.Namespace) -> int:
    """Update one pin and show what changed."""
    from rootstock.pins.update import Request, update
    from rootstock.project import Project

    project = Project.load(options)
    request = Request(args.rev, args.tag, args.untag, args.pin_version, args.file)
    result = update(project.fetcher(), project.pins_file, project.pins.get(args.name), request)
    for key in result.new:
        old, new = result.old.get(key), result.new[key]
        if old == new:
            print(f"{result.name}.{key}: unchanged")
        else:
            print(f"{result.name}.{key}: {old or '(none)'} -> {new or '(removed)'}")
    for note in result.notes:
        print(f"{result.name}: {note}")
    return 0


def fetch_pins(options: GlobalOptions, args: argparse.Namespace) -> int:
    """Place the named pins in the store."""
    from rootstock.core.files import temporary_directory
    from rootstock.project import Project

    project = Project.load(options)
    with temporary_directory("rootstock-fetch-") as tmp:
        for entry in each_selected(project.pins, args.names, "placing {} in the store"):
            print(f"{entry.name}: {project.fetcher().place(entry, tmp)}")
    return 0


def fill_mirror(options: GlobalOptions, args: argparse.Namespace) -> int:
    """Mirror the named pins from upstream, or import them from --from directories (the --mirror option is not
    consulted: upstream or those directories are the source)."""
    from rootstock.pins.fetch import Fetcher
    from rootstock.pins.fill import ensure_writable, fill, fill_from
    from rootstock.pins.mirror import Mirror
    from rootstock.pins.sources import LocalSources
    from rootstock.project import Project

    project = Project.load(options)
    mirror = Mirror(args.dir.resolve())
    if args.sources:
        selected = project.pins.select(args.names)

        def passed(entry: NamedPin, origin: str) -> None:
            print(f"{entry.name}: ok ({entry.pin.hash.sri}) {origin}", flush=True)

        with LocalSources([source.resolve() for source in args.sources]) as sources:
            fill_from(project.pins, mirror, sources, selected, passed)
        return 0
    ensure_writable(mirror.root)
    upstream = Fetcher(project.pins)
    for entry in each_selected(project.pins, args.names, "mirroring {}"):
        print(f"{entry.name} -> {fill(upstream, mirror, entry)}")
    return 0
