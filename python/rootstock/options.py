"""Options shared by every subcommand, resolved once at the CLI border from arguments and environment."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path

from attrs import frozen

from rootstock.errors import InputError

PINS_FILE = "pins.toml"


def find_root(start: Path) -> Path | None:
    """The nearest directory at or above start that holds a pins file."""
    for candidate in (start, *start.parents):
        if (candidate / PINS_FILE).is_file():
            return candidate
    return None


@frozen
class GlobalOptions:
    """Where the checkout is, which pins file and which mirror to use."""

    root: Path
    pins_file: Path
    mirror: Path | None
    verbose: bool

    @classmethod
    def from_args(cls, args: argparse.Namespace, environ: Mapping[str, str]) -> GlobalOptions:
        """Resolve --root/--pins/--mirror against ROOTSTOCK_ROOT/ROOTSTOCK_MIRROR and the working directory.

        Raises:
            InputError: no checkout with a pins file can be found.
        """
        root = args.root or (Path(environ["ROOTSTOCK_ROOT"]) if environ.get("ROOTSTOCK_ROOT") else None)
        if root is None:
            root = find_root(Path.cwd())
        if root is None:
            msg = f"no {PINS_FILE} here or in any parent directory; pass --root or set ROOTSTOCK_ROOT"
            raise InputError(msg)
        root = root.resolve()
        pins_file = (args.pins or root / PINS_FILE).resolve()
        mirror_text = environ.get("ROOTSTOCK_MIRROR")
        mirror = args.mirror or (Path(mirror_text) if mirror_text else None)
        return cls(
            root=root,
            pins_file=pins_file,
            mirror=mirror.resolve() if mirror is not None else None,
            verbose=bool(args.verbose),
        )
