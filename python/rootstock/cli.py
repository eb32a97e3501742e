"""Command-line entry point: parses arguments, dispatches to one handler per subcommand, maps errors to exit codes."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from rootstock import __version__
from rootstock.errors import RootstockError
from rootstock.options import GlobalOptions

# Each module defines register(subparsers); its handlers take (GlobalOptions, argparse.Namespace) -> int.
COMMAND_MODULES = (
    "rootstock.commands.pins",
    "rootstock.commands.hash",
    "rootstock.commands.mirror",
    "rootstock.commands.render",
    "rootstock.commands.build",
    "rootstock.commands.sbom",
    "rootstock.commands.audit",
)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser; building it runs no external command."""
    parser = argparse.ArgumentParser(prog="rootstock", description=__doc__)
    parser.add_argument("--version", action="version", version=f"rootstock {__version__}")
    parser.add_argument(
        "--root",
        type=Path,
        default=None,
        help="checkout holding pins.toml (default: $ROOTSTOCK_ROOT, else the nearest parent with pins.toml)",
    )
    parser.add_argument(
        "--pins",
        type=Path,
        default=None,
        help="pins file to use instead of <root>/pins.toml (for example a second pins file for a local build)",
    )
    parser.add_argument(
        "--mirror",
        type=Path,
        default=None,
        help="local mirror directory; every fetch is served from it (default: $ROOTSTOCK_MIRROR)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log every external command")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run rootstock with argv and return the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    # Progress (INFO) and the commands run (DEBUG, with -v) of rootstock's own loggers go to this stderr;
    # other libraries' loggers stay quiet. The handler is made per call: main() also runs in-process in tests.
    logger = logging.getLogger("rootstock")
    for old in logger.handlers[:]:
        logger.removeHandler(old)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if args.verbose else logging.INFO)
    try:
        options = GlobalOptions.from_args(args, os.environ)
        code: int = args.handler(options, args)
    except RootstockError as exc:
        print(f"rootstock: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("rootstock: interrupted", file=sys.stderr)
        return 130
    return code
