"""Renders an audit report as JSON and as Markdown; the same report always gives the same bytes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rootstock.audit.model import SEVERITIES, AuditReport, Check, Comparison
from rootstock.audit.reassemble import describe

REPORT_FILES = ("audit.json", "audit.md")
"""What `audit --system` writes into its report directory."""


def system_report_dir(log_dir: Path, system: str) -> Path:
    """Where `audit --system` writes by default: beside the build reports, never over one."""
    return log_dir / "audit" / system


def totals(report: AuditReport) -> dict[str, Any]:
    """Check and finding counts."""
    findings = report.all_findings()
    return {
        "checks": len(report.all_checks()),
        "failures": len(report.failures()),
        "findings": {s: sum(f.severity == s for f in findings) for s in SEVERITIES},
    }


def summary(report: AuditReport) -> str:
    """One line: `AMD64: 703 checks, 0 failures; findings: 0 error, 27 warning, 15 info`."""
    t = totals(report)
    counts = ", ".join(f"{t['findings'][s]} {s}" for s in reversed(SEVERITIES))
    return f"{report.arch}: {t['checks']} checks, {t['failures']} failures; findings: {counts}"


def _check(number: int, check: Check) -> dict[str, Any]:
    return {
        "number": number,
        "id": check.id,
        "what": check.what,
        "expected": check.expected,
        "observed": check.observed,
        "result": "pass" if check.passed else "fail",
    }


def _comparison(c: Comparison) -> dict[str, Any]:
    return {
        "program": c.program,
        "left": c.left,
        "right": c.right,
        "left_size": c.left_size,
        "right_size": c.right_size,
        "differing_bytes": c.differing,
        "first_differences": [{"offset": o, "left": a, "right": b} for o, a, b in c.first_differences],
    }


def to_data(report: AuditReport) -> dict[str, Any]:
    """The report as plain JSON-ready data."""
    return {
        "arch": report.arch,
        "totals": totals(report),
        "checks": [_check(n, c) for n, c in enumerate(report.all_checks(), start=1)],
        "findings": [{"id": f.id, "severity": f.severity, "message": f.message} for f in report.all_findings()],
        "programs": [
            {
                "name": p.name,
                "file": p.path,
                "size": p.size,
                "sha256": p.sha256,
                "instructions": p.instructions,
                "policy": {
                    "name": p.policy.name,
                    "allowed_syscalls": sorted(p.policy.allowed_syscalls),
                    "rwx_tolerated": p.policy.rwx_tolerated,
                    "why": p.policy.why,
                    "entry_at_code_start": p.policy.entry_at_code_start,
                },
                "syscalls": [
                    {"address": s.address, "offset": s.offset, "number": s.number, "name": s.name, "allowed": s.allowed}
                    for s in p.syscalls
                ],
                "byte_map": [{"start": r.start, "end": r.end, "kind": r.kind} for r in p.regions],
                "listing": [
                    {
                        "address": ln.address,
                        "offset": ln.offset,
                        "bytes": ln.hex,
                        "text": ln.text,
                        "reached": ln.reached,
                    }
                    for ln in p.listing
                ],
            }
            for p in report.programs
        ],
        "comparisons": [_comparison(c) for s in report.sections for c in s.comparisons],
        "pins": dict(sorted(pin for s in report.sections for pin in s.pins)),
    }


def to_json(report: AuditReport) -> str:
    """Sorted keys, two-space indent, trailing newline."""
    return json.dumps(to_data(report), sort_keys=True, indent=2) + "\n"


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def to_markdown(report: AuditReport) -> str:
    """A human-readable rendering of the same report."""
    t = totals(report)
    out = [
        f"# Audit of the {report.arch} seeds and early stages",
        "",
        f"**{t['checks']} checks, {t['failures']} failures.** Findings: "
        + ", ".join(f"{t['findings'][s]} {s}" for s in reversed(SEVERITIES))
        + ".",
        "",
    ]
    out += [
        "## Programs",
        "",
        "| program | bytes | sha256 | instructions | system calls |",
        "| --- | ---: | --- | ---: | --- |",
    ]
    for p in report.programs:
        calls = ", ".join(sorted({s.name for s in p.syscalls}))
        out.append(f"| {p.name} | {p.size} | `{p.sha256}` | {p.instructions} | {calls} |")
    out.append("")
    pins = to_data(report)["pins"]
    if pins:
        out += ["## Pinned reconstructions", "", "| program | sha256 |", "| --- | --- |"]
        out += [f"| {name} | `{sha}` |" for name, sha in pins.items()] + [""]
    out += ["## Findings", ""]
    for severity in reversed(SEVERITIES):
        out += [
            f"- **{severity}** `{f.id}`: {_cell(f.message)}" for f in report.all_findings() if f.severity == severity
        ]
    out.append("")
    for p in report.programs:
        out += [
            f"## {p.name}",
            "",
            f"Policy `{p.policy.name}` ({p.policy.why}): allows {', '.join(sorted(p.policy.allowed_syscalls))}; "
            f"RWX segments {'tolerated with a finding' if p.policy.rwx_tolerated else 'fail'}.",
            "",
            "### System calls",
            "",
            "| address | file offset | number | name | allowed |",
            "| --- | --- | ---: | --- | --- |",
        ]
        out += [
            f"| {s.address:#x} | {s.offset:#x} | {'?' if s.number is None else s.number} | {s.name} | "
            f"{'yes' if s.allowed else '**no**'} |"
            for s in p.syscalls
        ]
        out += ["", "### Byte map", "", "| start | end | bytes | role |", "| --- | --- | ---: | --- |"]
        out += [f"| {r.start:#x} | {r.end:#x} | {r.end - r.start} | {r.kind} |" for r in p.regions]
        out += [
            "",
            "### Listing",
            "",
            "Every decoded instruction; `unreached` marks code no path from the entry reaches.",
            "",
            "```",
        ]
        out += [
            f"{ln.address:#010x}  {ln.offset:#07x}  {ln.hex:<30} {ln.text}{'' if ln.reached else '  ; unreached'}"
            for ln in p.listing
        ]
        out += ["```", ""]
    comparisons = [c for s in report.sections for c in s.comparisons]
    if comparisons:
        out += ["## Byte-for-byte comparisons", "", "| program | left | right | result |", "| --- | --- | --- | --- |"]
        out += [f"| {c.program} | {_cell(c.left)} | {_cell(c.right)} | {_cell(describe(c))} |" for c in comparisons]
        out.append("")
    out += [
        "## Checks",
        "",
        "| # | id | what | expected | observed | result |",
        "| ---: | --- | --- | --- | --- | --- |",
    ]
    out += [
        f"| {n} | `{_cell(c.id)}` | {_cell(c.what)} | {_cell(c.expected)} | {_cell(c.observed)} | "
        f"{'pass' if c.passed else '**FAIL**'} |"
        for n, c in enumerate(report.all_checks(), start=1)
    ]
    return "\n".join(out) + "\n"
