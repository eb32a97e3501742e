"""The static build's SBOM: its manifest (deps.json) made from the recipe, the pins and what the build produced,
and the SBOM files derived from it and the build's evidence."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from rootstock.core.files import write_atomic
from rootstock.pins.model import NamedPin, Pins
from rootstock.sbom import documents, spdx
from rootstock.sbom import manifest as mf
from rootstock.sbom.derive import BuildEvidence, derive_from_build
from rootstock.sbom.hostdb import HostDatabase
from rootstock.sbom.manifest import Dependency, Manifest, SubjectSpec
from rootstock.sbom.model import Sbom
from rootstock.static.model import Recipe

MANIFEST_FILE = "deps.json"


def _dependency(
    named: NamedPin, *, name: str, version: str, source: Path, prefix: Path, extra_prefixes: tuple[str, ...] = ()
) -> Dependency:
    return Dependency(
        name=name,
        version=version,
        url=named.pin.urls[0],
        hash=named.pin.hash.sri,
        source=str(source),
        prefix=str(prefix),
        extra_prefixes=extra_prefixes,
    )


def build_manifest(
    recipe: Recipe,
    pins: Pins,
    toolchain: str,
    *,
    built: Mapping[str, Path],
    sources: Mapping[str, Path],
    toolchain_out: Path,
    evidence: Path | None,
) -> Manifest:
    """The manifest of the recipe's subject: every other built package with its pin, source and prefix, and
    the toolchain as a dependency (a pinned one, with its runtime cache) or as host tools.

    built maps each package's name to its out path; sources are the placed pin contents by pin name; evidence
    is the subject's `evidence` output, if any. Versions are the ones the packages' pins declare.
    """
    deps = [
        _dependency(
            pins.get(pkg.source),
            name=pkg.name,
            version=pins.get(pkg.source).pin.version or "",
            source=sources[pkg.source],
            prefix=built[pkg.name],
        )
        for pkg in recipe.package
        if pkg.name != recipe.subject
    ]
    tc = recipe.toolchain[toolchain]
    tools = list(recipe.host_tools)
    if tc.pin is not None:
        named = pins.get(tc.pin)
        # zig builds musl, libc++ and compiler-rt from its own sources into this cache while the subject builds.
        cache = (str(evidence / "zig-global-cache"),) if evidence is not None else ()
        deps.append(
            _dependency(
                named,
                name=tc.pin,
                version=named.pin.version or "",
                source=sources[tc.pin],
                prefix=toolchain_out,
                extra_prefixes=cache,
            )
        )
    else:
        tools += [tc.cc[0], tc.cxx[0]]
    subject = next(pkg for pkg in recipe.package if pkg.name == recipe.subject)
    return Manifest(
        subject=SubjectSpec(recipe.subject, pins.get(subject.source).pin.version or ""),
        dependencies=tuple(deps),
        tools=tuple(tools),
        source_dirs=(str(evidence / "source"),) if evidence is not None else (),
    )


def write_manifest(report_dir: Path, manifest: Manifest) -> Path:
    """Write the manifest as report_dir/deps.json, for the user to read and `rootstock sbom derive --manifest`."""
    path = report_dir / MANIFEST_FILE
    write_atomic(path, mf.dumps(manifest))
    return path


def write_sbom(report_dir: Path, manifest: Manifest, binary: Path, evidence: Path, host: HostDatabase) -> Sbom:
    """Derive the subject's SBOM from its manifest and its `evidence` output, and write it as CSV, CycloneDX
    and SPDX into report_dir (all three or none).

    Raises:
        as rootstock.sbom.derive.derive_from_build (a pinned source changed, evidence nobody declared, ...).
    """
    build_dir = evidence / "build"
    build = BuildEvidence(
        binary=binary,
        build_dirs=(build_dir,),
        link_dir=build_dir,
        traces=(build_dir / "link.trace",),
        maps=(build_dir / "link.map",),
    )
    # The manifest's paths are absolute store paths; report_dir is the base deps.json's relative paths would have.
    sbom = derive_from_build(manifest, base=report_dir, build=build, host=host)
    report_dir.mkdir(parents=True, exist_ok=True)
    rendered = documents.render(
        sbom,
        spdx.created_from_env(dict(os.environ)),
        csv_to=report_dir / "sbom.csv",
        cyclonedx_to=report_dir / "sbom.cdx.json",
        spdx_to=report_dir / "sbom.spdx.json",
    )
    documents.write_all(rendered)
    return sbom
