"""The one runner for everything that builds (stage steps, static packages): drift check, pins placed, derivations
instantiated, built with progress and one log each, outputs verified, and one report written, on failure too."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attrs import Factory, define, frozen

from rootstock import render
from rootstock.core.files import temporary_directory, write_atomic
from rootstock.errors import BuildError, CommandError, HashMismatchError, NotReproducibleError, RootstockError
from rootstock.host import nix
from rootstock.render.filters import nix_str
from rootstock.runner.report import BuildReport, Failure, StepRecord, forget_previous
from rootstock.runner.reproduce import describe, differences

if TYPE_CHECKING:
    from rootstock.plan import Plan
    from rootstock.stages.oracle import Verdict

log = logging.getLogger(__name__)

ENTRY = Path("nix/default.nix")


def attr_path(*names: str) -> str:
    """The -A path of an attribute of nix/default.nix (each name quoted: step names contain dots)."""
    return ".".join(nix_str(name) for name in names)


@frozen
class Target:
    """One derivation to build: its name in progress and logs, where nix/default.nix has it, and its check."""

    name: str
    attr: tuple[str, ...]
    pinned: str
    """What the output is checked against, as the report shows it."""
    checked_by: str
    kind: str = "step"
    """What the target is to a reader of messages: a step, a package, a toolchain."""
    verify: Callable[[Path], None] | None = None
    """Checks the built output; raises a RootstockError naming the target when it is not what was pinned."""
    rebuild_attr: tuple[str, ...] | None = None
    """With check: the same derivation under other store paths, built again and compared (reproduce.py)."""
    mismatch: str = ""
    """What other bytes than pinned mean for this target, said with the hash mismatch (e.g. a missed fixed point)."""

    def describe(self) -> str:
        """The target as messages name it: step 'hex1', package 'zlib'."""
        return f"{self.kind} '{self.name}'"

    def progress_name(self) -> str:
        """The target in progress lines: hex1, package zlib."""
        return self.name if self.kind == "step" else f"{self.kind} {self.name}"


@frozen
class Built:
    """A built and verified derivation."""

    target: Target
    drv: str
    outputs: Mapping[str, Path]
    log: Path
    seconds: float | None

    @property
    def out(self) -> Path:
        """The main output."""
        return self.outputs["out"]

    def describe(self) -> str:
        """The target as messages name it."""
        return self.target.describe()

    def record(self) -> StepRecord:
        """The derivation as the report shows it."""
        t = self.target
        return StepRecord(t.name, self.drv, str(self.out), t.pinned, t.checked_by, str(self.log), self.seconds)


# A build tool's own progress counter ("[123/321] Compiling ..."), relayed while a long package builds.
TOOL_PROGRESS_RE = re.compile(r"\[\d+/\d+\] [^\x1b\r]*")


@define
class Runner:
    """Runs the derivations of one command against one plan and writes its report into directory."""

    plan: Plan
    directory: Path
    title: str
    total: int
    where: str = ""
    """What progress lines add to each target: ' on x86_64-linux', ' with zig'."""
    jobs: int = 2
    """Derivations built at a time."""
    cores: int = 1
    """Cores each derivation may use."""
    sandbox_paths: tuple[str, ...] = ()
    keep_going: bool = False
    """Let Nix finish what does not depend on a failure (`stages repin`: a step next to one whose hash moved
    may have been building for an hour)."""
    heartbeat_seconds: float = 60.0
    nix_args: Mapping[str, str] = Factory(dict)
    """Arguments of nix/default.nix (`--argstr`), such as the output hashes `stages repin` tries."""
    extra: dict[str, Any] = Factory(dict)
    """Top-level keys of the report, on failure too (report.BuildReport.extra)."""
    built: list[Built] = Factory(list)
    began: float = Factory(time.monotonic)
    failed: bool = False
    """Whether a build failed and its report is written."""

    def start(self, pins: Iterable[str]) -> dict[str, Path]:
        """Refuse stale rendered files, forget the previous report, and place the pins in the store.

        Raises:
            DriftError: nix/generated/ does not match the data (the build would not be what the data says).
            HashMismatchError, MirrorMissingError: a pin's bytes changed or are not in the mirror.
        """
        project = self.plan.project
        render.check(project.root, render.render_all(self.plan))
        forget_previous(self.directory)
        fetcher = project.fetcher()
        with temporary_directory("rootstock-pins-") as tmp:
            return {name: fetcher.place(project.pins.get(name), tmp) for name in sorted(set(pins))}

    def elapsed(self) -> str:
        """Seconds since the run began, for progress lines."""
        return f"{time.monotonic() - self.began:.1f}s"

    def build(self, targets: Sequence[Target], *, check: bool = False, alone: bool = False) -> list[Built]:
        """Build targets and verify each; with alone, one derivation at a time (exact times, the build tool's
        progress relayed), else all in one Nix call, `jobs` at a time.

        On any failure the failing derivation's log and a report naming it are written before the error is raised.

        Raises:
            HashMismatchError: an output is not what was pinned (naming the target and its log).
            BuildError: a derivation failed (naming it and its log), or with check its second build differs.
        """
        project_root = self.plan.project.root
        drvs = nix.instantiate(project_root / ENTRY, [attr_path(*t.attr) for t in targets], self.nix_args)
        pairs = list(zip(targets, drvs, strict=True))
        try:
            if alone:
                done = [self._build_alone(target, drv, check=check) for target, drv in pairs]
            else:
                done = self._build_together(pairs, check=check)
        except RootstockError as exc:
            self._fail(pairs, exc)
        return done

    def _log_path(self, index: int, name: str) -> Path:
        return self.directory / f"{index:03d}-{name}.log"

    def _build_alone(self, target: Target, drv: str, *, check: bool) -> Built:
        index = len(self.built) + 1
        log.info("[%d/%d] building %s%s (%s)", index, self.total, target.progress_name(), self.where, self.elapsed())
        began = time.monotonic()
        nix.build(
            [drv],
            max_jobs=1,
            cores=self.cores,
            sandbox_paths=self.sandbox_paths,
            on_line=self._heartbeat(target.describe(), began),
        )
        seconds = time.monotonic() - began
        outputs = nix.derivation_outputs([drv])[drv]
        built = Built(target, drv, outputs, self._log_path(index, target.name), seconds)
        write_atomic(built.log, nix.read_log(drv))
        self._verify(built)
        if check and target.rebuild_attr is not None:
            log.info(
                "[%d/%d] building %s a second time (%s)", index, self.total, target.progress_name(), self.elapsed()
            )
            self._compare_second_build(built)
        self.built.append(built)
        return built

    def _heartbeat(self, name: str, began: float) -> Callable[[str], None]:
        last = began

        def relay(line: str) -> None:
            nonlocal last
            now = time.monotonic()
            if now - last >= self.heartbeat_seconds and (m := TOOL_PROGRESS_RE.search(line)):
                last = now
                log.info("    %s: %s (%.0fs)", name, m.group(0).strip()[:100], now - began)

        return relay

    def _build_together(self, pairs: list[tuple[Target, str]], *, check: bool) -> list[Built]:
        by_drv = {drv: target for target, drv in pairs}
        first = len(self.built)

        def started(progress: nix.BuildProgress, drv: str) -> None:
            target = by_drv.get(drv)
            name = target.progress_name() if target is not None else nix.drv_name(drv)
            total = max(self.total, first + (progress.total or len(pairs)))
            verb = "checking" if check else "building"
            index = first + len(progress.started)
            log.info("[%d/%d] %s %s%s (%s)", index, total, verb, name, self.where, self.elapsed())

        drvs = [drv for _, drv in pairs]
        nix.build(drvs, check=check, max_jobs=self.jobs, cores=self.cores, keep_going=self.keep_going, on_start=started)
        outputs = nix.derivation_outputs([drv for _, drv in pairs])
        done = []
        for index, (target, drv) in enumerate(pairs, first + 1):
            built = Built(target, drv, outputs[drv], self._log_path(index, target.name), None)
            write_atomic(built.log, nix.read_log(drv))
            self._verify(built)
            done.append(built)
            self.built.append(built)
        return done

    @staticmethod
    def _verify(built: Built) -> None:
        if built.target.verify is not None:
            built.target.verify(built.out)

    def _compare_second_build(self, built: Built) -> None:
        """Build the derivation again under other store paths and require the same `out`.

        Only `out` is compared: an `evidence` output records the build itself (ninja's timings, zig's cache
        manifests), which no two builds share. The second build leaves the store afterwards.

        Raises:
            NotReproducibleError: the two `out`s differ (naming the target and where).
        """
        assert built.target.rebuild_attr is not None
        (second,) = nix.instantiate(self.plan.project.root / ENTRY, [attr_path(*built.target.rebuild_attr)])
        log_path = self.directory / "second-builds" / f"{nix.drv_name(built.drv)}.log"
        try:
            nix.build([second], max_jobs=1, cores=self.cores, sandbox_paths=self.sandbox_paths)
        finally:
            write_atomic(log_path, nix.read_log(second))
        outputs = nix.derivation_outputs([second])[second]
        found = differences(built.out, outputs["out"])
        for path in outputs.values():
            nix.delete(path)
        if found:
            detail = f"a second build differs from {built.out}: {describe(found)}; log: {log_path}"
            raise NotReproducibleError(built.describe(), detail)

    def _fail(self, pairs: list[tuple[Target, str]], exc: RootstockError) -> None:
        """Keep every log there is, write a report naming the failed derivation, and raise the error again
        with the log's place in it."""
        self.failed = True
        failed_drv = exc.drv
        known = {b.target.name for b in self.built}
        remaining = [(target, drv) for target, drv in pairs if target.name not in known]
        outputs = nix.derivation_outputs([drv for _, drv in remaining])
        failed_name: str | None = None
        failed_log: Path | None = None
        for target, drv in remaining:
            path = self._log_path(len(self.built) + 1, target.name)
            if drv == failed_drv or failed_drv is None:
                write_atomic(path, nix.read_log(drv))
                failed_name, failed_log, failed_drv = target.describe(), path, drv
                break
            if nix.is_valid(outputs[drv]["out"]):
                # Built by the same Nix call before it stopped; a fixed-output one was checked by Nix itself.
                built = Built(target, drv, outputs[drv], path, None)
                write_atomic(path, nix.read_log(drv))
                self.built.append(built)
        failed_target = next((target for target, drv in remaining if drv == failed_drv), None)
        if failed_name is None:
            failed_name = f"derivation '{nix.drv_name(failed_drv)}'" if failed_drv is not None else "nix-build"
        where = f"; log: {failed_log}" if failed_log is not None else ""
        report = BuildReport(
            self.title,
            self.directory.name,
            tuple(b.record() for b in self.built),
            status="failed",
            failure=Failure(failed_name, str(exc), str(failed_log or "")),
            extra=self.extra,
        )
        report.write(self.directory)
        if isinstance(exc, HashMismatchError):
            meaning = f"{failed_target.mismatch}; " if failed_target is not None and failed_target.mismatch else ""
            mismatch = HashMismatchError(
                failed_name, exc.expected, exc.actual, f"{meaning}{exc.remedy}{where}".removeprefix("; ")
            )
            mismatch.drv = failed_drv
            raise mismatch from None
        if isinstance(exc, NotReproducibleError):
            raise exc
        if isinstance(exc, CommandError | BuildError):
            msg = f"{failed_name} failed to build{where}"
            raise BuildError(msg, *str(exc).splitlines()) from None
        raise exc

    def finish(
        self,
        verdicts: Sequence[Verdict] = (),
        notes: Sequence[str] = (),
        failure: Failure | None = None,
        result: Mapping[str, Any] | None = None,
    ) -> Path:
        """Write the report of the run: a success, or a failure found after the builds (an oracle, a result
        check, a comparison); returns report.json's path. result is the command's own findings as data."""
        report = BuildReport(
            self.title,
            self.directory.name,
            tuple(b.record() for b in self.built),
            tuple(verdicts),
            status="ok" if failure is None else "failed",
            failure=failure,
            notes=tuple(notes),
            result=result,
            extra=self.extra,
        )
        return report.write(self.directory)
