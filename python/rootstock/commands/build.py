"""`rootstock build stage0`: build the stage graph with Nix, offline and sandboxed, every output checked."""

from __future__ import annotations

import argparse
import platform
from pathlib import Path

from rootstock.build import build_steps
from rootstock.options import GlobalOptions
from rootstock.project import Project

HOST_SYSTEMS = {"x86_64": "x86_64-linux", "i686": "i686-linux", "aarch64": "aarch64-linux"}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the build command."""
    p = sub.add_parser("build", help="build bootstrap stages with Nix (offline, sandboxed, hashes checked)")
    p.add_argument("target", choices=["stage0"], help="what to build: stage0 = every step of stages.toml")
    p.add_argument("--system", default=None, help="Nix system (default: this machine's)")
    p.add_argument("--until", metavar="STEP", help="stop after this step")
    p.add_argument("--check", action="store_true", help="rebuild already built steps and require identical bytes")
    p.add_argument("--jobs", type=int, default=2, help="parallel derivations (default: 2)")
    p.add_argument("--log-dir", type=Path, default=None, help="where to keep one log per step (default: build-logs/)")
    p.set_defaults(handler=run_build)


def run_build(options: GlobalOptions, args: argparse.Namespace) -> int:
    """Build and print one line per step."""
    project = Project.load(options)
    system = args.system or HOST_SYSTEMS.get(platform.machine(), platform.machine() + "-linux")
    log_dir = args.log_dir or project.root / "build-logs"
    results = build_steps(
        project,
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
