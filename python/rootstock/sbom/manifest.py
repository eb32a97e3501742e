"""The build manifest: the subject, its pinned source-built dependencies, the tools it ran (deps.json)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from pathlib import Path

import cattrs
from attrs import Factory, frozen

from rootstock.errors import HashMismatchError, InputError
from rootstock.sbom.errors import MissingSourceError

_converter = cattrs.Converter(forbid_extra_keys=True)


def _strict_str(value: object, _type: type) -> str:
    # cattrs would turn 3 into "3"; a number where a name or hash belongs is a typo to report.
    if not isinstance(value, str):
        msg = "expected str"
        raise ValueError(msg)
    return value


_converter.register_structure_hook(str, _strict_str)
_CHUNK = 1 << 20


@frozen
class SubjectSpec:
    """The binary the SBOM describes: its name and version (its hash is read from the file)."""

    name: str
    version: str


@frozen
class Dependency:
    """A source-built dependency: its pin (url and SRI hash of the source archive) and where it was installed.

    Relative paths are relative to the manifest file.
    """

    name: str
    version: str
    url: str
    hash: str
    source: str
    prefix: str


@frozen
class Manifest:
    """Everything the SBOM needs to know that the evidence cannot tell."""

    subject: SubjectSpec
    dependencies: list[Dependency] = Factory(list)
    # Programs the build ran (compiler drivers, ar, ld, meson…), looked up on PATH; their packages are build inputs.
    tools: list[str] = Factory(list)
    # The subject's own source trees: files there are the subject, not an input.
    source_dirs: list[str] = Factory(list)


@frozen
class ResolvedDependency:
    """A dependency whose source was checked against its pin and whose paths are absolute."""

    spec: Dependency
    sha256: str
    source: Path
    prefix: Path


def sri_to_hex(sri: str, what: str) -> str:
    """The hex digest of an SRI sha256 hash.

    Examples:
        >>> sri_to_hex("sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", "x")[:8]
        'e3b0c442'

    Raises:
        InputError: not an SRI sha256 hash.
    """
    algo, _, b64 = sri.partition("-")
    try:
        raw = base64.b64decode(b64, validate=True)
    except binascii.Error:
        raw = b""
    if algo != "sha256" or len(raw) != hashlib.sha256().digest_size:
        msg = f"{what}: '{sri}' is not an SRI sha256 hash (sha256-<base64 of 32 bytes>)"
        raise InputError(msg)
    return raw.hex()


def file_sha256(path: Path) -> str:
    """The hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def load(path: Path) -> Manifest:
    """Read a manifest file.

    Raises:
        InputError: the file is missing, not JSON, or not shaped like a manifest (the message gives the field).
    """
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        msg = f"manifest {path}: cannot be read ({exc.strerror})"
        raise InputError(msg) from None
    except json.JSONDecodeError as exc:
        msg = f"manifest {path}: not JSON ({exc})"
        raise InputError(msg) from None
    try:
        manifest = _converter.structure(data, Manifest)
    except cattrs.BaseValidationError as exc:
        details = "; ".join(cattrs.transform_error(exc, path="manifest"))
        msg = f"manifest {path}: {details}"
        raise InputError(msg) from None
    names = [d.name for d in manifest.dependencies]
    if dupes := sorted({n for n in names if names.count(n) > 1}):
        msg = f"manifest {path}: dependency declared twice: {', '.join(dupes)}"
        raise InputError(msg)
    return manifest


def resolve(manifest: Manifest, base: Path) -> list[ResolvedDependency]:
    """Check every dependency's source against its pin and make its paths absolute.

    Raises:
        MissingSourceError: a source archive or install prefix is missing (names the dependency).
        HashMismatchError: a source archive is not the pinned bytes (names the dependency).
    """
    resolved = []
    for dep in sorted(manifest.dependencies, key=lambda d: d.name):
        expected = sri_to_hex(dep.hash, f"dependency '{dep.name}'")
        source = (base / dep.source).absolute()
        prefix = (base / dep.prefix).absolute()
        if not source.is_file():
            raise MissingSourceError(dep.name, "pinned source", source)
        if not prefix.is_dir():
            raise MissingSourceError(dep.name, "install prefix", prefix)
        actual = file_sha256(source)
        if actual != expected:
            what = f"the source of dependency '{dep.name}' ({source})"
            raise HashMismatchError(
                what,
                f"sha256:{expected} (pinned)",
                f"sha256:{actual}",
                "the source changed under its pin: restore the pinned archive, or review the new one "
                "and update the pin on purpose",
            )
        resolved.append(ResolvedDependency(dep, actual, source, prefix))
    return resolved
