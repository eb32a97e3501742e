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
from rootstock.audit.inputs import AuditInputs
from rootstock.audit.report import to_json, totals
from rootstock.audit.runner import audit_arch
from rootstock.options import GlobalOptions
from rootstock.plan import Plan
from rootstock.project import Project
from rootstock.stages.audit_inputs import given_inputs

REPO = Path(__file__).resolve().parents[1]


def one_round(inputs: AuditInputs) -> tuple[float, dict]:
    decode.cache_clear()
    follow.cache_clear()
    start = time.perf_counter()
    report = audit_arch(inputs)
    to_json(report)
    return time.perf_counter() - start, {"programs": len(report.programs), **totals(report)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", action="append", default=[], help="ARCH:SEEDS:SOURCES[:STAGES]")
    parser.add_argument("--fixtures", action="store_true", help="benchmark rootstock's miniature fixture tree")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    cases: list[tuple[str, AuditInputs]] = []
    if args.case:
        plan = Plan.load(Project.load(GlobalOptions(REPO, REPO / "pins.toml", None, verbose=False)))
    for text in args.case:
        arch, seeds, sources, *rest = text.split(":")
        stages = Path(rest[0]) if rest else None
        cases.append((arch, given_inputs(plan, arch, Path(seeds), Path(sources), stages)))
    tmp = tempfile.TemporaryDirectory(prefix="audit-bench-")
    if args.fixtures:
        sys.path.insert(0, str(REPO / "tests" / "audit"))
        from audit_support import make_tree
        from rootstock.audit.policy import ARCHES

        for name in sorted(ARCHES):
            tree = make_tree(Path(tmp.name) / name, ARCHES[name])
            cases.append((name, tree.inputs()))
    if not cases:
        parser.error("give --case or --fixtures")
    header = f"{'arch':<6} {'programs':>8} {'checks':>7} {'fail':>5} {'min s':>7} {'median s':>9} {'max s':>7}"
    print(f"{header}  goal < 1 s")
    for arch, inputs in cases:
        times, info = [], {}
        for _ in range(args.rounds):
            elapsed, info = one_round(inputs)
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
