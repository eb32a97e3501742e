"""Building the stage graph through Nix: pins placed, progress shown, a log per step, every output checked."""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from attrs import frozen

from rootstock import render
from rootstock.core.files import write_atomic
from rootstock.core.nar import flat_hash, nar_hash
from rootstock.errors import HashMismatchError, InputError
from rootstock.host import nix
from rootstock.plan import Plan
from rootstock.project import Project
from rootstock.render.filters import nix_str
from rootstock.runner.report import BuildReport, StepRecord
from rootstock.stages.oracle import Verdict, judge, materialize, parse_answers, require_all_ok
from rootstock.stages.resolve import Ref, ResolvedStep, SystemPlan

ENTRY = Path("nix/default.nix")


@frozen
class StepResult:
    """A built step: its derivation, its output, and the hash it was checked against."""

    step: ResolvedStep
    drv: str
    out: Path
    log: Path

    def record(self) -> StepRecord:
        """The step as the report shows it."""
        if self.step.output is not None:
            pinned, check = self.step.output.sri, "Nix (fixed-output) and rootstock"
        else:
            pinned, check = f"{len(self.step.files)} file sha256s", "rootstock, after the build"
        return StepRecord(self.step.name, self.drv, str(self.out), pinned, check, str(self.log))


def attr_path(system: str, step: str) -> str:
    """The -A path of a step in nix/default.nix (quoted: step names may contain dots)."""
    return f"stages.{nix_str(system)}.{nix_str(step)}"


def verify_output(step: ResolvedStep, out: Path) -> None:
    """Check a built output against the graph's pin (again, for fixed-output steps Nix already did).

    Raises:
        HashMismatchError: naming the step (and file), expected and actual hash; the output is deleted.
    """
    if step.output is not None:
        actual = nar_hash(out)
        if actual != step.output:
            what = f"step '{step.name}' ({out})"
            raise HashMismatchError(what, step.output.sri, actual.sri)
        return
    for rel, expected in step.files:
        actual = flat_hash(out / rel)
        if actual != expected:
            nix.delete(out)
            what = f"step '{step.name}', file {rel}"
            raise HashMismatchError(
                what,
                expected.hex,
                actual.hex,
                "the output was deleted from the store; fix the input or, after review, the pinned hash",
            )


def place_pins(project: Project, steps: tuple[ResolvedStep, ...]) -> dict[Ref, Path]:
    """Put every pin the steps refer to into the store (from upstream or the mirror), checked."""
    names = sorted({ref.name for step in steps for ref in step.refs() if ref.kind == "pin"})
    fetcher = project.fetcher()
    with tempfile.TemporaryDirectory(prefix="rootstock-build-") as tmp:
        return {Ref("pin", name): fetcher.place(project.pins.get(name), Path(tmp)) for name in names}


def consult_oracles(chain: SystemPlan, results: list[StepResult], paths: dict[Ref, Path]) -> list[Verdict]:
    """Compare built programs with every oracle whose steps were all built in this run."""
    outputs = {result.step.name: result.out for result in results}
    verdicts: list[Verdict] = []
    for resolved in chain.oracles:
        if not set(resolved.oracle.steps) <= set(outputs):
            continue
        known = paths | {Ref("step", name): out for name, out in outputs.items()}
        answers_path = Path(materialize(resolved.answers, known))
        try:
            text = answers_path.read_text()
        except OSError as exc:
            msg = f"oracle '{resolved.oracle.name}': cannot read {answers_path} ({exc.strerror})"
            raise InputError(msg) from None
        answers = parse_answers(text, resolved.prefix, str(answers_path))
        verdicts += judge(resolved.oracle, answers, outputs)
    return verdicts


def build_steps(
    plan: Plan,
    system: str,
    *,
    until: str | None = None,
    check: bool = False,
    max_jobs: int = 2,
    log_dir: Path,
    say: Callable[[str], None] = lambda line: print(line, file=sys.stderr),
) -> list[StepResult]:
    """Build the chain on one system (optionally only up to a step; with check, rebuild and compare).

    Raises:
        DriftError: nix/generated/ does not match the data (the build would not be what the data says).
        HashMismatchError: a step produced other bytes than pinned.
        BuildError: a step failed.
    """
    project = plan.project
    render.check(project.root, render.render_all(plan))
    chain = plan.system(system)
    steps = chain.until(until)
    pin_paths = place_pins(project, steps)
    targets = [attr_path(system, step.name) for step in steps]
    drvs = nix.instantiate(project.root / ENTRY, targets)
    by_drv = dict(zip(drvs, steps, strict=True))
    began = time.monotonic()

    def started(progress: nix.BuildProgress, drv: str) -> None:
        step = by_drv.get(drv)
        name = step.name if step else nix.drv_name(drv)
        total = progress.total or len(steps)
        say(
            f"[{len(progress.started)}/{total}] {'checking' if check else 'building'} {name} on {system} "
            f"({time.monotonic() - began:.1f}s)"
        )

    outs = nix.build(drvs, check=check, max_jobs=max_jobs, on_start=started)
    results = []
    for index, (drv, step, out) in enumerate(zip(drvs, steps, outs, strict=True), 1):
        log = log_dir / system / f"{index:03d}-{step.name}.log"
        write_atomic(log, nix.read_log(drv))
        verify_output(step, out)
        results.append(StepResult(step, drv, out, log))
    say(f"{len(results)} steps on {system} match their pinned hashes ({time.monotonic() - began:.1f}s)")
    verdicts = consult_oracles(chain, results, pin_paths)
    report = BuildReport(system, tuple(r.record() for r in results), tuple(verdicts))
    json_path, _ = report.write(log_dir / system)
    if verdicts:
        agreed = sum(v.status == "match" for v in verdicts)
        explained = sum(v.status == "explained" for v in verdicts)
        say(f"oracles: {agreed} programs match, {explained} differ as explained; report: {json_path}")
    require_all_ok(verdicts)
    return results
