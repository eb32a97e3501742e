"""Benchmark: upstream's own stage0-posix bootstrap script against rootstock's Nix chain, on the same source.

Usage: .venv/bin/python benchmarks/stage0_bench.py --mirror DIR [--system x86_64-linux]

Both sides start from the pinned, prepared stage0-posix tree and the pinned seeds (taken from the mirror):
upstream runs `kaem-optional-seed ./kaem.<arch>` in a scratch copy; rootstock builds every step of stages.toml
with Nix after deleting the chain's outputs from the store. Prints both wall times and the ratio (goal: <= 1.10).
"""

from __future__ import annotations

import argparse
import logging
import shutil
import tempfile
import time
from pathlib import Path

from rootstock.host import nix, proc
from rootstock.options import GlobalOptions
from rootstock.plan import Plan
from rootstock.project import Project
from rootstock.stages.build import build_steps

ROOT = Path(__file__).resolve().parents[1]
ARCH = {"x86_64-linux": ("AMD64", "amd64"), "i686-linux": ("x86", "x86")}


def upstream_run(project: Project, system: str, work: Path) -> float:
    arch, m2arch = ARCH[system]
    fetcher = project.fetcher()
    source = fetcher.check(project.pins.get("stage0-posix"), work / "pins")
    tree = work / "upstream"
    shutil.copytree(source, tree, symlinks=True)
    tree.chmod(0o755)
    for path in tree.rglob("*"):
        path.chmod(path.stat().st_mode | 0o200)
    seeds = tree / "bootstrap-seeds" / "POSIX" / arch
    seeds.mkdir(parents=True, exist_ok=True)
    for name in ("hex0-seed", "kaem-optional-seed"):
        shutil.copy(fetcher.check(project.pins.get(f"{name}-{m2arch}"), work / "pins"), seeds / name)
    start = time.perf_counter()
    proc.run([seeds / "kaem-optional-seed", f"./kaem.{m2arch}"], cwd=tree)
    return time.perf_counter() - start


def rootstock_run(plan: Plan, system: str, logs: Path) -> tuple[float, int]:
    # Progress lines would only disturb the table.
    logging.getLogger("rootstock").setLevel(logging.WARNING)
    results = build_steps(plan, system, log_dir=logs)
    for result in reversed(results):
        nix.delete(result.out)
    start = time.perf_counter()
    results = build_steps(plan, system, log_dir=logs)
    return time.perf_counter() - start, len(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mirror", type=Path, required=True, help="mirror holding the stage0 pins")
    parser.add_argument("--system", default="x86_64-linux", choices=sorted(ARCH))
    args = parser.parse_args()
    options = GlobalOptions(root=ROOT, pins_file=ROOT / "pins.toml", mirror=args.mirror.resolve(), verbose=False)
    project = Project.load(options)
    with tempfile.TemporaryDirectory(prefix="rootstock-bench-") as tmp:
        upstream = upstream_run(project, args.system, Path(tmp))
        ours, steps = rootstock_run(Plan.load(project), args.system, Path(tmp) / "logs")
    print(f"stage0-posix on {args.system}, same prepared source and seeds, wall time")
    print(f"{'runner':<44}{'seconds':>10}{'ratio':>8}")
    print(f"{'upstream kaem-optional-seed + kaem script':<44}{upstream:>10.2f}{1.0:>8.2f}")
    print(f"{f'rootstock, Nix, {steps} derivations, -j2':<44}{ours:>10.2f}{ours / upstream:>8.2f}")


if __name__ == "__main__":
    main()
