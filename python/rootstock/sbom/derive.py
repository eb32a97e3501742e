"""Derive the SBOM: attribute every piece of build evidence to an input, then derive each input's usage."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path

from attrs import evolve, frozen
from elftools.common.exceptions import ELFError
from elftools.elf.constants import SH_FLAGS
from elftools.elf.elffile import ELFFile
from packageurl import PackageURL

from rootstock.core.cpe import Cpe
from rootstock.core.nar import flat_hash
from rootstock.core.spdx_licence import problem
from rootstock.errors import InputError, ToolMissingError, listing
from rootstock.host import proc
from rootstock.sbom import deployable, licence, supplier
from rootstock.sbom import evidence as ev
from rootstock.sbom import manifest as mf
from rootstock.sbom.debian_licence import from_copyright
from rootstock.sbom.errors import NotLinkedBinaryError, UnaccountedInputError
from rootstock.sbom.evidence import Evidence
from rootstock.sbom.hostdb import HostDatabase, HostPackage
from rootstock.sbom.manifest import Manifest, ResolvedDependency
from rootstock.sbom.model import Component, Deployable, Finding, Kind, Licence, Party, Sbom, Subject, Usage
from rootstock.sbom.usage import Contents, classify

_DRIVER = re.compile(r"(^|-)(gcc|g\+\+|cc|c\+\+|clang|clang\+\+)(-[0-9.]+)?$")
# Programs a GCC-style driver runs on its own; they are build inputs as much as the driver.
_DRIVER_PROGRAMS = ("cc1", "cc1plus", "collect2", "as", "ld")
# Characters a CPE attribute value must escape (a version like 1.0+git).
_CPE_ESCAPE = re.compile(r"([^A-Za-z0-9_.\-])")
EVIDENCE_SHOWN = 5


@frozen
class _Use:
    """Why an input is in the SBOM: what of it reached the binary, and which of its tools ran."""

    reached: tuple[str, ...]
    ran: tuple[str, ...]


def tool_paths(tools: Sequence[str]) -> dict[Path, str]:
    """Each program the build ran, by resolved path, with the tool name that brought it in.

    Raises:
        ToolMissingError: a declared tool is not on PATH.
    """
    found: dict[Path, str] = {}
    for tool in tools:
        located = shutil.which(tool)
        if located is None:
            raise ToolMissingError(tool, "declared in the SBOM manifest's tools")
        found[Path(os.path.realpath(located))] = tool
        if _DRIVER.search(Path(tool).name):
            for program in _DRIVER_PROGRAMS:
                answer = proc.run([located, f"-print-prog-name={program}"]).stdout.strip()
                # The driver echoes the bare name when it would search PATH instead.
                path = answer if os.sep in answer else shutil.which(answer)
                if path and Path(path).is_file():
                    found.setdefault(Path(os.path.realpath(path)), f"{tool} ({program})")
    return found


def _owner_of(path: Path, prefixes: Sequence[tuple[Path, str]]) -> str | None:
    real = Path(os.path.realpath(path))
    for prefix, name in prefixes:
        if path.is_relative_to(prefix) or real.is_relative_to(prefix):
            return name
    return None


def _finding(component: Component) -> Finding | None:
    got, rule = component.usage, component.usage_from_contents
    if got == rule:
        return None
    if rule == Usage.BUILD:
        why = "its headers were compiled into the binary (header-only code); the contents rule alone says build"
    elif got == Usage.BUILD:
        why = "it ships a static archive, but nothing of it reached the binary"
    else:
        why = f"the contents rule says {rule.value}, the build evidence says {got.value}"
    return Finding(component.ref, why)


def _summarise(reasons: Sequence[str]) -> list[str]:
    """Reasons grouped by kind; a long group (hundreds of system headers) becomes a count and a sample."""
    groups: dict[str, list[str]] = defaultdict(list)
    for reason in sorted(set(reasons)):
        verb, _, what = reason.partition(": ")
        groups[verb].append(what)
    summary: list[str] = []
    for verb, items in sorted(groups.items()):
        if len(items) > EVIDENCE_SHOWN:
            shown = ", ".join(items[:EVIDENCE_SHOWN])
            summary.append(f"{verb} ({len(items)} in all): {shown}, …")
        else:
            summary.extend(f"{verb}: {item}" for item in items)
    return summary


def _pinned_origin(
    what: str,
    *,
    url: str,
    kept_supplier: str,
    kept_licence: str,
    source: Path | None,
    cpe: str,
    version: str,
    signatures: licence.LicenceSignatures,
) -> tuple[Party | None, Licence | None, str]:
    """A pinned component's creator, licence and versioned CPE, from its pin and its placed source.

    Raises:
        InputError: a hand-kept creator, licence or CPE is malformed (names the component).
    """
    try:
        party = supplier.of_pin(url, kept_supplier or None)
        versioned = str(evolve(Cpe.parse(cpe), version=_CPE_ESCAPE.sub(r"\\\1", version))) if cpe else ""
    except ValueError as exc:
        msg = f"{what}: {exc}"
        raise InputError(msg) from None
    derived = licence.derive(source, signatures) if source is not None else None
    if kept_licence:
        if (why := problem(kept_licence)) is not None:
            msg = f"{what}: hand-kept licence {why}"
            raise InputError(msg)
        said = f" ({derived.rule})" if derived is not None else ""
        return party, Licence(kept_licence, f"{supplier.HAND_KEPT}{said}"), versioned
    if derived is None:
        return party, None, versioned
    return party, Licence(derived.expression, derived.rule), versioned


def _source_deployable(dep: ResolvedDependency) -> Deployable:
    """A pinned source's deployable form: the archive or file under its URL's name, or the tree at its commit."""
    if dep.source.is_dir():
        uri = f"git+{dep.spec.url}@{dep.spec.rev}" if dep.spec.rev else ""
        return evolve(deployable.describe(dep.source), uri=uri)
    return deployable.describe(dep.source, deployable.url_filename(dep.spec.url))


def _host_origin(pkg: HostPackage) -> tuple[Party | None, Licence, Deployable]:
    """A host package's creator (its Maintainer), licence (its copyright file) and its .deb."""
    try:
        name, _, email = pkg.maintainer.rpartition("<")
        party = evolve(supplier.contact(email.rstrip(">").strip(), "the package's Maintainer field"), name=name.strip())
    except ValueError:
        party = None
    copyright_file = next((f for f in pkg.files if f.name == "copyright" and f.parent.name == pkg.name), None)
    found = (
        from_copyright(copyright_file)
        if copyright_file is not None
        else Licence("", f"{pkg.name} ships no /usr/share/doc/{pkg.name}/copyright")
    )
    filename = deployable.url_filename(pkg.url)
    if pkg.deb is not None:
        return party, found, deployable.describe(pkg.deb, filename)
    why = f"no SHA-512: {filename} is not in apt's cache and the package index lists only its SHA256"
    # A .deb is an ar archive of its members and control data, whatever is in it.
    return party, found, Deployable(filename, "", why, executable=False, archive=True, structured=True)


def _usage(contents: Contents, use: _Use) -> Usage:
    return Usage.of(in_binary=bool(use.reached), builds=bool(contents.tools or use.ran))


def derive(
    *,
    manifest: Manifest,
    dependencies: Sequence[ResolvedDependency],
    evidence: Evidence,
    tools: Mapping[Path, str],
    host: HostDatabase,
    binary: Path,
    subject_dirs: Sequence[Path],
    linked: str = "",
    base: Path = Path(),
) -> Sbom:
    """The SBOM of binary: one component per dependency and per host package the evidence or tools lead to.

    linked says how binary was found to be the link's output (recorded in the subject); base is what the
    manifest's relative paths (the subject's source) are relative to.

    Raises:
        UnaccountedInputError: evidence or a tool belongs to no dependency, host package or subject directory.
        HostPackageError: the host database cannot describe a package that was used.
        InputError: a hand-kept creator, licence or CPE, or the SBOM's creator, is malformed.
    """
    prefixes = sorted(
        [(Path(os.path.realpath(p)), f"source:{d.spec.name}") for d in dependencies for p in d.prefixes]
        + [(p, f"source:{d.spec.name}") for d in dependencies for p in d.prefixes],
        key=lambda pn: -len(pn[0].parts),  # the innermost prefix wins when prefixes nest
    )
    subject_roots = [Path(os.path.realpath(d)) for d in subject_dirs] + list(subject_dirs)
    reached: dict[str, list[str]] = defaultdict(list)
    ran: dict[str, list[str]] = defaultdict(list)
    # Files outside every prefix and subject directory, to be attributed to host packages.
    host_reached: dict[Path, tuple[str, ...]] = {}
    host_ran: dict[Path, list[str]] = defaultdict(list)

    for path, reasons in evidence.files().items():
        owner = _owner_of(path, prefixes)
        if owner is not None:
            reached[owner].extend(reasons)
        elif _owner_of(path, [(r, "subject") for r in subject_roots]) is None:
            host_reached[path] = reasons
    for path, tool in tools.items():
        owner = _owner_of(path, prefixes)
        if owner is not None:
            ran[owner].append(f"ran: {tool}")
        else:
            host_ran[path].append(f"ran: {tool}")

    packages = host.owners(sorted(set(host_reached) | set(host_ran)))
    if missing := sorted((set(host_reached) | set(host_ran)) - set(packages)):
        raise UnaccountedInputError(missing)
    for path, reasons in host_reached.items():
        reached[f"deb:{packages[path]}"].extend(reasons)
    for path, reasons in host_ran.items():
        ran[f"deb:{packages[path]}"].extend(reasons)

    components: list[Component] = []
    signatures = licence.load()
    for dep in dependencies:
        ref = f"source:{dep.spec.name}"
        # The contents rule looks at what the input installs, not at caches it keeps elsewhere.
        contents = classify(dep.prefix, (p for p in dep.prefix.rglob("*") if p.is_file()))
        use = _Use(tuple(reached[ref]), tuple(ran[ref]))
        party, found, cpe = _pinned_origin(
            f"dependency '{dep.spec.name}'",
            url=dep.spec.url,
            kept_supplier=dep.spec.supplier,
            kept_licence=dep.spec.license,
            source=dep.source,
            cpe=dep.spec.cpe,
            version=dep.spec.version,
            signatures=signatures,
        )
        components.append(
            Component(
                name=dep.spec.name,
                kind=Kind.SOURCE,
                version=dep.spec.version,
                usage=_usage(contents, use),
                url=dep.spec.url,
                sha256=dep.sha256,
                purl=PackageURL(
                    type="generic",
                    name=dep.spec.name,
                    version=dep.spec.version,
                    qualifiers={"download_url": dep.spec.url, "checksum": f"sha256:{dep.sha256}"},
                ).to_string(),
                usage_from_contents=contents.usage,
                evidence=_summarise(use.reached + use.ran),
                supplier=party,
                licence=found,
                deployable=_source_deployable(dep),
                cpe=cpe,
                depends_on=[f"source:{d}" for d in dep.spec.depends_on],
                dependencies_complete=True,
            )
        )
    for name in sorted({p for p in packages.values()}):
        ref = f"deb:{name}"
        pkg = host.describe(name)
        contents = classify(Path("/"), (f for f in pkg.files if f.is_file()))
        use = _Use(tuple(reached[ref]), tuple(ran[ref]))
        party, found, deb = _host_origin(pkg)
        components.append(
            Component(
                name=pkg.name,
                kind=Kind.DEB,
                version=pkg.version,
                usage=_usage(contents, use),
                url=pkg.url,
                sha256=pkg.sha256,
                purl=pkg.purl,
                usage_from_contents=contents.usage,
                evidence=_summarise(use.reached + use.ran),
                supplier=party,
                licence=found,
                deployable=deb,
            )
        )
    findings = [f for c in components if (f := _finding(c)) is not None]
    spec = manifest.subject
    party, found, cpe = _pinned_origin(
        f"subject '{spec.name}'",
        url=spec.url,
        kept_supplier=spec.supplier,
        kept_licence=spec.license,
        source=(base / spec.source).absolute() if spec.source else None,
        cpe=spec.cpe,
        version=spec.version,
        signatures=signatures,
    )
    subject = Subject(
        spec.name,
        spec.version,
        flat_hash(binary).hex,
        linked,
        supplier=party,
        licence=found,
        deployable=deployable.describe(binary, binary.name),
        cpe=cpe,
    )
    try:
        creator = supplier.contact(manifest.creator, "stated in the manifest") if manifest.creator else None
    except ValueError as exc:
        msg = f"manifest creator: {exc}"
        raise InputError(msg) from None
    return Sbom(subject, components, findings, creator)


def _loaded_image(path: Path) -> str | None:
    """A digest of what an ELF file loads (entry point, every allocated section's address and bytes); None
    when the file is not ELF. Stripping removes only sections that are not loaded, so it keeps this digest."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as f:
            elf = ELFFile(f)
            digest.update(str(elf.header.e_entry).encode())
            for section in elf.iter_sections():
                if section["sh_flags"] & SH_FLAGS.SHF_ALLOC and section["sh_type"] != "SHT_NOBITS":
                    digest.update(f"{section.name}@{section['sh_addr']}:{section['sh_size']}".encode())
                    digest.update(section.data())
    except ELFError:
        return None
    return digest.hexdigest()


def check_linked(binary: Path, linked: Path, named_by: Path, *, resolved: str = "") -> str:
    """Check binary is the file the link wrote (named by the map named_by), or that file stripped; say which.
    resolved says against which directory the map's relative output name was taken, and why.

    Raises:
        NotLinkedBinaryError: the linked output is gone, or binary has other contents.
    """
    if not linked.is_file():
        gone = f"that output does not exist (any more){'; ' + resolved if resolved else ''}"
        raise NotLinkedBinaryError(binary, linked, named_by, gone)
    name = os.path.relpath(linked, named_by.parent)
    want, got = flat_hash(linked).hex, flat_hash(binary).hex
    if want == got:
        return f"sha256 equals the link output's ({name}, named by {named_by.name})"
    image = _loaded_image(binary)
    if image is not None and image == _loaded_image(linked):
        return f"the link output ({name}, named by {named_by.name}) stripped: entry point and loaded sections equal"
    reason = f"its sha256 is {got}, the output's {want} (and it is not that output stripped)"
    raise NotLinkedBinaryError(binary, linked, named_by, reason)


@frozen
class BuildEvidence:
    """Where a build left what its SBOM is derived from: the binary, the compiler's dependency files (in the
    build directories) and the final link's trace or map."""

    binary: Path
    build_dirs: tuple[Path, ...]
    # The directory the final link ran in; None: not known, found as the first build directory or the
    # current directory that holds the output the map names.
    link_dir: Path | None
    traces: tuple[Path, ...] = ()
    maps: tuple[Path, ...] = ()


def derive_from_build(manifest: Manifest, *, base: Path, build: BuildEvidence, host: HostDatabase) -> Sbom:
    """Derive the SBOM of a build from its manifest (relative paths in it are taken against base) and the
    evidence the build left behind.

    Raises:
        InputError, MissingSourceError, HashMismatchError: no link evidence or binary, or a pinned source is wrong.
        EvidenceError: a build directory, trace or map that is missing, empty, damaged or of no known form.
        NotLinkedBinaryError: the binary is not the output the link evidence names.
        UnaccountedInputError, HostPackageError: evidence that cannot be attributed or described.
    """
    if not build.traces and not build.maps:
        msg = "no linker trace (-Wl,--trace,--trace) or map (-Wl,-Map,FILE) given: usage needs link evidence"
        raise InputError(msg)
    if not build.binary.is_file():
        msg = f"binary {build.binary} does not exist"
        raise InputError(msg)
    base = base.absolute()
    dependencies = mf.resolve(manifest, base)
    dirs = [d.absolute() for d in build.build_dirs]
    cwds = [build.link_dir.absolute()] if build.link_dir is not None else list(dict.fromkeys([*dirs, Path.cwd()]))
    record = ev.read_link_evidence(build.traces, build.maps, cwds)
    link = record.inputs
    linked = ""
    if link.output is not None and record.named_by is not None:
        output = Path(link.output)
        if output.is_absolute():
            resolved = ""
        elif build.link_dir is not None:
            resolved = f"{output} taken relative to --link-dir {record.cwd}"
        else:
            tried = listing([str(d) for d in cwds])
            resolved = f"{output} is in none of the directories the link may have run in ({tried}); give --link-dir"
        linked = check_linked(build.binary, record.cwd / output, record.named_by, resolved=resolved)
    evidence = ev.collect(dirs, link)
    subject_dirs = [*dirs, *((base / s).absolute() for s in manifest.source_dirs)]
    return derive(
        manifest=manifest,
        dependencies=dependencies,
        evidence=evidence,
        tools=tool_paths(manifest.tools),
        host=host,
        binary=build.binary,
        subject_dirs=subject_dirs,
        linked=linked,
        base=base,
    )


def derive_from_file(manifest_path: Path, *, build: BuildEvidence, host: HostDatabase) -> Sbom:
    """Read a manifest file (deps.json; its paths are relative to it) and derive the SBOM of the build.

    Raises:
        InputError: the manifest cannot be read or is malformed (naming the field); as derive_from_build.
    """
    return derive_from_build(mf.load(manifest_path), base=manifest_path.absolute().parent, build=build, host=host)
