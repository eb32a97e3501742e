"""`rootstock audit`: the byte-by-byte audit of one architecture's seeds and early stages, as JSON and Markdown."""

from __future__ import annotations

import argparse
from pathlib import Path

from rootstock.audit.policy import ARCHES
from rootstock.audit.report import summary, to_json, to_markdown
from rootstock.audit.runner import audit_arch
from rootstock.errors import AuditError
from rootstock.options import GlobalOptions


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the audit command."""
    p = sub.add_parser("audit", help="audit the hex0 seed and the early stages byte by byte")
    p.add_argument("--arch", required=True, choices=sorted(ARCHES), help="architecture, as upstream spells it")
    p.add_argument(
        "--seeds",
        type=Path,
        required=True,
        help="directory with hex0-seed and kaem-optional-seed (bootstrap-seeds POSIX/<arch>)",
    )
    p.add_argument("--sources", type=Path, required=True, help="the stage0-posix-<arch> source tree")
    p.add_argument(
        "--stages",
        type=Path,
        default=None,
        help="directory with the chain's hex0, hex1, hex2-0, catm, M0 and cc_<arch> (default: audit "
        "the programs rebuilt from the sources)",
    )
    p.add_argument("--json", type=Path, default=None, metavar="OUT", help="write the JSON report here")
    p.add_argument("--markdown", type=Path, default=None, metavar="OUT", help="write the Markdown report here")
    p.set_defaults(handler=run_audit)


def run_audit(_options: GlobalOptions, args: argparse.Namespace) -> int:
    """Run the audit, write the reports, print the totals; fail when any check fails.

    Raises:
        AuditError: at least one check failed (the reports are written first).
    """
    report = audit_arch(args.arch, args.seeds, args.sources, args.stages)
    if args.json is not None:
        args.json.write_text(to_json(report), encoding="utf-8")
    if args.markdown is not None:
        args.markdown.write_text(to_markdown(report), encoding="utf-8")
    failures = report.failures()
    if failures:
        shown = ", ".join(c.id for c in failures[:5]) + (", ..." if len(failures) > 5 else "")
        msg = f"{summary(report)}: failed {shown}"
        raise AuditError(msg)
    print(summary(report))
    return 0
