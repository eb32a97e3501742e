"""`rootstock report`: the trust report, one deterministic HTML page (and the same data as JSON, and the graph as
SVG) of every stage of the plan with the evidence the reports and logs on disk hold (docs/report.md)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rootstock.options import GlobalOptions


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the report command."""
    p = sub.add_parser(
        "report",
        help="the trust report: every stage, seed to last step, with the evidence on disk, as HTML and JSON",
        description="Exit 0: written; 1: written, and some evidence disagrees (a failed build, a differing check); "
        "3: nothing built yet, or a report file is malformed (nothing written); 4: Graphviz missing or a file "
        "cannot be written (nothing written).",
    )
    p.add_argument(
        "--log-dir",
        type=Path,
        action="append",
        metavar="DIR",
        help="where the builds wrote their reports and logs (default: build-logs/); repeat to read several, "
        "such as the chain's and the static build's",
    )
    p.add_argument("--out", type=Path, metavar="DIR", help="where to write (default: <first log dir>/trust/)")
    p.add_argument(
        "--key",
        type=Path,
        action="append",
        default=[],
        metavar="PUBLIC",
        help="check the custody logs' signatures with this public key (Nix's format); repeat for several builders",
    )
    p.set_defaults(handler=run_report)


def run_report(options: GlobalOptions, args: argparse.Namespace) -> int:
    """Gather the evidence, write the page, print where it is and how many steps are at each level."""
    from rootstock.custody.log import load_keys
    from rootstock.errors import TrustError
    from rootstock.plan import Plan
    from rootstock.trust.assemble import assemble
    from rootstock.trust.evidence import gather
    from rootstock.trust.page import write

    keys = load_keys(args.key)
    plan = Plan.from_options(options)
    log_dirs = args.log_dir or [plan.project.root / "build-logs"]
    report = assemble(plan, gather(plan, log_dirs, keys))
    for path in write(report, args.out or log_dirs[0] / "trust"):
        print(path)
    print(", ".join(f"{count} {name}" for name, count in report.levels if count) + " (steps and packages by level)")
    failing = report.disagreements()
    if failing:
        more = f" (and {len(failing) - 1} more)" if len(failing) > 1 else ""
        msg = f"the trust report shows evidence that disagrees: {failing[0]}{more}"
        raise TrustError(msg)
    return 0
