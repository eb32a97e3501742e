"""`rootstock mirror fill`: gather every pinned input into a local mirror for air-gapped sites."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rootstock.options import GlobalOptions

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the mirror command group."""
    group = sub.add_parser("mirror", help="maintain a local mirror of every pinned input")
    actions = group.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = actions.add_parser("fill", help="fetch pins from upstream into DIR, each checked against its hash")
    p.add_argument("dir", type=Path, metavar="DIR")
    p.add_argument("names", nargs="*", metavar="NAME", help="pins to mirror (default: all)")
    p.set_defaults(handler=fill_mirror)


def fill_mirror(options: GlobalOptions, args: argparse.Namespace) -> int:
    """Mirror the named pins from upstream (the --mirror option is not consulted: upstream is the source)."""
    from rootstock.pins.fetch import Fetcher
    from rootstock.pins.fill import fill
    from rootstock.pins.mirror import Mirror
    from rootstock.project import Project

    project = Project.load(options)
    upstream = Fetcher(project.pins)
    mirror = Mirror(args.dir.resolve())
    selected = project.pins.select(args.names)
    for n, entry in enumerate(selected, 1):
        log.info("[%d/%d] mirroring %s", n, len(selected), entry.name)
        print(f"{entry.name} -> {fill(upstream, mirror, entry)}")
    return 0
