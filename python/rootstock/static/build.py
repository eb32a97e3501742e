"""`rootstock build nix-static`: the static Nix recipe built package by package, the result checked, its SBOM
derived from the build's own evidence."""

from __future__ import annotations

import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from attrs import frozen

from rootstock import render
from rootstock.core.files import write_atomic
from rootstock.core.nar import flat_hash
from rootstock.errors import BuildError, CommandError, InputError, NotReproducibleError
from rootstock.host import nix
from rootstock.host.dpkg import Dpkg
from rootstock.plan import Plan
from rootstock.project import Project
from rootstock.render.filters import nix_str
from rootstock.sbom.hostdb import HostDatabase
from rootstock.static.checks import check_runs, check_static, probe_toolchain
from rootstock.static.load import RECIPE_FILE
from rootstock.static.manifest import build_manifest, write_manifest, write_sbom
from rootstock.static.model import Recipe
from rootstock.static.reproduce import describe, differences

ENTRY = Path("nix/default.nix")


@frozen
class PackageBuild:
    """One package of the recipe as built: its outputs, its log and how long it took."""

    name: str
    version: str
    drv: str
    out: Path
    log: Path
    seconds: float


@frozen
class StaticBuild:
    """The whole static build: every package, the checked binary and where its SBOM and report are."""

    toolchain: str
    packages: tuple[PackageBuild, ...]
    binary: Path
    version: str
    sha256: str
    size: int
    report_dir: Path
    checked: bool = False
    """Whether the toolchain and every package were built twice (`--check`) with identical `out`s."""


def _attr(*names: str) -> str:
    return ".".join(nix_str(name) for name in names)


def _place_pins(project: Project, recipe: Recipe, toolchain: str) -> dict[str, Path]:
    names = {pkg.source for pkg in recipe.package}
    if (pin := recipe.toolchain[toolchain].pin) is not None:
        names.add(pin)
    fetcher = project.fetcher()
    with tempfile.TemporaryDirectory(prefix="rootstock-static-") as tmp:
        return {name: fetcher.place(project.pins.get(name), Path(tmp)) for name in sorted(names)}


# A build tool's own progress counter ("[123/321] Compiling ..."), relayed while a long package builds.
TOOL_PROGRESS_RE = re.compile(r"\[\d+/\d+\] [^\x1b\r]*")


def _build_one(
    drv: str,
    what: str,
    *,
    recipe: Recipe,
    cores: int,
    log: Path,
    say: Callable[[str], None] = lambda _: None,
    heartbeat_seconds: float = 60.0,
) -> float:
    began = time.monotonic()
    last = began

    def heartbeat(line: str) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= heartbeat_seconds and (m := TOOL_PROGRESS_RE.search(line)):
            last = now
            say(f"    {what}: {m.group(0).strip()[:100]} ({now - began:.0f}s)")

    try:
        nix.build([drv], max_jobs=1, cores=cores, sandbox_paths=recipe.host_paths, on_line=heartbeat)
    except BuildError as exc:
        try:
            write_atomic(log, nix.read_log(drv))
            where = f"; log: {log}"
        except CommandError:
            where = ""
        msg = f"{what} failed to build{where}\n{exc}"
        raise BuildError(msg) from None
    write_atomic(log, nix.read_log(drv))
    return time.monotonic() - began


def _instantiate(project: Project, recipe: Recipe, toolchain: str, *, check: bool) -> tuple[list[str], dict[str, str]]:
    """The derivations of the toolchain and the packages in order, and (with check) each one's second build."""
    names = [("toolchains", toolchain), *(("packages", toolchain, pkg.name) for pkg in recipe.package)]
    attrs = [_attr("static", *name) for name in names]
    if check:
        attrs += [_attr("static", "rebuilt", *name) for name in names]
    drvs = nix.instantiate(project.root / ENTRY, attrs)
    firsts = drvs[: len(names)]
    return firsts, dict(zip(firsts, drvs[len(names) :], strict=False))


def _compare_second_build(first: str, second: str, what: str, *, recipe: Recipe, cores: int, logs: Path) -> None:
    """Build the derivation once more under other store paths and require its `out` to equal the first's.

    Only `out` is compared: an `evidence` output records the build itself (ninja's timings, zig's cache
    manifests), which no two builds share. The second build is removed from the store afterwards.

    Raises:
        NotReproducibleError: the two `out`s differ (naming what and where).
    """
    log = logs / "second-builds" / f"{nix.drv_name(first)}.log"
    _build_one(second, f"{what} (second build)", recipe=recipe, cores=cores, log=log)
    outs = nix.derivation_outputs([first, second])
    found = differences(outs[first]["out"], outs[second]["out"])
    for path in outs[second].values():
        nix.delete(path)
    if found:
        detail = f"a second build differs from {outs[first]['out']}: {describe(found)}; log: {log}"
        raise NotReproducibleError(what, detail)


def build_static(
    plan: Plan,
    *,
    toolchain: str | None = None,
    log_dir: Path,
    cores: int = 2,
    host: HostDatabase | None = None,
    say: Callable[[str], None] = lambda line: print(line, file=sys.stderr),
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
    render.check(project.root, render.render_all(plan))
    sources = _place_pins(project, recipe, chosen)
    (tc_drv, *drvs), second_builds = _instantiate(project, recipe, chosen, check=check)
    logs = log_dir / "nix-static" / chosen
    began = time.monotonic()
    total = len(recipe.package) + 1
    say(f"[1/{total}] toolchain {chosen} (0s)")
    what = f"toolchain '{chosen}'"
    _build_one(tc_drv, what, recipe=recipe, cores=cores, log=logs / "000-toolchain.log")
    if check:
        _compare_second_build(tc_drv, second_builds[tc_drv], what, recipe=recipe, cores=cores, logs=logs)
    tc_out = nix.derivation_outputs([tc_drv])[tc_drv]["out"]
    with tempfile.TemporaryDirectory(prefix="rootstock-probe-") as tmp:
        probe_toolchain([str(tc_out / "bin" / "cc"), "-static"], Path(tmp), producer=f"'{chosen}'")
    outputs = nix.derivation_outputs(drvs)
    built = []
    for index, (pkg, drv) in enumerate(zip(recipe.package, drvs, strict=True), 2):
        say(f"[{index}/{total}] building {pkg.name} with {chosen} ({time.monotonic() - began:.0f}s)")
        log = logs / f"{index - 1:03d}-{pkg.name}.log"
        what = f"package '{pkg.name}'"
        seconds = _build_one(
            drv, what, recipe=recipe, cores=cores, log=log, say=say, heartbeat_seconds=heartbeat_seconds
        )
        if check:
            say(f"[{index}/{total}] building {pkg.name} a second time ({time.monotonic() - began:.0f}s)")
            _compare_second_build(drv, second_builds[drv], what, recipe=recipe, cores=cores, logs=logs)
        version = project.pins.get(pkg.source).pin.version or ""
        built.append(PackageBuild(pkg.name, version, drv, outputs[drv]["out"], log, seconds))
    subject = next(b for b in built if b.name == recipe.subject)
    binary = subject.out / recipe.binary
    check_static(binary, producer=f"'{chosen}'")
    version = check_runs(binary, recipe, project.root)
    say(f"{recipe.subject}: static, prints '{version}' ({time.monotonic() - began:.0f}s)")
    evidence = outputs[subject.drv].get("evidence")
    manifest = build_manifest(
        recipe, project.pins, chosen, built=built, sources=sources, toolchain_out=tc_out, evidence=evidence
    )
    write_manifest(logs, manifest)
    if evidence is not None:
        write_sbom(logs, manifest, binary, evidence, host or Dpkg())
    result = StaticBuild(
        chosen, tuple(built), binary, version, flat_hash(binary).hex, binary.stat().st_size, logs, checked=check
    )
    write_atomic(logs / "report.md", report_markdown(result))
    return result


def report_markdown(result: StaticBuild) -> str:
    """What was built: one row per package with its version and build time, then the binary."""
    lines = [
        f"# Static Nix built with toolchain `{result.toolchain}`",
        "",
        "| # | package | version | build time (s) | output |",
        "| --- | --- | --- | --- | --- |",
    ]
    lines += [
        f"| {n} | {p.name} | {p.version} | {p.seconds:.0f} | `{p.out}` |" for n, p in enumerate(result.packages, 1)
    ]
    lines += [
        "",
        f"Binary: `{result.binary}`, {result.size} bytes, sha256 `{result.sha256}`; `--version`: {result.version}.",
        "SBOM: `sbom.csv`, `sbom.cdx.json`, `sbom.spdx.json`; manifest: `deps.json`.",
    ]
    if result.checked:
        lines.append("Checked: the toolchain and every package were built a second time; every `out` is bit-identical.")
    return "\n".join(lines) + "\n"
