"""`rootstock ddc NAME`: diverse double-compiling of a chain compiler against the host's (docs/ddc.md)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from rootstock.commands import log_directory

if TYPE_CHECKING:
    from rootstock.options import GlobalOptions


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `ddc NAME`."""
    p = sub.add_parser(
        "ddc",
        help="diverse double-compiling: rebuild a chain compiler with the host's and compare (docs/ddc.md)",
    )
    p.add_argument("name", metavar="NAME", help="a [[ddc]] pass of stages.toml (tinycc)")
    p.add_argument(
        "--require-chain",
        action="store_true",
        help="do not build the chain's steps: fail if their outputs are not in the store already",
    )
    p.add_argument("--log-dir", type=Path, default=None, help="report and logs (default: build-logs/; ddc/NAME/ in it)")
    p.set_defaults(handler=run)


def run(options: GlobalOptions, args: argparse.Namespace) -> int:
    """Run one pass; print the four compilers' sha256 and the verdict."""
    from rootstock.ddc.run import run_ddc
    from rootstock.plan import Plan

    plan = Plan.from_options(options)
    log_dir = log_directory(args.log_dir, plan.project.root / "build-logs")
    result = run_ddc(plan, args.name, log_dir=log_dir, require_chain=args.require_chain)
    for program in result.programs:
        print(f"{program.role}\t{program.sha256}\t{program.path}")
    print(f"ddc {args.name}: tcc-host2 = tcc-chain2 byte for byte; report: {log_dir / 'ddc' / args.name / 'report.md'}")
    return 0
