"""Finding copies of known libraries in files by their signatures."""

from __future__ import annotations

import mmap
import os
from collections.abc import Sequence
from pathlib import Path

from attrs import frozen

from rootstock.core import files
from rootstock.errors import InputError
from rootstock.vendored.signatures import Signature


@frozen
class Copy:
    """A copy of a library found in a file: the version it announces and where its version string is."""

    library: str
    version: str
    file: str
    offset: int


def _read(path: Path) -> bytes | mmap.mmap:
    with files.open_input(path, "file to scan") as handle:
        try:
            if os.fstat(handle.fileno()).st_size == 0:
                return b""
            return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except OSError as exc:
            msg = f"{path}: cannot read the file to scan ({exc.strerror})"
            raise InputError(msg) from None


def scan(path: Path, signatures: Sequence[Signature]) -> list[Copy]:
    """Every library whose signature the file holds, one copy per library and version (its first offset).

    Raises:
        InputError: the file is missing, a directory or unreadable.
    """
    data = _read(path)
    found: dict[tuple[str, str], Copy] = {}
    for sig in signatures:
        if not all(r.search(data) for r in sig.required):
            continue
        for m in sig.regex.finditer(data):
            version = m.group("version").decode("ascii")
            found.setdefault((sig.library, version), Copy(sig.library, version, str(path), m.start()))
    return sorted(found.values(), key=lambda c: (c.library, c.version))
