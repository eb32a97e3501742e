"""The signatures of known libraries (data: `signatures.toml` in this package), read through the one converter."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from attrs import field, frozen

from rootstock.errors import InputError
from rootstock.schema import read_toml, structure

BUILTIN = "signatures.toml"


def _pattern(_instance: object, attribute: object, value: str | tuple[str, ...]) -> None:
    for text in (value,) if isinstance(value, str) else value:
        try:
            compiled = re.compile(text.encode("ascii", "backslashreplace"))
        except re.error as exc:
            msg = f"expected a regular expression, got {text!r} ({exc})"
            raise ValueError(msg) from None
        if getattr(attribute, "name", "") == "pattern" and "version" not in compiled.groupindex:
            msg = f"expected a pattern with a group (?P<version>…), got {text!r}"
            raise ValueError(msg)


@frozen
class Signature:
    """`[[signature]]`: what a copy of a library leaves in a binary, and the SBOM names that stand for it."""

    library: str
    pattern: str = field(validator=_pattern)
    components: tuple[str, ...]
    also: tuple[str, ...] = field(default=(), validator=_pattern)
    note: str = ""

    @property
    def regex(self) -> re.Pattern[bytes]:
        """The pattern over bytes."""
        return re.compile(self.pattern.encode("ascii", "backslashreplace"))

    @property
    def required(self) -> tuple[re.Pattern[bytes], ...]:
        """The patterns that must be found too."""
        return tuple(re.compile(a.encode("ascii", "backslashreplace")) for a in self.also)


@frozen
class Signatures:
    """A signatures file."""

    signature: tuple[Signature, ...]


def load(path: Path | None = None) -> Signatures:
    """The signatures of a file, or the built-in ones.

    Raises:
        InputError: the file is missing, not TOML, or a signature is malformed (each bad field with its path).
    """
    if path is None:
        with resources.as_file(resources.files("rootstock.vendored") / BUILTIN) as builtin:
            return load(builtin)
    found = structure(read_toml(path, "signatures file"), Signatures, source=str(path), what="signatures", path="")
    names = [s.library for s in found.signature]
    if dupes := sorted({n for n in names if names.count(n) > 1}):
        msg = f"{path}: library signed twice: {', '.join(dupes)} (one [[signature]] per library)"
        raise InputError(msg)
    return found
