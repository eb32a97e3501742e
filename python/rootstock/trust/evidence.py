"""What the log directories hold about the chain, read for the trust report: the stage build reports, the second
Nix's (`verify-with`) reports, the custody logs, the audits, the DDC passes, and the static builds with their SBOM.

Each is looked up where the command that writes it puts it, in every log directory given. Evidence that is not
there is None (the page says "not run"); evidence that is there but malformed is one InputError naming the file,
never a guess. The plan says what to look for, so a stage added to stages.toml is looked for without new code.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from attrs import frozen

from rootstock import schema
from rootstock.audit.report import REPORT_FILES as AUDIT_FILES
from rootstock.audit.report import system_report_dir
from rootstock.custody.keys import PublicKey
from rootstock.custody.log import DEFAULT_LOG, Line, check_graph, check_integrity, read_lines
from rootstock.ddc.run import report_dir as ddc_report_dir
from rootstock.errors import CustodyError, InputError
from rootstock.runner.report import REPORT_FILES, BuildReport, read_report
from rootstock.sbom import read as sbom_read
from rootstock.stages.build import stage_log_dir
from rootstock.static.build import report_dir as static_report_dir

if TYPE_CHECKING:
    from rootstock.plan import Plan

REPORT_JSON = REPORT_FILES[0]
SBOM_CSV = "sbom.csv"
VERIFY_WITH = "verify-with"
"""`rootstock verify-with NIX` writes `<log dir>/verify-with/<stage>/<system>/report.json`: the runner's report
format with two more top-level keys, `second_nix` and `log_compare`."""
VERIFY_WITH_KEYS = ("second_nix", "log_compare")


@frozen
class Found:
    """A build report and the file it was read from."""

    path: Path
    report: BuildReport


@frozen
class SecondNix:
    """The other Nix that rebuilt a stage."""

    path: str
    version: str


@frozen
class LogCompare:
    """The second build's custody entries compared with the first builder's."""

    equal: bool
    entries: int


@frozen
class VerifyWith:
    """A stage rebuilt by a second Nix in a store of its own."""

    path: Path
    report: BuildReport
    second_nix: SecondNix
    log_compare: LogCompare


@frozen
class AuditTotals:
    checks: int
    failures: int
    findings: dict[str, int]


@frozen
class AuditCheck:
    """One numbered check of the audit, as audit.json writes it."""

    number: int
    id: str
    what: str
    expected: str
    observed: str
    result: Literal["pass", "fail"]


@frozen
class AuditSummary:
    """What the trust report reads of an audit.json: its totals and its numbered checks."""

    arch: str
    totals: AuditTotals
    checks: tuple[AuditCheck, ...]


@frozen
class Audit:
    """One system's audit and the file it was read from."""

    path: Path
    summary: AuditSummary


@frozen
class Sbom:
    """The static build's SBOM as CSV: the file's text and the components it lists."""

    path: Path
    text: str
    document: sbom_read.Document


@frozen
class CustodyLog:
    """One custody log: its entries, and whether its signatures, chain and entries were checked."""

    path: Path
    lines: tuple[Line, ...]
    keys: tuple[str, ...]
    """The trusted keys it was checked with; empty: not checked (no --key)."""
    problem: str = ""
    """The first failure `log verify` would report, when it was checked and fails."""


@frozen
class Evidence:
    """Everything found, keyed as the plan names it."""

    log_dirs: tuple[Path, ...]
    builds: Mapping[tuple[str, str], Found]
    """(stage, system) -> its build report."""
    second: Mapping[tuple[str, str], VerifyWith]
    custody: tuple[CustodyLog, ...]
    audits: Mapping[str, Audit]
    ddc: Mapping[str, Found]
    static: Mapping[str, Found]
    """toolchain -> the static build's report."""
    sbom: Mapping[str, Sbom]


def find(log_dirs: Sequence[Path], relative: Path, what: str) -> Path | None:
    """The one file at relative below the log directories, or None.

    Raises:
        InputError: two log directories hold it (the report would show one and hide the other).
    """
    found = [d / relative for d in log_dirs if (d / relative).is_file()]
    if len(found) > 1:
        msg = f"{what} is in more than one log directory ({', '.join(map(str, found))}): give the one to report on"
        raise InputError(msg)
    return found[0] if found else None


def stages_of(plan: Plan) -> list[tuple[str, str]]:
    """Every (stage, system) the plan builds: stages in the order their first step comes, then systems."""
    order = list(dict.fromkeys(step.stage for step in plan.graph.step))
    return [
        (stage, system)
        for stage in order
        for system, chain in plan.systems.items()
        if any(step.stage == stage for step in chain.steps)
    ]


def _verify_with(path: Path) -> VerifyWith:
    report, extra = read_report(path, extra=VERIFY_WITH_KEYS)
    missing = [key for key in VERIFY_WITH_KEYS if key not in extra]
    if missing:
        msg = f"{path}: not a verify-with report: no {' and no '.join(missing)}"
        raise InputError(msg)
    source = str(path)
    second = schema.structure(
        extra["second_nix"], SecondNix, source=source, what="report", path="second_nix", syntax="JSON"
    )
    compared = schema.structure(
        extra["log_compare"], LogCompare, source=source, what="report", path="log_compare", syntax="JSON"
    )
    return VerifyWith(path, report, second, compared)


def _audit(path: Path) -> Audit:
    data = schema.read_document(path, "audit report", json.loads, json.JSONDecodeError, "JSON")
    if not isinstance(data, dict):
        msg = f"{path}: not an audit report: expected a JSON object, got {schema.shown(data)}"
        raise InputError(msg)
    wanted = {key: data[key] for key in ("arch", "totals", "checks") if key in data}
    summary = schema.structure(wanted, AuditSummary, source=str(path), what="audit report", path="", syntax="JSON")
    return Audit(path, summary)


def _custody(path: Path, plan: Plan, keys: Mapping[str, PublicKey]) -> CustodyLog:
    lines = read_lines(path)
    problem = ""
    if keys:
        try:
            check_integrity(path, lines, keys)
            for line in lines:
                check_graph(path, line, plan)
        except CustodyError as exc:
            problem = str(exc)
    return CustodyLog(path, tuple(lines), tuple(sorted(keys)), problem)


def gather(plan: Plan, log_dirs: Sequence[Path], keys: Mapping[str, PublicKey]) -> Evidence:
    """Read every piece of evidence the plan's stages, DDC passes and static recipe have in the log directories.

    Raises:
        InputError: no build report at all (nothing was built yet), a file in two log directories, or a file
            that is there but not what its command writes.
        CustodyError: a custody log line that is not an entry (its signatures are checked only with keys, and
            a failure then is shown, not raised).
    """
    dirs = tuple(log_dirs)
    builds, second = {}, {}
    for stage, system in stages_of(plan):
        here = stage_log_dir(Path(), stage) / system / REPORT_JSON
        if (path := find(dirs, here, f"the build report of {stage} on {system}")) is not None:
            builds[stage, system] = Found(path, read_report(path)[0])
        there = Path(VERIFY_WITH) / stage / system / REPORT_JSON
        if (path := find(dirs, there, f"the verify-with report of {stage} on {system}")) is not None:
            second[stage, system] = _verify_with(path)
    static, sboms = {}, {}
    for toolchain in sorted(plan.recipe.toolchain):
        where = static_report_dir(Path(), toolchain)
        if (path := find(dirs, where / REPORT_JSON, f"the static build report with {toolchain}")) is not None:
            static[toolchain] = Found(path, read_report(path)[0])
        if (path := find(dirs, where / SBOM_CSV, f"the static build's SBOM with {toolchain}")) is not None:
            document = sbom_read.load(path)
            sboms[toolchain] = Sbom(path, path.read_text(encoding="utf-8"), document)
    if not builds and not static:
        looked = ", ".join(str(d) for d in dirs)
        msg = (
            f"no build report in {looked}: nothing to report on yet; run 'rootstock build stage0' (or another "
            "build) first, or give --log-dir the directory it wrote (nothing was written)"
        )
        raise InputError(msg)
    ddc = {}
    for name in sorted(plan.ddc):
        relative = ddc_report_dir(Path(), name) / REPORT_JSON
        if (path := find(dirs, relative, f"the report of ddc {name}")) is not None:
            ddc[name] = Found(path, read_report(path)[0])
    audits = {}
    for system in plan.systems:
        relative = system_report_dir(Path(), system) / AUDIT_FILES[0]
        if (path := find(dirs, relative, f"the audit of {system}")) is not None:
            audits[system] = _audit(path)
    custody = tuple(_custody(d / DEFAULT_LOG, plan, keys) for d in dirs if (d / DEFAULT_LOG).is_file())
    return Evidence(dirs, builds, second, custody, audits, ddc, static, sboms)
