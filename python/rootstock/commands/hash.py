"""`rootstock hash path|file`: the hashes Nix would compute, without Nix."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from rootstock.errors import InputError

if TYPE_CHECKING:
    from rootstock.options import GlobalOptions


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the hash command group."""
    group = sub.add_parser("hash", help="compute Nix hashes (NAR or flat) of local paths")
    actions = group.add_subparsers(dest="action", metavar="ACTION", required=True)
    for action, help_text in (
        ("path", "sha256 of the NAR serialisation (nix-hash --type sha256)"),
        ("file", "sha256 of a file's bytes (flat)"),
    ):
        p = actions.add_parser(action, help=help_text)
        p.add_argument("paths", nargs="+", type=Path, metavar="PATH")
        p.add_argument("--base32", action="store_true", help="print nix-base32 instead of SRI")
        p.set_defaults(handler=print_hashes)


def print_hashes(_options: GlobalOptions, args: argparse.Namespace) -> int:
    """Print one hash per path."""
    from rootstock.core.nar import flat_hash, nar_hash

    hasher = nar_hash if args.action == "path" else flat_hash
    for path in args.paths:
        if args.action == "file":
            refuse_directory(path)
        digest = hasher(path)
        print(f"{digest.nix32 if args.base32 else digest.sri}  {path}")
    return 0


def refuse_directory(path: Path) -> None:
    """Point a directory to `hash path` (flat_hash refuses it, and a FIFO or device, without saying what to use).

    Raises:
        InputError: path is a directory.
    """
    if path.is_dir():
        msg = f"{path}: a directory, not a file; 'rootstock hash path' hashes a tree"
        raise InputError(msg)
