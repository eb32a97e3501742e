"""Building the stage graph on one system through the runner: every step a target checked against its pin, then
the oracles consulted."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rootstock.core.nar import flat_hash, nar_hash
from rootstock.errors import BuildError, HashMismatchError, InputError
from rootstock.host import nix
from rootstock.runner.report import Failure
from rootstock.runner.run import Built, Runner, Target
from rootstock.stages.oracle import Verdict, judge, materialize, parse_answers, require_all_ok
from rootstock.stages.resolve import Ref, ResolvedStep, SystemPlan

if TYPE_CHECKING:
    from rootstock.plan import Plan

log = logging.getLogger(__name__)


def stage_log_dir(log_dir: Path, stage: str) -> Path:
    """Where `build STAGE` puts its `<system>/` directories of logs and report: stage 0's stay where they always
    were (build-logs/<system>/), a later stage's sit beside them (build-logs/<stage>/<system>/), so neither
    replaces the other. `rootstock report` reads them from here."""
    return log_dir if stage == "stage0" else log_dir / stage


def verifier(step: ResolvedStep) -> Callable[[Path], None]:
    """The check of a step's output against the graph's pin (for fixed-output steps Nix already did it once)."""

    def verify(out: Path) -> None:
        stored = nix.physical(out)
        if step.output is not None:
            actual = nar_hash(stored)
            if actual != step.output:
                what = f"step '{step.name}' ({out})"
                raise HashMismatchError(what, step.output.sri, actual.sri)
            return
        for rel, expected in step.files:
            actual = flat_hash(stored / rel)
            if actual != expected:
                nix.delete(out)
                what = f"step '{step.name}', file {rel}"
                raise HashMismatchError(
                    what,
                    expected.hex,
                    actual.hex,
                    "the output was deleted from the store; fix the input or, after review, the pinned hash",
                )

    return verify


def target(step: ResolvedStep) -> Target:
    """A step as the runner builds it."""
    mismatch = ""
    if step.same_as is not None:
        pinned, checked_by = step.output.sri, f"Nix (fixed-output): equal to step '{step.same_as}', a fixed point"
        mismatch = f"no fixed point: the rebuild differs from step '{step.same_as}', whose output it must equal"
    elif step.output is not None:
        pinned, checked_by = step.output.sri, "Nix (fixed-output) and rootstock"
    else:
        pinned, checked_by = f"{len(step.files)} file sha256s", "rootstock, after the build"
    attr = ("stages", step.system, step.name)
    return Target(step.name, attr, pinned, checked_by, verify=verifier(step), mismatch=mismatch)


def consult_oracles(chain: SystemPlan, built: list[Built], paths: dict[Ref, Path]) -> list[Verdict]:
    """Compare built programs with every oracle whose steps were all built in this run."""
    outputs = {b.target.name: b.out for b in built}
    verdicts: list[Verdict] = []
    for resolved in chain.oracles:
        if not set(resolved.oracle.steps) <= set(outputs):
            continue
        if resolved.answers is None:
            checksums = resolved.oracle.checksums.items()
            answers = {path.removeprefix(resolved.prefix): digest.lower() for path, digest in checksums}
        else:
            known = paths | {Ref("step", name): out for name, out in outputs.items()}
            answers_path = nix.physical(materialize(resolved.answers, known))
            try:
                text = answers_path.read_text()
            except OSError as exc:
                msg = f"oracle '{resolved.oracle.name}': cannot read {answers_path} ({exc.strerror})"
                raise InputError(msg) from None
            answers = parse_answers(text, resolved.prefix, str(answers_path))
        verdicts += judge(resolved.oracle, answers, {name: nix.physical(out) for name, out in outputs.items()})
    return verdicts


def build_and_consult(
    runner: Runner, chain: SystemPlan, steps: Sequence[ResolvedStep], *, check: bool = False
) -> tuple[list[Built], list[Verdict]]:
    """Place the steps' pins, build the steps (each checked against its pin) and consult the oracles; the report
    of a success is the caller's to write (runner.finish), with whatever it establishes after the build.

    Raises:
        DriftError: nix/generated/ does not match the data (the build would not be what the data says).
        HashMismatchError: a step produced other bytes than pinned.
        BuildError: a step failed, or a program disagrees with its oracle (the failed report is written).
    """
    # A later stage is built on the earlier ones, which Nix builds too (on a fresh store): their pins as well.
    pins = runner.start(name for step in chain.built_from(steps) for name in step.pin_names())
    built = runner.build([target(step) for step in steps], check=check)
    log.info("%d steps on %s match their pinned hashes (%s)", len(built), chain.system, runner.elapsed())
    verdicts = consult_oracles(chain, built, {Ref("pin", name): path for name, path in pins.items()})
    try:
        require_all_ok(verdicts)
    except BuildError as exc:
        runner.finish(verdicts, failure=Failure("oracles", str(exc), ""))
        raise
    return built, verdicts


def log_verdicts(verdicts: Sequence[Verdict], report: Path) -> None:
    """The oracles' totals, and where the report is."""
    if verdicts:
        agreed = sum(v.status == "match" for v in verdicts)
        explained = sum(v.status == "explained" for v in verdicts)
        log.info("oracles: %d programs match, %d differ as explained; report: %s", agreed, explained, report)


def build_steps(
    plan: Plan,
    system: str,
    *,
    stage: str | None = None,
    until: str | None = None,
    check: bool = False,
    jobs: int = 2,
    log_dir: Path,
) -> list[Built]:
    """Build the chain (or one stage of it) on one system, optionally only up to a step; with check, rebuild
    and compare. Nix builds the earlier stages a stage needs as its inputs; only the stage's steps are reported.

    Raises:
        DriftError: nix/generated/ does not match the data (the build would not be what the data says).
        HashMismatchError: a step produced other bytes than pinned.
        BuildError: a step failed.
    """
    chain = plan.system(system)
    steps = chain.until(until, stage)
    runner = Runner(
        plan, log_dir / system, f"rootstock build report: {system}", len(steps), where=f" on {system}", jobs=jobs
    )
    built, verdicts = build_and_consult(runner, chain, steps, check=check)
    log_verdicts(verdicts, runner.finish(verdicts))
    return built
