"""`rootstock hash path|file`: the hashes Nix would compute, without Nix."""

from __future__ import annotations

import argparse
import stat
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
            refuse_non_regular(path)
        digest = hasher(path)
        print(f"{digest.nix32 if args.base32 else digest.sri}  {path}")
    return 0


# The kinds of file `hash file` refuses, by name: none of them holds a fixed sequence of bytes.
KINDS = {
    stat.S_IFIFO: "a FIFO",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
}


def refuse_non_regular(path: Path) -> None:
    """Refuse anything but a regular file, looking before opening it: opening a FIFO waits for a writer, and
    /dev/zero never ends. (`hash path` needs no such look: nar_hash refuses these from lstat, before it opens.)

    Raises:
        InputError: path, or what its symlink points to, is not a regular file.
    """
    try:
        mode = path.stat().st_mode
    except OSError:
        return  # missing or unreadable: flat_hash's own message says which
    if stat.S_ISDIR(mode):
        msg = f"{path}: a directory, not a file; 'rootstock hash path' hashes a tree"
        raise InputError(msg)
    if not stat.S_ISREG(mode):
        msg = f"{path}: {KINDS.get(stat.S_IFMT(mode), 'not a regular file')}; only a regular file has bytes to hash"
        raise InputError(msg)
