"""`rootstock verify-with NIX`: another Nix rebuilds the chain in a store of its own and its signed log is compared
with the first builder's (docs/verify-with.md)."""

from __future__ import annotations

import argparse
import platform
from pathlib import Path
from typing import TYPE_CHECKING

from rootstock.commands import log_directory, positive_int
from rootstock.commands.build import HOST_SYSTEMS, STAGES

if TYPE_CHECKING:
    from rootstock.options import GlobalOptions


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the verify-with command."""
    p = sub.add_parser(
        "verify-with",
        help="rebuild the chain with another Nix in a fresh store and compare its custody log with the first's",
        description="Exit 0: every output equals its pin and the first builder's log; 1: a hash or the logs "
        "differ, or a build failed; 3: NIX is not a Nix, or the first builder's log is missing or lacks a step.",
    )
    p.add_argument("nix", type=Path, metavar="NIX", help="the second Nix: its nix binary, or a bin/ directory of it")
    p.add_argument(
        "--stage", choices=sorted(STAGES), default="stage0", help="rebuild this stage and every one before it"
    )
    p.add_argument(
        "--system",
        action="append",
        default=None,
        metavar="S",
        help="Nix system; repeat for several (default: this machine's)",
    )
    p.add_argument(
        "--sign-key",
        type=Path,
        metavar="SECRET",
        help="sign the second Nix's custody log with this key (default: an ephemeral key, made and forgotten)",
    )
    p.add_argument(
        "--against",
        type=Path,
        metavar="LOG",
        help="the first builder's custody log (default: <log dir>/custody/log.jsonl)",
    )
    p.add_argument("--log-dir", type=Path, default=None, help="where reports go (default: build-logs/)")
    p.add_argument("--jobs", type=positive_int, default=2, metavar="N", help="derivations built at a time (default: 2)")
    p.set_defaults(handler=run)


def run(options: GlobalOptions, args: argparse.Namespace) -> int:
    """Rebuild on each system in turn; print each step and, per system, the verdict."""
    from rootstock.custody.keys import SecretKey
    from rootstock.custody.log import DEFAULT_LOG
    from rootstock.plan import Plan
    from rootstock.stages.verify_with import verify_with

    plan = Plan.from_options(options)
    key = SecretKey.load(args.sign_key) if args.sign_key is not None else None
    log_dir = log_directory(args.log_dir, plan.project.root / "build-logs")
    against = args.against or log_dir / DEFAULT_LOG
    systems = args.system or [HOST_SYSTEMS.get(platform.machine(), platform.machine() + "-linux")]
    for system in systems:
        done = verify_with(
            plan, args.nix, system=system, stage=args.stage, against=against, key=key, log_dir=log_dir, jobs=args.jobs
        )
        for item in done.built:
            print(f"{item.target.name}\t{item.out}\t{item.target.pinned}")
        signed = f"signed by '{done.key}'"
        if done.ephemeral_public is not None:
            signed += f" (an ephemeral key, not kept; its public key: {done.ephemeral_public})"
        print(
            f"{system}: {len(done.built)} steps rebuilt by Nix {done.version} equal their pins; custody log "
            f"{done.custody_log} {signed}; {done.compared} entries equal to {against}; report: {done.report}"
        )
    return 0
