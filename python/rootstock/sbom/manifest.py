"""The build manifest: the subject, its pinned source-built dependencies, the tools it ran (deps.json)."""

from __future__ import annotations

import json
from pathlib import Path

from attrs import field, frozen

from rootstock.core.hashes import Hash
from rootstock.core.nar import flat_hash, nar_hash
from rootstock.errors import HashMismatchError, InputError
from rootstock.sbom import epoch
from rootstock.sbom.errors import MissingSourceError
from rootstock.schema import STRUCTURE_ERRORS, converter, field_errors, read_document


@frozen
class SubjectSpec:
    """The binary the SBOM describes: its name and version (its hash is read from the file), and, like a
    dependency, its pin's URL and placed source (for its creator and licence) and what pins.toml states by hand."""

    name: str
    version: str
    url: str = ""
    source: str = ""
    supplier: str = ""
    license: str = ""
    cpe: str = ""


@frozen
class Dependency:
    """A source-built dependency: its pin and where it was installed; paths are relative to the manifest.

    `source` is what the pin's hash covers: an archive (sha256 of its bytes) or a prepared source tree such
    as a git pin's checkout (sha256 of its NAR), so the pins file's hashes can be used as they are.
    """

    name: str
    version: str
    url: str
    hash: str
    source: str
    prefix: str
    # More directories whose files are this input's: a toolchain's cache of the libraries it built from its
    # own sources (zig's libc++, musl, compiler-rt), for example.
    extra_prefixes: tuple[str, ...] = ()
    rev: str = ""  # a git pin's commit: its deployable form is the repository at that commit
    # What pins.toml states by hand where the source does not: its creator (email or URL) and licence (SPDX).
    supplier: str = ""
    license: str = ""
    cpe: str = ""  # the pin's CPE 2.3 name (vendor and product)
    # The other dependencies this one was built against: all of them, as the build sandbox shows it no others.
    depends_on: tuple[str, ...] = ()


def _unique_names(_instance: object, _attribute: object, value: tuple[Dependency, ...]) -> None:
    names = [d.name for d in value]
    if dupes := sorted({n for n in names if names.count(n) > 1}):
        msg = f"dependency declared twice: {', '.join(dupes)}"
        raise InputError(msg)
    for d in value:
        if unknown := sorted(set(d.depends_on) - set(names)):
            msg = f"dependency '{d.name}': depends_on names no declared dependency: {', '.join(unknown)}"
            raise InputError(msg)


@frozen
class Manifest:
    """Everything the SBOM needs to know that the evidence cannot tell."""

    subject: SubjectSpec
    dependencies: tuple[Dependency, ...] = field(default=(), validator=_unique_names)
    # Programs the build ran (compiler drivers, ar, ld, meson…), looked up on PATH; their packages are build inputs.
    tools: tuple[str, ...] = ()
    # The subject's own source trees: files there are the subject, not an input.
    source_dirs: tuple[str, ...] = ()
    # Who publishes the SBOM (email or URL), and the time it is stamped with (seconds since the epoch): the
    # build's SOURCE_DATE_EPOCH, so that equal builds give equal documents.
    creator: str = ""
    source_date_epoch: int | None = field(default=None, validator=epoch.validate)


@frozen
class ResolvedDependency:
    """A dependency whose source was checked against its pin and whose paths are absolute."""

    spec: Dependency
    sha256: str  # hex; of the archive's bytes, or of the NAR of a source tree
    source: Path
    prefix: Path
    extra_prefixes: tuple[Path, ...] = ()

    @property
    def prefixes(self) -> tuple[Path, ...]:
        """Every directory whose files belong to this dependency."""
        return (self.prefix, *self.extra_prefixes)


def pinned_hash(dep: Dependency) -> Hash:
    """The dependency's pinned hash.

    Raises:
        InputError: it is not an SRI hash (names the dependency).
    """
    try:
        return Hash.sri_only(dep.hash)
    except InputError as exc:
        msg = f"dependency '{dep.name}': {exc}"
        raise InputError(msg) from None


def dumps(manifest: Manifest) -> str:
    """The manifest as deps.json text, unstructured by the one converter that `load` reads it back with."""
    return json.dumps(converter.unstructure(manifest), indent=2, sort_keys=True) + "\n"


def load(path: Path) -> Manifest:
    """Read a manifest file through the one converter (strict types, no unknown keys).

    Raises:
        InputError: the file is missing, not JSON, or not shaped like a manifest (the message gives the field),
            or it declares a dependency twice.
    """
    data = read_document(path, "manifest", json.loads, json.JSONDecodeError, "JSON")
    if not isinstance(data, dict):
        msg = f"manifest {path}: expected a JSON object, got {type(data).__name__}"
        raise InputError(msg)
    try:
        return converter.structure(data, Manifest)
    except STRUCTURE_ERRORS as exc:
        msg = f"manifest {path}: " + "; ".join(field_errors(exc, "", data))
        raise InputError(msg) from None


def resolve(manifest: Manifest, base: Path) -> list[ResolvedDependency]:
    """Check every dependency's source against its pin and make its paths absolute.

    Raises:
        MissingSourceError: a source archive or install prefix is missing (names the dependency).
        HashMismatchError: a source archive is not the pinned bytes (names the dependency).
    """
    resolved = []
    for dep in sorted(manifest.dependencies, key=lambda d: d.name):
        expected = pinned_hash(dep)
        source = (base / dep.source).absolute()
        prefix = (base / dep.prefix).absolute()
        if not source.exists():
            raise MissingSourceError(dep.name, "pinned source", source)
        extra = tuple((base / p).absolute() for p in dep.extra_prefixes)
        for directory, what in [(prefix, "install prefix"), *((e, "extra prefix") for e in extra)]:
            if not directory.is_dir():
                raise MissingSourceError(dep.name, what, directory)
        actual = nar_hash(source) if source.is_dir() else flat_hash(source)
        if actual != expected:
            what = f"the source of dependency '{dep.name}' ({source})"
            raise HashMismatchError(
                what,
                f"{expected.sri} (pinned)",
                actual.sri,
                "the source changed under its pin: restore the pinned source, or review the new one "
                "and update the pin on purpose",
            )
        resolved.append(ResolvedDependency(dep, actual.hex, source, prefix, extra))
    return resolved
