"""`rootstock stages repin`: after a pin moved, find (and after review write) the steps' new output hashes."""

from __future__ import annotations

import argparse
import platform
from pathlib import Path
from typing import TYPE_CHECKING

from rootstock.commands import log_directory, positive_int

if TYPE_CHECKING:
    from rootstock.options import GlobalOptions


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the stages command group."""
    stages = sub.add_parser("stages", help="work on stages.toml's pinned output hashes")
    actions = stages.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = actions.add_parser(
        "repin",
        help="build the chain without failing on changed outputs, list them, and with --write pin them",
        description="Exit 0: nothing changed, or the changes were written; 1: changes found (without --write) or "
        "a step fails to build.",
    )
    p.add_argument("--system", default=None, help="Nix system (default: this machine's)")
    p.add_argument("--write", action="store_true", help="write the new hashes into stages.toml (after review)")
    p.add_argument("--jobs", type=positive_int, default=2, metavar="N", help="derivations built at a time (default: 2)")
    p.add_argument(
        "--log-dir", type=Path, default=None, help="report and one log per derivation (default: build-logs/repin/)"
    )
    p.set_defaults(handler=repin)


def repin(options: GlobalOptions, args: argparse.Namespace) -> int:
    """Print every changed step and the first failure; write only when asked and nothing fails."""
    from rootstock.commands.build import HOST_SYSTEMS
    from rootstock.plan import STAGES_FILE, Plan
    from rootstock.stages.repin import find_changes, write_changes

    plan = Plan.from_options(options)
    system = args.system or HOST_SYSTEMS.get(platform.machine(), platform.machine() + "-linux")
    found = find_changes(
        plan, system, log_dir=log_directory(args.log_dir, plan.project.root / "build-logs" / "repin"), jobs=args.jobs
    )
    for change in found.changes:
        where = f"\tfile {change.file}" if change.file else ""
        print(f"changed\t{change.step}{where}\texpected {change.expected}\tactual {change.actual}")
    if found.failed is not None:
        print(f"FAILED\t{found.failed.step}\n{found.failed.error}")
        print(f"nothing written: fix the failing step first ({len(found.changes)} changes found before it)")
        return 1
    if not found.changes:
        print(f"{found.built} steps on {system}: every output matches {STAGES_FILE}")
        return 0
    if not args.write:
        print(f"{len(found.changes)} pinned hashes changed on {system}; review them, then run with --write")
        return 1
    write_changes(plan.project.root / STAGES_FILE, system, found.changes)
    print(f"wrote {len(found.changes)} hashes for {system} into {STAGES_FILE}; now run 'rootstock render'")
    return 0
