"""Benchmark: the whole audit (seeds and early stages) of one architecture, cold caches; prints a table.

Usage:
  .venv/bin/python benchmarks/audit_bench.py --case ARCH:SEEDS:SOURCES[:STAGES] [--case ...] [--rounds R]
  .venv/bin/python benchmarks/audit_bench.py --fixtures      # rootstock's miniature tree, both arches

The goal (issue #4) is under 1 second per architecture.  External programs (as, ld, sed, xxd, the seed)
are part of the time, as they are part of the audit.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rootstock.audit.decode import decode
from rootstock.audit.flow import follow
from rootstock.audit.pinned import pinned_outputs, system_for_arch
from rootstock.audit.policy import UPSTREAM_POLICIES
from rootstock.audit.report import to_json, totals
from rootstock.audit.runner import audit_arch, audited_steps
from rootstock.options import GlobalOptions
from rootstock.plan import Plan
from rootstock.project import Project

REPO = Path(__file__).resolve().parents[1]


def one_round(arch: str, seeds: Path, sources: Path, stages: Path | None, fixtures: bool) -> tuple[float, dict]:
    decode.cache_clear()
    follow.cache_clear()
    if fixtures:
        from audit_support import STRICT

        policies, pinned = STRICT, {}
    else:
        plan = Plan.load(Project.load(GlobalOptions(REPO, REPO / "pins.toml", None, verbose=False)))
        policies = UPSTREAM_POLICIES
        pinned = pinned_outputs(plan.system(system_for_arch(plan.graph, arch)), audited_steps(arch))
    start = time.perf_counter()
    report = audit_arch(arch, seeds, sources, stages, policies=policies, pinned=pinned)
    to_json(report)
    return time.perf_counter() - start, {"programs": len(report.programs), **totals(report)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", action="append", default=[], help="ARCH:SEEDS:SOURCES[:STAGES]")
    parser.add_argument("--fixtures", action="store_true", help="benchmark rootstock's miniature fixture tree")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    cases: list[tuple[str, Path, Path, Path | None]] = []
    for text in args.case:
        arch, seeds, sources, *rest = text.split(":")
        cases.append((arch, Path(seeds), Path(sources), Path(rest[0]) if rest else None))
    tmp = tempfile.TemporaryDirectory(prefix="audit-bench-")
    if args.fixtures:
        sys.path.insert(0, str(REPO / "tests" / "audit"))
        from audit_support import make_tree
        from rootstock.audit.policy import ARCHES

        for name in sorted(ARCHES):
            tree = make_tree(Path(tmp.name) / name, ARCHES[name])
            cases.append((name, tree.seeds, tree.sources, tree.stages))
    if not cases:
        parser.error("give --case or --fixtures")
    header = f"{'arch':<6} {'programs':>8} {'checks':>7} {'fail':>5} {'min s':>7} {'median s':>9} {'max s':>7}"
    print(f"{header}  goal < 1 s")
    for arch, seeds, sources, stages in cases:
        times, info = [], {}
        for _ in range(args.rounds):
            elapsed, info = one_round(arch, seeds, sources, stages, args.fixtures)
            times.append(elapsed)
        verdict = "ok" if statistics.median(times) < 1.0 else "SLOW"
        print(
            f"{arch:<6} {info['programs']:>8} {info['checks']:>7} {info['failures']:>5} {min(times):>7.3f} "
            f"{statistics.median(times):>9.3f} {max(times):>7.3f}  {verdict}"
        )
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
