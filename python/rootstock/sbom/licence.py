"""A pinned source's licence as an SPDX expression, derived from the licence files at its top by the text
signatures of `licences.toml` (data, in this package), read through the one converter."""

from __future__ import annotations

import re
import tarfile
import zipfile
from importlib import resources
from pathlib import Path, PurePosixPath

from attrs import frozen

from rootstock.core.spdx_licence import SpdxExpression
from rootstock.errors import InputError
from rootstock.schema import read_toml, structure

BUILTIN = "licences.toml"
# The names projects give the file that states their licence (LICENSE, LICENCE.md, COPYING.LGPLv2.1, …).
CANDIDATE = re.compile(r"^(?:licen[cs]e|copying|copyright|unlicense)(?:[._-][^/]*)?$", re.IGNORECASE)
# A licence file bigger than this is not a licence text (a ChangeLog-sized COPYRIGHT is read no further).
MAX_TEXT = 1 << 20
_SEPARATORS = re.compile(r"[\s*#]+")


def normalise(text: str) -> str:
    """Lower case, runs of whitespace and comment marks as one space: a licence reflowed or boxed in a C comment
    reads the same.

    Examples:
        >>> normalise(" * ISC License\\n *\\n * Permission  to use")
        'isc license permission to use'
    """
    return _SEPARATORS.sub(" ", text.lower()).strip()


@frozen
class LicenceSignature:
    """`[[licence]]`: the phrases that identify one licence text, and its SPDX identifier."""

    spdx: SpdxExpression
    all: tuple[str, ...]
    none: tuple[str, ...] = ()
    note: str = ""

    def matches(self, text: str) -> bool:
        """Whether a normalised licence text is this licence."""
        return all(normalise(p) in text for p in self.all) and not any(normalise(p) in text for p in self.none)


@frozen
class LicenceSignatures:
    """A licence signatures file, in the order signatures are tried."""

    licence: tuple[LicenceSignature, ...]


@frozen
class DerivedLicence:
    """What a source's licence files say: the expression ("" when they say nothing decidable) and how."""

    expression: str
    rule: str


def load(path: Path | None = None) -> LicenceSignatures:
    """The licence signatures of a file, or the built-in ones.

    Raises:
        InputError: the file is missing, not TOML, or a signature is malformed (each bad field with its path).
    """
    if path is None:
        with resources.as_file(resources.files("rootstock.sbom") / BUILTIN) as builtin:
            return load(builtin)
    return structure(
        read_toml(path, "licence signatures"), LicenceSignatures, source=str(path), what="licences", path=""
    )


def _top(parts: tuple[str, ...]) -> str | None:
    """The name of a licence file at the top of an archive or in one of its top directories (a tarball's
    `name-1.0/`, a wheel's package directory)."""
    return parts[-1] if len(parts) <= 2 and CANDIDATE.match(parts[-1]) else None


def licence_files(source: Path) -> list[tuple[str, bytes]]:
    """The licence files at the top of a source: a tree, or a tar or zip archive (at its top or in one of its top
    directories), by name, sorted.

    Raises:
        InputError: the source cannot be read.
    """
    try:
        if source.is_dir():
            return [
                (p.name, p.read_bytes()[:MAX_TEXT])
                for p in sorted(source.iterdir())
                if CANDIDATE.match(p.name) and p.is_file()
            ]
        if zipfile.is_zipfile(source):
            with zipfile.ZipFile(source) as archive:
                return sorted(
                    (name, archive.read(info)[:MAX_TEXT])
                    for info in archive.infolist()
                    if not info.is_dir() and (name := _top(PurePosixPath(info.filename).parts)) is not None
                )
        if tarfile.is_tarfile(source):
            with tarfile.open(source) as archive:
                found = []
                for member in archive.getmembers():
                    name = _top(PurePosixPath(member.name).parts) if member.isfile() else None
                    handle = archive.extractfile(member) if name is not None else None
                    if name is not None and handle is not None:
                        found.append((name, handle.read(MAX_TEXT)))
                return sorted(found)
    except (OSError, tarfile.TarError, zipfile.BadZipFile, EOFError) as exc:
        msg = f"{source}: cannot read its licence files ({exc})"
        raise InputError(msg) from None
    return []


def identify(text: bytes, signatures: LicenceSignatures) -> str | None:
    """The SPDX identifier of a licence text, or None when no signature matches it."""
    normal = normalise(text.decode("utf-8", "replace"))
    return next((s.spdx for s in signatures.licence if s.matches(normal)), None)


def derive(source: Path, signatures: LicenceSignatures) -> DerivedLicence:
    """The licence a source's licence files state: every file identified, distinct identifiers joined by AND
    (each file's terms apply to the parts it covers). Nothing when there is no licence file or one matches no
    signature: an unread licence must not be dropped from the expression.

    Raises:
        InputError: the source cannot be read.
    """
    files = licence_files(source)
    if not files:
        return DerivedLicence("", "no licence file (LICENSE*, LICENCE*, COPYING*, COPYRIGHT*) at the top of the source")
    named = [(name, identify(text, signatures)) for name, text in files]
    if unknown := [name for name, spdx in named if spdx is None]:
        return DerivedLicence("", f"licence file {', '.join(unknown)} matches no licence signature")
    ids = sorted({spdx for _, spdx in named if spdx is not None})
    expression = " AND ".join(f"({i})" if " OR " in i else i for i in ids)
    return DerivedLicence(expression, "licence files: " + ", ".join(f"{n} is {s}" for n, s in named))
