"""`rootstock build stage0|nix-static`: build with Nix, offline and sandboxed, every output checked."""

from __future__ import annotations

import argparse
import platform
from pathlib import Path
from typing import TYPE_CHECKING

from rootstock.commands import log_directory, positive_int

if TYPE_CHECKING:
    from rootstock.options import GlobalOptions

HOST_SYSTEMS = {"x86_64": "x86_64-linux", "i686": "i686-linux", "aarch64": "aarch64-linux"}


# The stages `build` knows, as stages.toml's steps name them (`stage = "…"`); the parser exists before the data is
# read, so a new stage is added here as well as in the data.
STAGES = {"stage0": "stage0-posix, from the hex0 seed to mescc-tools-extra", "stage1": "mes, tinycc and musl"}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `build stage0`, `build stage1` and `build nix-static`, each with only the options it understands."""
    group = sub.add_parser("build", help="build with Nix (offline, sandboxed, every output checked)")
    targets = group.add_subparsers(dest="target", metavar="TARGET", required=True)

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--check", action="store_true", help="build a second time and require identical bytes")
    common.add_argument(
        "--log-dir", type=Path, default=None, help="report and one log per derivation (default: build-logs/)"
    )

    for stage, what in STAGES.items():
        p = targets.add_parser(stage, parents=[common], help=f"the steps of stages.toml's {stage} ({what})")
        p.add_argument("--system", default=None, help="Nix system (default: this machine's)")
        p.add_argument("--until", metavar="STEP", help="stop after this step")
        p.add_argument(
            "--jobs", type=positive_int, default=2, metavar="N", help="derivations built at a time (default: 2)"
        )
        p.add_argument(
            "--sign-key",
            type=Path,
            metavar="SECRET",
            help="after a successful build, append one signed entry per step to the custody log (a secret key file "
            "of nix-store --generate-binary-cache-key; docs/custody.md)",
        )
        p.add_argument(
            "--custody-log",
            type=Path,
            metavar="FILE",
            help="the custody log --sign-key appends to (default: <log dir>/custody/log.jsonl)",
        )
        p.set_defaults(handler=run_stage, stage=stage)

    p = targets.add_parser("nix-static", parents=[common], help="the static musl nix of static-nix.toml")
    p.add_argument("--toolchain", default=None, help="toolchain of static-nix.toml (default: its default_toolchain)")
    p.add_argument(
        "--cores", type=positive_int, default=2, metavar="N", help="cores each package's build may use (default: 2)"
    )
    p.set_defaults(handler=run_static)


def run_stage(options: GlobalOptions, args: argparse.Namespace) -> int:
    """Build one stage of the chain and print one line per step."""
    from rootstock.plan import Plan
    from rootstock.stages.build import build_steps, stage_log_dir

    plan = Plan.from_options(options)
    system = args.system or HOST_SYSTEMS.get(platform.machine(), platform.machine() + "-linux")
    log_dir = log_directory(args.log_dir, plan.project.root / "build-logs")
    key, custody = None, None
    if args.sign_key is not None:
        from rootstock.custody.keys import SecretKey
        from rootstock.custody.log import DEFAULT_LOG, tail

        # A bad key or a log that cannot be read or chained onto (a FIFO, not UTF-8, a line cut short) fails
        # before the build, not after an hour of it.
        key, custody = SecretKey.load(args.sign_key), args.custody_log or log_dir / DEFAULT_LOG
        tail(custody)
    built = build_steps(
        plan,
        system,
        stage=args.stage,
        until=args.until,
        check=args.check,
        jobs=args.jobs,
        log_dir=stage_log_dir(log_dir, args.stage),
    )
    for item in built:
        print(f"{item.target.name}\t{item.out}\t{item.target.pinned}")
    if key is not None and custody is not None:
        from rootstock.custody.log import append_build

        entries = append_build(custody, plan, system, built, mode="check" if args.check else "build", key=key)
        print(f"custody log: {len(entries)} entries signed by '{key.name}' appended to {custody}")
    return 0


def run_static(options: GlobalOptions, args: argparse.Namespace) -> int:
    """Build the static nix, print one line per package and the checked binary."""
    from rootstock.plan import Plan
    from rootstock.static.build import build_static

    plan = Plan.from_options(options)
    result = build_static(
        plan,
        toolchain=args.toolchain,
        log_dir=log_directory(args.log_dir, plan.project.root / "build-logs"),
        cores=args.cores,
        check=args.check,
    )
    for item in result.packages:
        seconds = "-" if item.seconds is None else f"{item.seconds:.0f}s"
        print(f"{item.target.kind} {item.target.name}\t{seconds}\t{item.out}")
    print(f"{result.binary}\t{result.size} bytes\tsha256 {result.sha256}\t{result.version}")
    print(f"report and SBOM: {result.report_dir}")
    return 0
