"""The audit's result records: checks, findings, byte-map regions, syscall sites, per-program and whole reports."""

from __future__ import annotations

from attrs import field, frozen

from rootstock.audit.policy import ProgramPolicy

SEVERITIES = ("info", "warning", "error")


@frozen
class Check:
    """One numbered check: a stable id, what was checked, what was expected and what was seen."""

    id: str
    what: str
    expected: str
    observed: str
    passed: bool


@frozen
class Finding:
    """Something a reviewer must know; severity `error` findings also fail a check of their own."""

    id: str
    severity: str = field()
    message: str

    @severity.validator
    def _known(self, _attribute: object, value: str) -> None:
        if value not in SEVERITIES:
            msg = f"unknown severity {value!r}"
            raise ValueError(msg)


@frozen
class Region:
    """A run of file bytes [start, end) with the same role (header, code, data, ...)."""

    start: int
    end: int
    kind: str


@frozen
class SyscallSite:
    """A syscall instruction, the number its register tracking resolved, and whether the policy allows it."""

    address: int
    offset: int
    number: int | None
    name: str
    allowed: bool


@frozen
class Line:
    """One decoded instruction of the listing: where it is, its bytes, and whether the entry reaches it."""

    address: int
    offset: int
    hex: str
    text: str
    reached: bool


@frozen
class ProgramAudit:
    """Everything the audit established about one program file."""

    checks: tuple[Check, ...]
    findings: tuple[Finding, ...]
    regions: tuple[Region, ...]
    syscalls: tuple[SyscallSite, ...]
    listing: tuple[Line, ...]
    name: str
    path: str
    size: int
    sha256: str
    policy: ProgramPolicy

    @property
    def instructions(self) -> int:
        """How many instructions the entry point reaches."""
        return sum(line.reached for line in self.listing)


@frozen
class Comparison:
    """Two builds of the same program compared byte for byte."""

    program: str
    left: str
    right: str
    left_size: int
    right_size: int
    differing: int
    first_differences: tuple[tuple[int, int | None, int | None], ...]

    @property
    def identical(self) -> bool:
        """True when both builds are the same bytes."""
        return self.differing == 0


@frozen
class Section:
    """A titled group of checks and findings that belong to no single program (reassembly, DEFINEs)."""

    name: str
    checks: tuple[Check, ...]
    findings: tuple[Finding, ...]
    comparisons: tuple[Comparison, ...] = ()
    pins: tuple[tuple[str, str], ...] = ()


@frozen
class AuditReport:
    """The whole audit of one architecture."""

    arch: str
    programs: tuple[ProgramAudit, ...]
    sections: tuple[Section, ...]

    def all_checks(self) -> tuple[Check, ...]:
        """Every check in report order."""
        checks = [c for p in self.programs for c in p.checks]
        checks += [c for s in self.sections for c in s.checks]
        return tuple(checks)

    def all_findings(self) -> tuple[Finding, ...]:
        """Every finding in report order."""
        findings = [f for p in self.programs for f in p.findings]
        findings += [f for s in self.sections for f in s.findings]
        return tuple(findings)

    def failures(self) -> tuple[Check, ...]:
        """The checks that did not pass."""
        return tuple(c for c in self.all_checks() if not c.passed)
