"""`rootstock build nix-static`: the static Nix recipe built package by package, the result checked, its SBOM
derived from the build's own evidence."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from attrs import frozen

from rootstock.core.files import temporary_directory
from rootstock.core.nar import flat_hash
from rootstock.errors import InputError, RootstockError
from rootstock.host.dpkg import Dpkg
from rootstock.runner.report import Failure
from rootstock.runner.run import Built, Runner, Target
from rootstock.sbom.hostdb import HostDatabase
from rootstock.static.checks import check_runs, check_static, probe_toolchain
from rootstock.static.load import RECIPE_FILE
from rootstock.static.manifest import build_manifest, write_manifest, write_sbom
from rootstock.static.model import Recipe

if TYPE_CHECKING:
    from rootstock.plan import Plan

log = logging.getLogger(__name__)


@frozen
class StaticBuild:
    """The whole static build: every package, the checked binary and where its SBOM and report are."""

    toolchain: str
    packages: tuple[Built, ...]
    """The toolchain first, then every package in build order."""
    binary: Path
    version: str
    sha256: str
    size: int
    report_dir: Path
    checked: bool = False
    """Whether the toolchain and every package were built twice (`--check`) with identical `out`s."""


def report_dir(log_dir: Path, toolchain: str) -> Path:
    """Where the build with one toolchain puts its logs, report, manifest and SBOM."""
    return log_dir / "nix-static" / toolchain


def targets(recipe: Recipe, toolchain: str) -> list[Target]:
    """The toolchain and every package of the recipe, as the runner builds them."""
    tc = Target(
        toolchain,
        ("static", "toolchains", toolchain),
        "pinned sources",
        "a static probe program",
        kind="toolchain",
        rebuild_attr=("static", "rebuilt", "toolchains", toolchain),
    )
    return [
        tc,
        *(
            Target(
                pkg.name,
                ("static", "packages", toolchain, pkg.name),
                f"source pin {pkg.source}",
                "pinned source",
                kind="package",
                rebuild_attr=("static", "rebuilt", "packages", toolchain, pkg.name),
            )
            for pkg in recipe.package
        ),
    ]


def build_static(
    plan: Plan,
    *,
    toolchain: str | None = None,
    log_dir: Path,
    cores: int = 2,
    host: HostDatabase | None = None,
    heartbeat_seconds: float = 60.0,
    check: bool = False,
) -> StaticBuild:
    """Build every package of static-nix.toml with one toolchain, then check the subject binary and derive
    its SBOM.

    While a package builds, its build tool's progress counter is relayed every heartbeat_seconds. With check,
    the toolchain and every package are built a second time under other store paths, and each second `out`
    must equal the first (reproduce.py).

    Raises:
        InputError: no recipe, unknown toolchain, bad data; DriftError: rendered files are stale.
        HashMismatchError, MirrorMissingError: a pinned source changed or is missing (naming the pin).
        NotStaticError: the toolchain (probed first) or the result links dynamically.
        BuildError: a package failed (naming it and its log), or the result does not run as expected.
        NotReproducibleError: with check, a second build differs (naming the package and the differences).
    """
    project, recipe = plan.project, plan.recipe
    if not recipe.package:
        msg = f"{project.root / RECIPE_FILE}: no packages to build"
        raise InputError(msg)
    chosen = toolchain or recipe.default_toolchain
    if chosen not in recipe.toolchain:
        msg = f"{RECIPE_FILE}: no toolchain '{chosen}' (toolchains: {', '.join(sorted(recipe.toolchain))})"
        raise InputError(msg)
    logs = report_dir(log_dir, chosen)
    tc_target, *package_targets = targets(recipe, chosen)
    runner = Runner(
        plan,
        logs,
        f"Static Nix built with toolchain `{chosen}`",
        len(package_targets) + 1,
        where=f" with {chosen}",
        jobs=1,
        cores=cores,
        sandbox_paths=recipe.host_paths,
        heartbeat_seconds=heartbeat_seconds,
    )
    tc_pin = recipe.toolchain[chosen].pin
    sources = runner.start([pkg.source for pkg in recipe.package] + ([tc_pin] if tc_pin else []))
    (tc_built,) = runner.build([tc_target], check=check, alone=True)
    try:
        with temporary_directory("rootstock-probe-") as tmp:
            probe_toolchain([str(tc_built.out / "bin" / "cc"), "-static"], tmp, producer=f"'{chosen}'")
        built = runner.build(package_targets, check=check, alone=True)
        subject = next(b for b in built if b.target.name == recipe.subject)
        binary = subject.out / recipe.binary
        check_static(binary, producer=f"'{chosen}'")
        version = check_runs(binary, recipe, project.root)
    except RootstockError as exc:
        if not runner.failed:
            runner.finish(failure=Failure("the result checks", str(exc), ""))
        raise
    log.info("%s: static, prints '%s' (%s)", recipe.subject, version, runner.elapsed())
    evidence = subject.outputs.get("evidence")
    manifest = build_manifest(
        recipe,
        project.pins,
        chosen,
        built={b.target.name: b.out for b in built},
        sources=sources,
        toolchain_out=tc_built.out,
        evidence=evidence,
    )
    write_manifest(logs, manifest)
    if evidence is not None:
        write_sbom(logs, manifest, binary, evidence, host or Dpkg())
    result = StaticBuild(
        chosen,
        (tc_built, *built),
        binary,
        version,
        flat_hash(binary).hex,
        binary.stat().st_size,
        logs,
        checked=check,
    )
    runner.finish(notes=result_notes(result), result=result_data(result))
    return result


def result_data(result: StaticBuild) -> dict[str, object]:
    """The result as data in the report (`rootstock report` reads it): the binary, its hash, and whether every
    package's second build was identical."""
    return {
        "binary": str(result.binary),
        "size": result.size,
        "sha256": result.sha256,
        "version": result.version,
        "checked": result.checked,
    }


def result_notes(result: StaticBuild) -> list[str]:
    """What the report says of the result beyond the derivations: the binary, the SBOM, the second builds."""
    notes = [
        f"Binary: `{result.binary}`, {result.size} bytes, sha256 `{result.sha256}`; `--version`: {result.version}.",
        "SBOM: `sbom.csv`, `sbom.cdx.json`, `sbom.spdx.json`; manifest: `deps.json`.",
    ]
    if result.checked:
        notes.append("Checked: the toolchain and every package were built a second time; every `out` is bit-identical.")
    return notes
