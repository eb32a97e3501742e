"""The static build's SBOM: its manifest (deps.json) made from the recipe, the pins and what the build produced,
and the SBOM files derived from it and the build's evidence."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from rootstock.core.files import write_atomic
from rootstock.pins.model import GitPin, NamedPin, Pins
from rootstock.sbom import documents
from rootstock.sbom import manifest as mf
from rootstock.sbom.derive import BuildEvidence, derive_from_build
from rootstock.sbom.hostdb import HostDatabase
from rootstock.sbom.manifest import Dependency, Manifest, SubjectSpec
from rootstock.sbom.model import Sbom
from rootstock.static.model import Recipe

MANIFEST_FILE = "deps.json"
# A wheel's file name states its version (PEP 427: name-version-python-abi-platform.whl).
_WHEEL = re.compile(r"^[A-Za-z0-9_.]+-(?P<version>[0-9][^-]*)-[^-]+-[^-]+-[^-]+\.whl$")


def pin_version(named: NamedPin) -> str:
    """The pin's version, else the one its wheel's file name states, else "".

    Examples:
        >>> from rootstock.core.hashes import Hash
        >>> from rootstock.pins.model import FilePin
        >>> url = "https://files.pythonhosted.org/packages/py3/z/ziglang/ziglang-0.17.1-py3-none-manylinux_2_12_x86_64.whl"
        >>> pin_version(NamedPin("ziglang-wheel", FilePin(urls=(url,), hash=Hash("sha256", bytes(32)))))
        '0.17.1'
    """
    if named.pin.version:
        return named.pin.version
    wheel = _WHEEL.match(PurePosixPath(urlsplit(named.pin.urls[0]).path).name)
    return wheel.group("version") if wheel else ""


def _dependency(
    named: NamedPin,
    *,
    name: str,
    source: Path,
    prefix: Path,
    extra_prefixes: tuple[str, ...] = (),
    depends_on: tuple[str, ...] = (),
) -> Dependency:
    pin = named.pin
    return Dependency(
        name=name,
        version=pin_version(named),
        url=pin.urls[0],
        hash=pin.hash.sri,
        source=str(source),
        prefix=str(prefix),
        extra_prefixes=extra_prefixes,
        rev=pin.rev if isinstance(pin, GitPin) else "",
        supplier=pin.supplier or "",
        license=pin.license or "",
        cpe=str(pin.cpe) if pin.cpe is not None else "",
        depends_on=depends_on,
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
            source=sources[pkg.source],
            prefix=built[pkg.name],
            depends_on=pkg.deps,
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
                source=sources[tc.pin],
                prefix=toolchain_out,
                extra_prefixes=cache,
            )
        )
    else:
        tools += [tc.cc[0], tc.cxx[0]]
    subject = next(pkg for pkg in recipe.package if pkg.name == recipe.subject)
    pin = pins.get(subject.source).pin
    return Manifest(
        subject=SubjectSpec(
            recipe.subject,
            pin.version or "",
            url=pin.urls[0],
            source=str(sources[subject.source]),
            supplier=pin.supplier or "",
            license=pin.license or "",
            cpe=str(pin.cpe) if pin.cpe is not None else "",
        ),
        dependencies=tuple(deps),
        tools=tuple(tools),
        source_dirs=(str(evidence / "source"),) if evidence is not None else (),
        creator=recipe.sbom_creator or "",
        source_date_epoch=recipe.source_date_epoch,
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
        documents.creation_time(given=None, environ=os.environ, recorded=manifest.source_date_epoch),
        csv_to=report_dir / "sbom.csv",
        cyclonedx_to=report_dir / "sbom.cdx.json",
        spdx_to=report_dir / "sbom.spdx.json",
    )
    documents.write_all(rendered)
    return sbom
