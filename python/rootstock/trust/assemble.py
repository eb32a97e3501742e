"""The trust report's data from the plan and the evidence found: every stage of the plan on every system, seed to
last step, then the static nix, each step with its inputs, output and every check that agreed or not."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rootstock.custody.entry import Entry
from rootstock.custody.log import disagreement
from rootstock.errors import listing
from rootstock.pins.mirror import Mirror
from rootstock.pins.model import GitPin, NamedPin
from rootstock.runner.report import BuildReport, StepRecord
from rootstock.stages.audit_table import audited_programs
from rootstock.stages.build import target
from rootstock.stages.resolve import ResolvedStep, SystemPlan
from rootstock.trust import evidence as ev
from rootstock.trust.model import (
    INDEPENDENT,
    AuditCheckView,
    AuditView,
    ChainView,
    CustodyView,
    DdcView,
    Evidence,
    Level,
    PinView,
    SbomView,
    SecondNixView,
    StaticView,
    Status,
    StepView,
    TrustReport,
)

if TYPE_CHECKING:
    from rootstock.plan import Plan

FORMAT = 1
NOT_RUN: Status = "not run"


def anchor(*parts: str) -> str:
    """An element id: the parts joined, anything but letters, digits, `-` and `_` spelt as `.` and its hex code,
    so that distinct names stay distinct ids (step `M0.hex2` is `M0.2ehex2`)."""
    return "-".join(re.sub(r"[^A-Za-z0-9_-]", lambda m: f".{ord(m.group(0)):x}", p) for p in parts)


def first_line(text: str) -> str:
    """The first line of a message, for a table cell."""
    return text.strip().splitlines()[0] if text.strip() else ""


def entries_of(count: int) -> str:
    return "1 entry" if count == 1 else f"{count} entries"


def level(items: Sequence[Evidence]) -> Level:
    """How strongly the evidence supports an output."""
    if any(e.status == "differs" for e in items):
        return "differs"
    if not any(e.kind == "build" and e.status == "agreed" for e in items):
        return "not built"
    count = sum(e.kind in INDEPENDENT and e.status == "agreed" for e in items)
    levels: tuple[Level, ...] = ("pinned", "one", "two", "three")
    return levels[min(count, 3)]


def built_evidence(
    report: BuildReport | None,
    name: str,
    described: str,
    built: str = "output equal to its pin",
    pinned: str | None = None,
) -> tuple[Evidence, StepRecord | None]:
    """The build's own evidence for one target: recorded (what that establishes: built), failed at it, or not
    built. With pinned (what the plan pins the target to, as the runner records it), a record of another pin
    differs: the report is about other data, or was edited."""
    if report is None:
        return Evidence("build", NOT_RUN, "no build report"), None
    record = next((s for s in report.steps if s.name == name), None)
    if record is not None and pinned is not None and record.pinned != pinned:
        what = f"the build report records pinned '{record.pinned}', but stages.toml pins '{pinned}'"
        return Evidence("build", "differs", what), record
    if record is not None:
        return Evidence("build", "agreed", f"{built}, checked by {record.check}"), record
    if report.failure is not None and report.failure.name == described:
        return Evidence("build", "differs", f"the build failed here: {first_line(report.failure.error)}"), None
    return Evidence("build", NOT_RUN, "not built: the run stopped before it or ended earlier"), None


class _Chain:
    """One (stage, system) of the plan with the evidence about it."""

    def __init__(self, plan: Plan, found: ev.Evidence, stage: str, system: str) -> None:
        self.plan = plan
        self.found = found
        self.stage = stage
        self.system = system
        self.chain: SystemPlan = plan.systems[system]
        self.id = anchor("chain", stage, system)
        build = found.builds.get((stage, system))
        self.build = build.report if build is not None else None
        self.build_path = str(build.path) if build is not None else ""
        self.second = found.second.get((stage, system))
        # verify-with rebuilds a stage and every stage before it: a later stage's run on this system is evidence
        # for this stage's steps too (this stage's own run first).
        order = [s for s, on in ev.stages_of(plan) if on == system]
        self.rebuilt = [
            (later, found.second[later, system])
            for later in order[order.index(stage) :]
            if (later, system) in found.second
        ]
        self.entries: dict[str, list[tuple[Path, Entry]]] = {}
        """Each step's custody entries in log order, with the log each is in."""
        for log in found.custody:
            for line in log.lines:
                if line.entry.system == system and line.entry.stage == stage:
                    self.entries.setdefault(line.entry.step, []).append((log.path, line.entry))
        self.audited = {s.name for s in plan.graph.step if s.audit is not None}
        self.ddc = [d for d in plan.ddc.values() if d.ddc.system == system and d.chain.stage == stage]

    def step_id(self, name: str) -> str:
        return anchor("step", self.system, name)

    def view(self) -> ChainView:
        steps = tuple(self.step(step) for step in self.chain.steps if step.stage == self.stage)
        status, detail = self.status()
        verdicts = self.build.verdicts if self.build is not None else ()
        return ChainView(
            self.id,
            self.stage,
            self.system,
            self.build_path,
            status,
            detail,
            steps,
            self.oracles_id(),
            verdicts,
            self.second_nix(),
            tuple(self.ddc_view(name) for name in sorted(d.name for d in self.ddc)),
            self.stage == self.audit_stage(),
            self.audit if self.stage == self.audit_stage() else None,
        )

    def audit_stage(self) -> str:
        return next((s.stage for s in self.chain.steps if s.name in self.audited), "")

    def status(self) -> tuple[Status, str]:
        if self.build is None:
            return NOT_RUN, f"not built: no report of `rootstock build {self.stage} --system {self.system}`"
        if self.build.failure is not None:
            return "differs", f"failed at {self.build.failure.name}: {first_line(self.build.failure.error)}"
        return "agreed", f"{len(self.build.steps)} steps built, each output equal to its pin"

    def oracles_id(self) -> str:
        return anchor("oracles", self.stage, self.system)

    def second_id(self) -> str:
        return anchor("second", self.stage, self.system)

    def step(self, step: ResolvedStep) -> StepView:
        pinned = target(step).pinned
        pin, record = built_evidence(self.build, step.name, f"step '{step.name}'", pinned=pinned)
        items = [pin, *self.custody(step.name, record), self.second_step(step.name, pinned)]
        items += self.oracles(step.name)
        items += [self.ddc_step(d.name) for d in self.ddc if step.name in (d.chain.name, d.self_compile.name)]
        if step.name in self.audited:
            items.append(self.audit_step(step.name))
        builds = [e for _, e in self.entries.get(step.name, []) if e.mode == "build"]
        refs = step.refs()
        return StepView(
            id=self.step_id(step.name),
            name=step.name,
            description=step.description,
            builder=f"{step.builder.kind}:{step.builder.name}",
            pins=tuple(step.pin_names()),
            steps=tuple(dict.fromkeys(self.step_id(r.name) for r in refs if r.kind == "step")),
            pinned=step.output.sri if step.output is not None else f"{len(step.files)} file sha256s",
            out=record.out if record is not None else "",
            nar_hash=builds[-1].nar_hash if builds else "",
            evidence=tuple(items),
            level=level(items),
        )

    def custody(self, name: str, record: StepRecord | None) -> list[Evidence]:
        logged = self.entries.get(name, [])
        entries = [e for _, e in logged]
        builds = [e for e in entries if e.mode == "build"]
        checks = [e for e in entries if e.mode == "check"]
        signed = sorted({e.sig.partition(":")[0] for e in entries})
        # An entry about other data (a pin moved since) says nothing of this step's output now; one about
        # another store path than the build report's says the two files are not about the same output.
        stale = (
            f"entry {e.seq} disagrees with the data: {why}"
            for e in entries
            if (why := disagreement(e, self.plan)) is not None
        )
        elsewhere = (
            f"the build report records out {record.out}, but entry {e.seq} of {path} records {e.out}"
            for path, e in logged
            if record is not None and e.out != record.out
        )
        if (what := next(stale, None) or next(elsewhere, None)) is not None:
            return [Evidence("custody", "differs", what, CUSTODY), Evidence("check", NOT_RUN, what, CUSTODY)]
        found = (
            Evidence("custody", "agreed", f"signed by {', '.join(signed)} ({entries_of(len(builds))})", CUSTODY)
            if builds
            else Evidence("custody", NOT_RUN, "no custody log entry", CUSTODY)
        )
        if not checks:
            return [found, Evidence("check", NOT_RUN, "no `build --check` entry in a custody log", CUSTODY)]
        hashes = {e.nar_hash for e in entries}
        if len(hashes) > 1:
            return [found, Evidence("check", "differs", f"entries record {len(hashes)} NAR hashes", CUSTODY)]
        again = "once" if len(checks) == 1 else f"{len(checks)} times"
        return [found, Evidence("check", "agreed", f"rebuilt {again}, byte-identical", CUSTODY)]

    def second_step(self, name: str, pinned: str) -> Evidence:
        for later, run in self.rebuilt:
            evidence, _ = built_evidence(run.report, name, f"step '{name}'", pinned=pinned)
            if evidence.status != NOT_RUN:
                by = run.second_nix.version + ("" if later == self.stage else f", rebuilding {later}")
                return Evidence(
                    "second-nix", evidence.status, f"{by}: {evidence.detail}", anchor("second", later, self.system)
                )
        if self.rebuilt:
            return Evidence("second-nix", NOT_RUN, "the verify-with run stopped before it", self.second_id())
        return Evidence("second-nix", NOT_RUN, "no verify-with report", self.second_id())

    def second_nix(self) -> SecondNixView:
        if self.second is None:
            what = f"`rootstock verify-with NIX` for {self.stage} on {self.system}"
            return SecondNixView(self.second_id(), NOT_RUN, "", "", "", f"not run: no report of {what}")
        s = self.second
        compared = s.log_compare
        same = f"its log equal to the first builder's ({compared.entries} entries)"
        if s.report.failure is not None:
            status: Status = "differs"
            detail = f"failed at {s.report.failure.name}: {first_line(s.report.failure.error)}"
        elif not compared.equal:
            status, detail = "differs", f"its log differs from the first builder's ({compared.entries} entries)"
        else:
            status, detail = "agreed", f"{len(s.report.steps)} steps rebuilt, each equal to its pin; {same}"
        return SecondNixView(self.second_id(), status, str(s.path), s.second_nix.path, s.second_nix.version, detail)

    def oracles(self, name: str) -> list[Evidence]:
        out = []
        for resolved in self.chain.oracles:
            oracle = resolved.oracle
            if name not in oracle.steps:
                continue
            link = self.oracles_id()
            verdicts = [v for v in (self.build.verdicts if self.build else ()) if v.oracle == oracle.name]
            if not verdicts:
                out.append(Evidence("oracle", NOT_RUN, f"{oracle.name}: not consulted", link))
                continue
            bad = [v.program for v in verdicts if not v.ok]
            explained = sum(v.status == "explained" for v in verdicts)
            if bad:
                out.append(Evidence("oracle", "differs", f"{oracle.name}: {', '.join(bad)} differ", link))
            else:
                agreed = f"{len(verdicts) - explained} of {len(verdicts)} programs match"
                more = f", {explained} differ as explained" if explained else ""
                out.append(Evidence("oracle", "agreed", f"{oracle.name}: {agreed}{more}", link))
        return out

    def ddc_view(self, name: str) -> DdcView:
        d = self.plan.ddc[name].ddc
        found = self.found.ddc.get(name)
        status, detail, programs = NOT_RUN, f"not run: no report of `rootstock ddc {name}`", ()
        if found is not None:
            status, detail = ddc_verdict(found.report)
            result = found.report.result or {}
            programs = tuple((role, str(p.get("sha256", ""))) for role, p in sorted(result.get("programs", {}).items()))
        return DdcView(
            anchor("ddc", name),
            name,
            d.description or "",
            status,
            detail,
            str(found.path) if found else "",
            programs,
        )

    def ddc_step(self, name: str) -> Evidence:
        view = self.ddc_view(name)
        return Evidence("ddc", view.status, f"{name}: {view.detail}", view.id)

    @cached_property
    def audit(self) -> AuditView | None:
        found = self.found.audits.get(self.system)
        if found is None:
            return None
        summary = found.summary
        failures = summary.totals.failures
        status: Status = "differs" if failures else "agreed"
        failing = [c.id for c in summary.checks if c.result != "pass"]
        detail = f"{failures} of {summary.totals.checks} checks fail: {listing(failing)}" if failures else ""
        rows = tuple(
            AuditCheckView(
                anchor("audit", self.system, str(c.number)), c.number, c.id, c.what, c.expected, c.observed, c.result
            )
            for c in summary.checks
        )
        return AuditView(
            anchor("audit", self.system),
            self.system,
            str(found.path),
            summary.arch,
            status,
            detail or f"all {summary.totals.checks} checks pass",
            summary.totals.checks,
            failures,
            tuple(sorted(summary.totals.findings.items())),
            tuple(r.id for r in rows if r.result != "pass"),
            rows,
        )

    @cached_property
    def programs(self) -> dict[str, list[str]]:
        """Each audited step's programs as the audit names them (its checks' id prefix: `hex0-seed/…`)."""
        seeds, stages = audited_programs(self.plan.graph, self.chain)
        names: dict[str, list[str]] = {}
        for program in (*seeds, *stages):
            names.setdefault(program.step, []).append(program.name)
        return names

    def audit_step(self, name: str) -> Evidence:
        """The audit's checks of the programs a step builds; the checks of no one program (DEFINEs, the
        reassemblies) are the audit section's."""
        view = self.audit
        if view is None:
            return Evidence("audit", NOT_RUN, f"no audit report (`rootstock audit --system {self.system}`)")
        programs = self.programs[name]
        rows = [r for r in view.rows if r.check.split("/")[0] in programs]
        what = " and ".join(programs)
        if not rows:
            return Evidence("audit", NOT_RUN, f"the audit has no check of {what}", view.id)
        failed = [r for r in rows if r.result != "pass"]
        if failed:
            return Evidence("audit", "differs", f"{len(failed)} of {len(rows)} checks of {what} fail", failed[0].id)
        return Evidence("audit", "agreed", f"all {len(rows)} checks of {what} pass", view.id)


def ddc_verdict(report: BuildReport) -> tuple[Status, str]:
    """A DDC pass's verdict as its report records it."""
    verdict = (report.result or {}).get("verdict")
    if verdict == "equal" and report.failure is None:
        return "agreed", "tcc-host2 and tcc-chain2 are identical"
    if report.failure is not None:
        return "differs", first_line(report.failure.error)
    return "differs", f"verdict {verdict!r}"


def static_views(plan: Plan, found: ev.Evidence) -> list[StaticView]:
    """The static nix with each toolchain that has a report, or with the default toolchain when none has."""
    recipe = plan.recipe
    if not recipe.package:
        return []
    toolchains = sorted(found.static) or [recipe.default_toolchain]
    return [static_view(plan, found, name) for name in toolchains]


def static_view(plan: Plan, found: ev.Evidence, toolchain: str) -> StaticView:
    recipe = plan.recipe
    build = found.static.get(toolchain)
    report = build.report if build is not None else None
    result: dict[str, Any] = dict(report.result or {}) if report is not None else {}
    checked = result.get("checked")

    def package_id(name: str) -> str:
        return anchor("pkg", toolchain, name)

    def view(name: str, kind: str, pins: tuple[str, ...], deps: Iterable[str], builder: str) -> StepView:
        pin, record = built_evidence(report, name, f"{kind} '{name}'", "built from its pinned sources")
        if checked is True:
            check = Evidence("check", "agreed", "built a second time under other store paths: the same `out`")
        else:
            why = "not recorded in this report" if checked is None else "built once (no --check)"
            check = Evidence("check", NOT_RUN, why)
        items = (pin, check)
        return StepView(
            id=package_id(name),
            name=name,
            description=f"{kind} {name}",
            builder=builder,
            pins=pins,
            steps=tuple(package_id(d) for d in deps),
            pinned="",
            out=record.out if record is not None else "",
            nar_hash="",
            evidence=items,
            level=level(items),
        )

    tc = recipe.toolchain[toolchain]
    packages = [view(toolchain, "toolchain", (tc.pin,) if tc.pin else (), (), f"toolchain {tc.kind}")]
    packages += [
        view(p.name, "package", (p.source,), p.deps or (toolchain,), f"{p.build} with {toolchain}")
        for p in recipe.package
    ]
    if report is None:
        status, detail = NOT_RUN, f"not built: no report of `rootstock build nix-static --toolchain {toolchain}`"
    elif report.failure is not None:
        status, detail = "differs", f"failed at {report.failure.name}: {first_line(report.failure.error)}"
    else:
        status, detail = "agreed", f"{len(report.steps)} derivations built; the result checked"
    return StaticView(
        anchor("static", toolchain),
        toolchain,
        str(build.path) if build is not None else "",
        status,
        detail,
        tuple(packages),
        tuple((key, str(result[key])) for key in sorted(result)),
        report.notes if report is not None else (),
        sbom_view(found.sbom.get(toolchain), toolchain),
    )


def sbom_view(sbom: ev.Sbom | None, toolchain: str) -> SbomView | None:
    if sbom is None:
        return None
    listed = sbom.document.components
    return SbomView(
        anchor("sbom", toolchain),
        str(sbom.path),
        len(listed),
        tuple(sorted(Counter(c.kind for c in listed).items())),
        tuple(sorted(Counter(c.usage for c in listed).items())),
        listed,
        sbom.text,
    )


CUSTODY = "custody"
"""The id of the page's custody section."""


def custody_view(index: int, log: ev.CustodyLog) -> CustodyView:
    entries = [line.entry for line in log.lines]
    signed = tuple(sorted({e.sig.partition(":")[0] for e in entries}))
    if not log.keys:
        status: Status = NOT_RUN
        detail = "signatures not checked: give `report --key PUBLIC` (or run `rootstock log verify`)"
    elif log.problem:
        status, detail = "differs", log.problem
    else:
        status = "agreed"
        detail = f"every signature verifies with {', '.join(log.keys)}; chain whole; every entry matches the data"
    return CustodyView(
        anchor(CUSTODY, str(index)),
        str(log.path),
        len(entries),
        sum(e.mode == "build" for e in entries),
        sum(e.mode == "check" for e in entries),
        signed,
        status,
        detail,
    )


def pin_view(named: NamedPin, mirror: Mirror | None) -> PinView:
    pin = named.pin
    if isinstance(pin, GitPin):
        tag = f" (tag {pin.tag})" if pin.tag else ""
        upstream: tuple[str, ...] = (f"{pin.url} at {pin.rev}{tag}",)
        copy = mirror.git_path(pin.url) if mirror is not None else None
    else:
        upstream = pin.urls
        copy = mirror.file_path(pin.hash) if mirror is not None else None
    where = "" if copy is None else f"{copy} ({'present' if copy.exists() else 'absent'})"
    return PinView(anchor("pin", named.name), named.name, pin.kind, pin.hash.sri, upstream, where)


def assemble(plan: Plan, found: ev.Evidence) -> TrustReport:
    """The trust report of everything found, in the plan's order."""
    chains = tuple(_Chain(plan, found, stage, system).view() for stage, system in ev.stages_of(plan))
    static = tuple(static_views(plan, found))
    rows = [s for c in chains for s in c.steps] + [p for s in static for p in s.steps]
    used = dict.fromkeys(name for row in rows for name in row.pins)
    custody = tuple(custody_view(n, log) for n, log in enumerate(found.custody, 1))
    counts = Counter(row.level for row in rows)
    return TrustReport(
        FORMAT,
        tuple(str(d) for d in found.log_dirs),
        chains,
        static,
        custody,
        tuple(pin_view(plan.pins.get(name), plan.project.mirror) for name in used),
        tuple((name, counts[name]) for name in ("three", "two", "one", "pinned", "not built", "differs")),
    )
