"""`rootstock build stage0`: build the stage graph with Nix, offline and sandboxed, every output checked."""

from __future__ import annotations

import argparse
import platform
from pathlib import Path

from rootstock.errors import InputError
from rootstock.options import GlobalOptions
from rootstock.plan import Plan
from rootstock.stages.build import build_steps
from rootstock.static.build import build_static

HOST_SYSTEMS = {"x86_64": "x86_64-linux", "i686": "i686-linux", "aarch64": "aarch64-linux"}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the build command."""
    p = sub.add_parser("build", help="build bootstrap stages with Nix (offline, sandboxed, hashes checked)")
    p.add_argument(
        "target",
        choices=["stage0", "nix-static"],
        help="stage0 = every step of stages.toml; nix-static = the static musl nix of static-nix.toml",
    )
    p.add_argument("--system", default=None, help="stage0: Nix system (default: this machine's)")
    p.add_argument("--until", metavar="STEP", help="stage0: stop after this step")
    p.add_argument("--check", action="store_true", help="build a second time and require identical bytes")
    p.add_argument("--jobs", type=int, default=2, help="parallel derivations (default: 2)")
    p.add_argument("--log-dir", type=Path, default=None, help="where to keep one log per step (default: build-logs/)")
    p.add_argument("--toolchain", default=None, help="nix-static: toolchain of static-nix.toml (default: its default)")
    p.set_defaults(handler=run_build)


def run_build(options: GlobalOptions, args: argparse.Namespace) -> int:
    """Build and print one line per step."""
    plan = Plan.from_options(options)
    project = plan.project
    system = args.system or HOST_SYSTEMS.get(platform.machine(), platform.machine() + "-linux")
    log_dir = args.log_dir or project.root / "build-logs"
    if args.target == "nix-static":
        return run_static(plan, args, log_dir)
    if args.toolchain is not None:
        msg = "build stage0: --toolchain applies to 'build nix-static' only (the chain starts from the seed)"
        raise InputError(msg)
    results = build_steps(
        plan,
        system,
        until=args.until,
        check=args.check,
        max_jobs=args.jobs,
        log_dir=log_dir,
    )
    for result in results:
        pinned = result.step.output.sri if result.step.output else f"{len(result.step.files)} file hashes"
        print(f"{result.step.name}\t{result.out}\t{pinned}")
    return 0


def run_static(plan: Plan, args: argparse.Namespace, log_dir: Path) -> int:
    """Build the static nix, print one line per package and the checked binary.

    Raises:
        InputError: an option of `build stage0` was given (the recipe fixes the system and has no steps).
    """
    for flag, value in (("--system", args.system), ("--until", args.until)):
        if value is not None:
            msg = f"build nix-static: {flag} applies to 'build stage0' only (static-nix.toml names its system)"
            raise InputError(msg)
    result = build_static(plan, toolchain=args.toolchain, log_dir=log_dir, cores=args.jobs, check=args.check)
    for package in result.packages:
        print(f"{package.name}\t{package.version}\t{package.seconds:.0f}s\t{package.out}")
    print(f"{result.binary}\t{result.size} bytes\tsha256 {result.sha256}\t{result.version}")
    print(f"report and SBOM: {result.report_dir}")
    return 0
