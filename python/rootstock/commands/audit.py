"""`rootstock audit`: the byte-by-byte audit of one architecture's seeds and early stages, as JSON and Markdown."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from rootstock.errors import AuditError, InputError

if TYPE_CHECKING:
    from rootstock.audit.policy import ProgramPolicy
    from rootstock.options import GlobalOptions

# The architectures of rootstock.audit.policy.ARCHES, named here so that --help does not import capstone.
ARCH_NAMES = ("AMD64", "x86")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the audit command."""
    p = sub.add_parser("audit", help="audit the hex0 seed and the early stages byte by byte")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--system",
        help="audit this system's pinned seeds and source tree and the early stages the chain builds (built "
        "first if needed, like `build stage0 --until cc_arch`)",
    )
    what.add_argument(
        "--arch", choices=ARCH_NAMES, help="audit files given by hand, for this architecture (upstream's name)"
    )
    p.add_argument(
        "--seeds",
        type=Path,
        help="with --arch: directory with hex0-seed and kaem-optional-seed (bootstrap-seeds POSIX/<arch>)",
    )
    p.add_argument("--sources", type=Path, help="with --arch: the stage0-posix <arch> source tree")
    p.add_argument(
        "--stages",
        type=Path,
        default=None,
        help="directory with the chain's hex0, hex1, hex2-0, catm, M0 and cc_<arch> (default: audit "
        "the programs rebuilt from the sources)",
    )
    p.add_argument("--json", type=Path, default=None, metavar="OUT", help="also write the JSON report here")
    p.add_argument("--markdown", type=Path, default=None, metavar="OUT", help="also write the Markdown report here")
    p.add_argument(
        "--report-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="with --system: where audit.json, audit.md and the logs of the chain it built go (default: "
        "build-logs/audit/<system>/; the build's own build-logs/<system>/ is left alone)",
    )
    p.set_defaults(handler=run_audit)


def run_audit(
    options: GlobalOptions, args: argparse.Namespace, *, policies: Mapping[str, ProgramPolicy] | None = None
) -> int:
    """Run the audit, write the reports, print the totals; fail when any check fails.

    policies replaces the upstream policy table (what each early program may do), for instance by a stricter one.

    Raises:
        AuditError: at least one check failed (the reports are written first).
    """
    from attrs import evolve

    from rootstock.audit.report import REPORT_FILES, summary, system_report_dir, to_json, to_markdown
    from rootstock.audit.runner import audit_arch
    from rootstock.core.files import temporary_directory
    from rootstock.plan import Plan
    from rootstock.stages.audit_inputs import chain_inputs, given_inputs

    plan = Plan.from_options(options)
    project = plan.project
    outputs = [(args.json, to_json), (args.markdown, to_markdown)]
    with temporary_directory("rootstock-audit-") as tmp:
        if args.system is not None:
            if args.seeds or args.sources or args.stages:
                msg = (
                    "audit --system takes seeds, sources and stages from the checkout: drop --seeds/--sources/--stages"
                )
                raise InputError(msg)
            report_dir = args.report_dir or system_report_dir(project.root / "build-logs", args.system)
            # The chain's logs and build report go below the audit's own directory: the steps it builds are
            # only the early chain, and build-logs/<system>/report.json belongs to `rootstock build`.
            inputs = chain_inputs(plan, args.system, log_dir=report_dir / "chain", workdir=tmp)
            json_file, markdown_file = REPORT_FILES
            outputs += [(report_dir / json_file, to_json), (report_dir / markdown_file, to_markdown)]
        else:
            if args.seeds is None or args.sources is None:
                msg = "audit --arch needs --seeds and --sources"
                raise InputError(msg)
            if args.report_dir is not None:
                msg = "audit --report-dir applies to --system only (with --arch, name --json and --markdown)"
                raise InputError(msg)
            inputs = given_inputs(plan, args.arch, args.seeds, args.sources, args.stages)
        report = audit_arch(inputs if policies is None else evolve(inputs, policies=policies))
    for path, render in outputs:
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(render(report), encoding="utf-8")
    failures = report.failures()
    if failures:
        shown = ", ".join(c.id for c in failures[:5]) + (", ..." if len(failures) > 5 else "")
        msg = f"{summary(report)}: failed {shown}"
        raise AuditError(msg)
    print(summary(report))
    return 0
