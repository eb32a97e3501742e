"""`verify-with NIX`: another Nix rebuilds a stage and every stage before it in a chroot store of its own (sandboxed,
offline, its pins placed by that Nix from the mirror or upstream), every output checked against its pin, signs
its own custody log and compares it entry by entry with the first builder's (docs/verify-with.md)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attrs import frozen

from rootstock.core.files import temporary_directory, write_atomic
from rootstock.core.hashes import Hash
from rootstock.custody.entry import Entry
from rootstock.custody.keys import SecretKey, Signature
from rootstock.custody.log import Difference, Line, append_build, compare, read_lines
from rootstock.errors import CustodyError, HashMismatchError, InputError, listing
from rootstock.host import nix
from rootstock.runner.report import Failure
from rootstock.runner.run import Built, Runner
from rootstock.stages.build import build_and_consult, log_verdicts

if TYPE_CHECKING:
    from rootstock.plan import Plan
    from rootstock.stages.resolve import ResolvedStep

log = logging.getLogger(__name__)

CUSTODY_LOG = "custody.jsonl"
"""The second Nix's custody log, in the run's report directory."""
EPHEMERAL_PUBLIC = "custody.pub"
"""Beside it, the public half of an ephemeral key (the secret half is never written)."""
EPHEMERAL_KEY_NAME = "rootstock-verify-with-ephemeral"


@frozen
class Reproduced:
    """What a verify-with run established."""

    built: tuple[Built, ...]
    report: Path
    custody_log: Path
    key: str
    ephemeral_public: Path | None
    """Where the ephemeral key's public half is, when no --sign-key was given."""
    compared: int
    version: str


def report_dir(log_dir: Path, stage: str, system: str) -> Path:
    """Where a run's report, step logs and custody log go."""
    return log_dir / "verify-with" / stage / system


def _sri(nar_hash: str) -> str:
    return Hash.parse(nar_hash.removeprefix("sha256:")).sri


def _builds(steps: Sequence[ResolvedStep], system: str) -> str:
    """The builds that sign these steps into the first builder's log."""
    stages = dict.fromkeys(step.stage for step in steps)
    return " and ".join(f"'rootstock build {s} --system {system} --sign-key SECRET'" for s in stages)


def first_builder(against: Path, system: str, steps: Sequence[ResolvedStep]) -> tuple[list[Line], list[str]]:
    """The first builder's entries of these steps on system as its log holds them now, and the steps it has no
    entry for yet: a first build of the same machine may still be signing them while the second Nix rebuilds.

    Raises:
        InputError: there is no such log (naming what to build first, and how), or it is not a custody log.
        CustodyError: a line of it was edited out of canonical form.
    """
    if not against.is_file():
        msg = f"no first-builder custody log at {against}: with the first Nix, run {_builds(steps, system)} first"
        raise InputError(msg + " (or name its log with --against LOG)")
    wanted = {step.name for step in steps}
    lines = [line for line in read_lines(against) if line.entry.system == system and line.entry.step in wanted]
    recorded = {line.entry.step for line in lines}
    return lines, [step.name for step in steps if step.name not in recorded]


def _lacking(against: Path, system: str, steps: Sequence[ResolvedStep], missing: Sequence[str]) -> str:
    lacking = [step for step in steps if step.name in missing]
    return (
        f"{against} records no entry for {len(missing)} of the {len(steps)} steps to compare on {system} "
        f"({listing(list(missing))}): with the first Nix, run {_builds(lacking, system)}"
    )


@frozen
class Builders:
    """The two builders compared, as messages name them: the first by its log, the second by its Nix and key."""

    against: Path
    nix_path: Path
    version: str
    key: str

    def second(self) -> str:
        """The second builder in a message."""
        return f"the second Nix ({self.nix_path}, Nix {self.version}, key '{self.key}')"

    def first(self, entry: Entry) -> str:
        """The first builder in a message, by the key that signed its entry."""
        return f"the first builder (key '{Signature.parse(entry.sig).key}', {self.against})"


def _mismatch(exc: HashMismatchError, first: Sequence[Line], builders: Builders) -> HashMismatchError:
    """A fixed-output mismatch under the second Nix, with what the first builder recorded for that derivation."""
    recorded = next((line.entry for line in first if line.entry.drv == exc.drv), None)
    if recorded is None:
        firsts = f"{builders.against} records no derivation {exc.drv}: the two builders built other derivations"
        verdict = ""
    else:
        firsts = f"{builders.first(recorded)} recorded {_sri(recorded.nar_hash)}"
        verdict = "the second Nix built other bytes from the derivation the first builder built; "
    error = HashMismatchError(
        f"{exc.what} under {builders.second()}",
        f"{exc.expected} (pinned; {firsts})",
        f"{exc.actual} (built by the second Nix)",
        verdict + exc.remedy,
    )
    error.drv = exc.drv
    return error


def _differs(difference: Difference, builders: Builders) -> str:
    """One step the two logs record with other outputs: both NAR hashes, both builders, and whether the store
    paths (the derivations) already differ."""
    theirs, ours = difference.first[-1], difference.second[-1]
    what = f"step '{difference.step}' on {difference.system}"
    if theirs.out != ours.out:
        return (
            f"{what}: the store paths differ, so the two builders built other derivations (first builder: "
            f"{theirs.drv} -> {theirs.out}; second Nix: {ours.drv} -> {ours.out}); was {builders.against} written from "
            "this checkout's data?"
        )
    return (
        f"{what}: {builders.first(theirs)} recorded {_sri(theirs.nar_hash)} "
        f"({theirs.nar_size} bytes); {builders.second()} recorded {_sri(ours.nar_hash)} "
        f"({ours.nar_size} bytes), both for {ours.out}"
    )


def verify_with(
    plan: Plan,
    nix_path: Path,
    *,
    system: str,
    stage: str,
    against: Path,
    key: SecretKey | None,
    log_dir: Path,
    jobs: int = 2,
) -> Reproduced:
    """Rebuild stage and the stages before it on system with the Nix at nix_path in a temporary chroot store
    (removed afterwards, on failure and interrupt too) and compare its signed log with the first builder's.

    Raises:
        InputError: nix_path is not a Nix (checked first), the first builder's log is missing or malformed, or still
            lacks a step at the end.
        HashMismatchError: an output under the second Nix is not its pin (the step, both hashes, both builders).
        CustodyError: the two logs record another output for a step.
        BuildError: a step failed to build.
    """
    chain = plan.system(system)
    steps = chain.through(stage)
    signing = key or SecretKey.generate(EPHEMERAL_KEY_NAME)
    directory = report_dir(log_dir, stage, system)
    custody = directory / CUSTODY_LOG
    with temporary_directory("rootstock-verify-with-") as work:
        # NIX first: of a NIX that is not a Nix, nothing about the first builder's log is worth saying.
        second = nix.installation_at(nix_path, work, store=work / "store", conf=nix.FRESH_STORE_CONF)
        _, missing = first_builder(against, system, steps)
        if missing:
            what = _lacking(against, system, steps, missing)
            log.warning("%s before this run ends: it compares what the log holds then", what)
        log.info("second Nix: %s (Nix %s), in a store of its own at %s", nix_path, second.version, second.store)
        builders = Builders(against, nix_path, str(second.version), signing.name)
        extra: dict[str, Any] = {
            "second_nix": {"path": str(nix_path), "version": builders.version},
            "log_compare": {"equal": False, "entries": 0},
        }
        runner = Runner(
            plan,
            directory,
            f"rootstock verify-with report: {stage} on {system}, rebuilt by Nix {second.version}",
            len(steps),
            where=f" on {system} with Nix {second.version}",
            jobs=jobs,
            extra=extra,
        )
        # A log of an earlier run must not stand beside this run's report, nor have entries chained onto it.
        for stale in (custody, directory / EPHEMERAL_PUBLIC):
            stale.unlink(missing_ok=True)
        with nix.using(second):
            try:
                built, verdicts = build_and_consult(runner, chain, steps)
            except HashMismatchError as exc:
                raise _mismatch(exc, first_builder(against, system, steps)[0], builders) from None
            append_build(custody, plan, system, built, mode="build", key=signing)
    ephemeral = None
    if key is None:
        ephemeral = directory / EPHEMERAL_PUBLIC
        write_atomic(ephemeral, f"{signing.public()}\n")
    first, missing = first_builder(against, system, steps)
    compared, messages = _disagreements(first, read_lines(custody), builders)
    extra["log_compare"] = {"equal": not messages and not missing, "entries": compared}
    notes = _notes(builders, ephemeral, extra["log_compare"])
    if missing:
        msg = f"{_lacking(against, system, steps, missing)} first, then verify-with again"
        runner.finish(verdicts, notes, failure=Failure("log compare", msg, str(custody)))
        raise InputError(msg)
    if messages:
        more = f" ({len(messages)} steps differ)" if len(messages) > 1 else ""
        msg = f"the second Nix's custody log disagrees with the first builder's at {messages[0]}{more}"
        runner.finish(verdicts, notes, failure=Failure("log compare", msg, str(custody)))
        raise CustodyError(msg)
    report = runner.finish(verdicts, notes)
    log_verdicts(verdicts, report)
    return Reproduced(tuple(built), report, custody, signing.name, ephemeral, compared, builders.version)


def _disagreements(first: Sequence[Line], ours: Sequence[Line], builders: Builders) -> tuple[int, list[str]]:
    """How many steps the two logs share, and one message per step they disagree on: another fingerprint (log
    compare's verdict), or the same output from another derivation (a fixed-output path is its name and hash
    alone, so only the drv shows that the two builders built other derivations)."""
    found = compare(first, ours)
    messages = [_differs(d, builders) for d in found.differ]
    differing = {(d.system, d.step) for d in found.differ}
    for line in ours:
        entry = line.entry
        drvs = sorted({f.entry.drv for f in first if f.entry.step == entry.step} - {entry.drv})
        if drvs and (entry.system, entry.step) not in differing:
            messages.append(
                f"{entry.where()}: the same output {entry.out}, but from other derivations (first builder: "
                f"{', '.join(drvs)}; second Nix: {entry.drv}); was {builders.against} written from this checkout's "
                "data?"
            )
    return len(found.same) + len(found.differ), messages


def _notes(builders: Builders, ephemeral: Path | None, compared: Mapping[str, Any]) -> list[str]:
    signed = f"signed by '{builders.key}'"
    if ephemeral is not None:
        signed += f", an ephemeral key made for this run (its public half: `{ephemeral}`; the secret is gone)"
    verdict = "equal" if compared["equal"] else "NOT equal"
    return [
        f"- Rebuilt by a second Nix: `{builders.nix_path}` (Nix {builders.version}), in a chroot store of its own "
        "(removed afterwards), sandboxed, no substituters, its pins placed by that Nix.",
        f"- Its custody log (`{CUSTODY_LOG}`) is {signed}.",
        f"- Compared with the first builder's log `{builders.against}`: {compared['entries']} entries, {verdict}.",
    ]
