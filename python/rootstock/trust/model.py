"""The trust report's records: what the page shows and the JSON holds, in the plan's order. Plain values only
(strings, numbers, tuples of records), so the JSON is the records unstructured and the page reads the same."""

from __future__ import annotations

from typing import Literal

from attrs import frozen

from rootstock.sbom.read import Listed
from rootstock.stages.oracle import Verdict

Status = Literal["agreed", "differs", "not run"]
Level = Literal["differs", "not built", "pinned", "one", "two", "three"]

LEVELS: dict[Level, str] = {
    "differs": "a check disagrees, or the build failed here",
    "not built": "no report shows it built",
    "pinned": "built, its output equal to its pin (a static package: from its pinned source); no independent check yet",
    "one": "and one independent check agrees",
    "two": "and two independent checks agree",
    "three": "and three or more independent checks agree",
}
"""The evidence levels, weakest last but one: what colours a node of the graph and a row of a table."""

KINDS: dict[str, str] = {
    "build": "the build: output equal to its pinned hash (Nix's fixed-output check and rootstock's)",
    "custody": "a signed custody log entry for the output (docs/custody.md)",
    "check": "rebuilt by `build --check`, byte-identical (custody log entries of mode `check`)",
    "oracle": "an oracle's own hashes: stage0-posix's answers file, live-bootstrap's checksums",
    "second-nix": "rebuilt by a second Nix in a store of its own (`verify-with`)",
    "ddc": "diverse double-compiling against an independent compiler (`rootstock ddc`)",
    "audit": "the byte-by-byte audit of the early stages (`audit --system`)",
}
"""Each kind of evidence; all but `build` and `custody` are independent checks and count towards the level."""
INDEPENDENT = ("check", "oracle", "second-nix", "ddc", "audit")


@frozen
class Evidence:
    """One kind of evidence for one step: whether it agreed, what it says, and where on the page it is."""

    kind: str
    status: Status
    detail: str
    link: str = ""
    """The id of the page element it rests on (a section, an audit check), or empty."""


@frozen
class StepView:
    """One step (or static package) with its inputs, output and every piece of evidence about it."""

    id: str
    name: str
    description: str
    builder: str
    """As stages.toml names it (`pin:NAME`, `step:NAME`), or the toolchain of a package."""
    pins: tuple[str, ...]
    steps: tuple[str, ...]
    """The ids of the earlier steps (or packages) it reads."""
    pinned: str
    out: str
    """Its store path as the build report records it; empty when not built."""
    nar_hash: str
    """As the custody log records it; empty without an entry."""
    evidence: tuple[Evidence, ...]
    level: Level


@frozen
class DdcView:
    id: str
    name: str
    description: str
    status: Status
    detail: str
    report: str
    programs: tuple[tuple[str, str], ...]
    """(role, sha256) of the pass's four compilers, when its report has them."""


@frozen
class SecondNixView:
    id: str
    status: Status
    report: str
    nix: str
    version: str
    detail: str


@frozen
class AuditCheckView:
    id: str
    number: int
    check: str
    what: str
    expected: str
    observed: str
    result: str


@frozen
class AuditView:
    id: str
    system: str
    report: str
    arch: str
    status: Status
    detail: str
    checks: int
    failures: int
    findings: tuple[tuple[str, int], ...]
    failed: tuple[str, ...]
    """The ids of the failing checks."""
    rows: tuple[AuditCheckView, ...]


@frozen
class ChainView:
    """One stage on one system, seed to last step."""

    id: str
    stage: str
    system: str
    report: str
    """The build report's path; empty when it is not there."""
    status: Status
    detail: str
    steps: tuple[StepView, ...]
    oracles_id: str
    verdicts: tuple[Verdict, ...]
    """As the build report records them."""
    second_nix: SecondNixView
    ddc: tuple[DdcView, ...]
    audited: bool
    """Whether the stage builds audited programs (then a missing audit is `not run`)."""
    audit: AuditView | None


@frozen
class SbomView:
    id: str
    path: str
    rows: int
    by_type: tuple[tuple[str, int], ...]
    by_usage: tuple[tuple[str, int], ...]
    components: tuple[Listed, ...]
    """As the CSV lists them."""
    csv: str


@frozen
class StaticView:
    """The static nix built with one toolchain: its packages in build order, the result, its SBOM."""

    id: str
    toolchain: str
    report: str
    status: Status
    detail: str
    steps: tuple[StepView, ...]
    """The toolchain, then every package in build order."""
    result: tuple[tuple[str, str], ...]
    """What the report's result records of the binary (path, size, sha256, version, checked)."""
    notes: tuple[str, ...]
    sbom: SbomView | None


@frozen
class CustodyView:
    id: str
    path: str
    entries: int
    builds: int
    checks: int
    keys: tuple[str, ...]
    """The keys the entries are signed with (as they name them)."""
    status: Status
    detail: str


@frozen
class PinView:
    id: str
    name: str
    kind: str
    hash: str
    upstream: tuple[str, ...]
    """Its URLs (a git pin's with its commit and tag)."""
    mirror: str
    """Where the mirror given to `report` keeps it, and whether it is there; empty without a mirror."""


@frozen
class TrustReport:
    """The whole page."""

    format: int
    log_dirs: tuple[str, ...]
    chains: tuple[ChainView, ...]
    static: tuple[StaticView, ...]
    custody: tuple[CustodyView, ...]
    pins: tuple[PinView, ...]
    levels: tuple[tuple[str, int], ...]
    """How many steps and packages are at each level."""

    def disagreements(self) -> list[str]:
        """Every part and step evidence that differs, as `<id>: <what>`: parts first (a failed build, a second
        Nix, an audit, a custody log), then each step's evidence (a record that disagrees with the plan or the
        custody log; its failed build is its part's)."""
        audits = [c.audit for c in self.chains if c.audit is not None]
        found = [
            f"{part.id}: {part.detail}"
            for part in (*self.chains, *(c.second_nix for c in self.chains), *audits, *self.static, *self.custody)
            if part.status == "differs"
        ]
        # A build that failed at a step has no record of it (no `out`): that failure is its part's, listed above.
        return found + [
            f"{row.id}: {e.detail}"
            for part in (*self.chains, *self.static)
            for row in part.steps
            for e in row.evidence
            if e.status == "differs" and (e.kind != "build" or row.out)
        ]
