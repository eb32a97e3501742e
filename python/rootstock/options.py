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


def _mirror(option: Path | None, env: str | None) -> Path | None:
    """The mirror directory --mirror (else a non-empty ROOTSTOCK_MIRROR) names.

    Raises:
        InputError: the directory does not exist or is not one. Otherwise every pin would be reported missing
            from it, which sends the user looking at the pins.
    """
    mirror = option or (Path(env) if env else None)
    if mirror is None:
        return None
    where = "--mirror" if option is not None else "ROOTSTOCK_MIRROR"
    if not mirror.exists():
        msg = (
            f"{where}: mirror directory {mirror} does not exist (create it with 'rootstock mirror fill {mirror}', "
            f"or leave {where} out to fetch from upstream)"
        )
        raise InputError(msg)
    if not mirror.is_dir():
        msg = f"{where} {mirror} is not a directory: expected a mirror directory as `mirror fill` writes"
        raise InputError(msg)
    return mirror.resolve()


@frozen
class GlobalOptions:
    """Where the checkout is, which pins file and which mirror to use.

    root and pins_file are None when no checkout was named and none holds the working directory: the pure
    utilities (hash, sbom) need none, and every command that reads the checkout asks for it through checkout().
    """

    root: Path | None
    pins_file: Path | None
    mirror: Path | None
    verbose: bool

    @classmethod
    def from_args(cls, args: argparse.Namespace, environ: Mapping[str, str]) -> GlobalOptions:
        """Resolve --root/--pins/--mirror against ROOTSTOCK_ROOT/ROOTSTOCK_MIRROR and the working directory."""
        root = args.root or (Path(environ["ROOTSTOCK_ROOT"]) if environ.get("ROOTSTOCK_ROOT") else None)
        if root is None:
            root = find_root(Path.cwd())
        root = root.resolve() if root is not None else None
        pins_file = (args.pins or root / PINS_FILE).resolve() if root is not None else None
        mirror = _mirror(args.mirror, environ.get("ROOTSTOCK_MIRROR"))
        return cls(
            root=root,
            pins_file=pins_file,
            mirror=mirror,
            verbose=bool(args.verbose),
        )

    def checkout(self) -> tuple[Path, Path]:
        """The checkout's root and its pins file, for a command that reads them.

        Raises:
            InputError: no checkout was named and none holds the working directory.
        """
        if self.root is None or self.pins_file is None:
            msg = f"no {PINS_FILE} here or in any parent directory; pass --root or set ROOTSTOCK_ROOT"
            raise InputError(msg)
        return self.root, self.pins_file
