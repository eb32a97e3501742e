"""`rootstock build nix-static`: the static Nix recipe built package by package, the result checked, its SBOM
derived from the build's own evidence."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from attrs import frozen

from rootstock.core.files import write_atomic
from rootstock.core.nar import flat_hash
from rootstock.errors import BuildError, CommandError, InputError, RootstockError
from rootstock.host import proc
from rootstock.host.dpkg import Dpkg
from rootstock.project import Project
from rootstock.runner.report import Failure
from rootstock.runner.run import Built, Runner, Target
from rootstock.sbom import csv, cyclonedx, spdx
from rootstock.sbom.derive import derive_from_build
from rootstock.sbom.hostdb import HostDatabase
from rootstock.static.checks import check_static, probe_toolchain
from rootstock.static.load import RECIPE_FILE
from rootstock.static.model import Package, Recipe

if TYPE_CHECKING:
    from rootstock.plan import Plan

log = logging.getLogger(__name__)

# A derivation the freshly built nix must build in a store of its own: its builder is the sandbox shell nix
# embeds, so this also proves the embedded busybox works.
SMOKE_EXPR = """derivation {
  name = "rootstock-smoke";
  system = "x86_64-linux";
  builder = "/bin/sh";
  args = [ "-c" "echo built by the static nix > $out" ];
}"""


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
    logs = log_dir / "nix-static" / chosen
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
        with tempfile.TemporaryDirectory(prefix="rootstock-probe-") as tmp:
            probe_toolchain([str(tc_built.out / "bin" / "cc"), "-static"], Path(tmp), producer=f"'{chosen}'")
        built = runner.build(package_targets, check=check, alone=True)
        subject = next(b for b in built if b.target.name == recipe.subject)
        binary = subject.out / recipe.binary
        check_static(binary, producer=f"'{chosen}'")
        version = _check_runs(binary, recipe)
    except RootstockError as exc:
        if not runner.failed:
            runner.finish(failure=Failure("the result checks", str(exc), ""))
        raise
    log.info("%s: static, prints '%s' (%s)", recipe.subject, version, runner.elapsed())
    versions = {pkg.name: project.pins.get(pkg.source).pin.version or "" for pkg in recipe.package}
    evidence = subject.outputs.get("evidence")
    manifest = _manifest(
        recipe,
        project=project,
        toolchain=chosen,
        built=built,
        versions=versions,
        sources=sources,
        tc_out=tc_built.out,
        evidence=evidence,
    )
    write_atomic(logs / "deps.json", json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    if evidence is not None:
        _write_sbom(logs, binary, evidence, host or Dpkg())
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
    runner.finish(notes=result_notes(result))
    return result


def _check_runs(binary: Path, recipe: Recipe) -> str:
    try:
        version = proc.run([str(binary), "--version"]).stdout.strip()
    except CommandError as exc:
        msg = f"{binary} does not run: {exc}"
        raise BuildError(msg) from None
    if recipe.version_output and version != recipe.version_output:
        msg = f"{binary} --version printed '{version}', expected '{recipe.version_output}'"
        raise BuildError(msg)
    if recipe.builds_derivations:
        smoke_build(binary)
    return version


def smoke_build(binary: Path) -> Path:
    """Have the built nix build a small derivation in a store of its own, in its sandbox.

    Raises:
        BuildError: the derivation did not build or its output is wrong.
    """
    with tempfile.TemporaryDirectory(prefix="rootstock-smoke-") as tmp:
        base = Path(tmp)
        (base / "etc").mkdir()
        (base / "etc" / "nix.conf").write_text("build-users-group =\nsandbox = true\nsubstituters =\n")
        env = {
            "NIX_STORE_DIR": str(base / "store"),
            "NIX_STATE_DIR": str(base / "state"),
            "NIX_LOG_DIR": str(base / "log"),
            "NIX_CONF_DIR": str(base / "etc"),
            "HOME": str(base),
        }
        (base / "smoke.nix").write_text(SMOKE_EXPR)
        argv = [str(binary), "--extra-experimental-features", "nix-command", "build", "--no-link", "--print-out-paths"]
        try:
            done = proc.run([*argv, "-f", str(base / "smoke.nix")], env=env)
        except CommandError as exc:
            msg = f"the built nix could not build a derivation in a fresh store: {exc}"
            raise BuildError(msg) from None
        out = Path(done.stdout.strip())
        if not out.is_file() or out.read_text() != "built by the static nix\n":
            msg = f"the built nix's test derivation produced {out}, not the expected file"
            raise BuildError(msg)
        return out


def _manifest(
    recipe: Recipe,
    *,
    project: Project,
    toolchain: str,
    built: list[Built],
    versions: dict[str, str],
    sources: dict[str, Path],
    tc_out: Path,
    evidence: Path | None,
) -> dict[str, object]:
    by_name: dict[str, Package] = {pkg.name: pkg for pkg in recipe.package}
    deps: list[dict[str, object]] = []
    for item in built:
        name = item.target.name
        if name == recipe.subject:
            continue
        named = project.pins.get(by_name[name].source)
        deps.append(
            {
                "name": name,
                "version": versions[name],
                "url": named.pin.urls[0],
                "hash": named.pin.hash.sri,
                "source": str(sources[named.name]),
                "prefix": str(item.out),
            }
        )
    tc = recipe.toolchain[toolchain]
    tools = list(recipe.host_tools)
    if tc.pin is not None:
        named = project.pins.get(tc.pin)
        extra = [str(evidence / "zig-global-cache")] if evidence is not None else []
        deps.append(
            {
                "name": tc.pin,
                "version": named.pin.version or "",
                "url": named.pin.urls[0],
                "hash": named.pin.hash.sri,
                "source": str(sources[named.name]),
                "prefix": str(tc_out),
                "extra_prefixes": extra,
            }
        )
    else:
        tools += [tc.cc[0], tc.cxx[0]]
    return {
        "subject": {"name": recipe.subject, "version": versions[recipe.subject]},
        "dependencies": deps,
        "tools": tools,
        "source_dirs": [str(evidence / "source")] if evidence is not None else [],
    }


def _write_sbom(logs: Path, binary: Path, evidence: Path, host: HostDatabase) -> None:
    build_dir = evidence / "build"
    sbom = derive_from_build(
        manifest_path=logs / "deps.json",
        binary=binary,
        build_dirs=[build_dir],
        link_dir=build_dir,
        traces=[build_dir / "link.trace"],
        maps=[build_dir / "link.map"],
        host=host,
    )
    write_atomic(logs / "sbom.csv", csv.render(sbom))
    write_atomic(logs / "sbom.cdx.json", cyclonedx.render(sbom))
    write_atomic(logs / "sbom.spdx.json", spdx.render(sbom, spdx.created_from_env(dict(os.environ))))


def result_notes(result: StaticBuild) -> list[str]:
    """What the report says of the result beyond the derivations: the binary, the SBOM, the second builds."""
    notes = [
        f"Binary: `{result.binary}`, {result.size} bytes, sha256 `{result.sha256}`; `--version`: {result.version}.",
        "SBOM: `sbom.csv`, `sbom.cdx.json`, `sbom.spdx.json`; manifest: `deps.json`.",
    ]
    if result.checked:
        notes.append("Checked: the toolchain and every package were built a second time; every `out` is bit-identical.")
    return notes
