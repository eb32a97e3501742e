"""The deployable form of a component (what TR-03183-2's SHA-512, filename and executable / archive /
structured properties are of), read from its bytes: a file as it is, a tree (a git pin's prepared checkout) as
the NAR serialisation Nix hashes it by."""

from __future__ import annotations

import re
import stat
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from rootstock.core.nar import flat_hash, nar_hash
from rootstock.errors import InputError
from rootstock.sbom.model import Deployable

# gzip, xz, bzip2, zip (wheels, jars), zstd, ar (.deb, static libraries); tar is recognised at offset 257.
ARCHIVE_MAGIC = (b"\x1f\x8b", b"\xfd7zXZ\x00", b"BZh", b"PK\x03\x04", b"(\xb5/\xfd", b"!<arch>\n")
_ELF_RUNNABLE = (2, 3)  # ET_EXEC, ET_DYN: a program or a shared object, not an object file or a core dump
_STORE_NAME = re.compile(r"^[0-9a-df-np-sv-z]{32}-")
TREE = "the NAR serialisation of the tree (as nix-hash --type sha512 computes it)"
FILE = "the file's bytes"


def store_name(path: Path) -> str:
    """A path's name without a Nix store hash prefix (`/nix/store/<hash>-zlib-src-1.3.1-source` → the rest)."""
    return _STORE_NAME.sub("", path.name)


def url_filename(url: str) -> str:
    """The last segment of a URL's path, or "" when it has none."""
    return PurePosixPath(urlsplit(url).path).name


def kind_of_bytes(head: bytes) -> tuple[bool, bool]:
    """Whether bytes starting with head are executable (an ELF program or a `#!` script) and an archive.

    Examples:
        >>> kind_of_bytes(b"\\x7fELF\\x02\\x01\\x01" + bytes(9) + b"\\x02\\x00")
        (True, False)
        >>> kind_of_bytes(b"\\x1f\\x8b\\x08")
        (False, True)
    """
    elf = head.startswith(b"\x7fELF") and len(head) >= 18 and int.from_bytes(head[16:18], "little") in _ELF_RUNNABLE
    archive = head.startswith(ARCHIVE_MAGIC) or head[257:262] == b"ustar"
    return elf or head.startswith(b"#!"), archive


def describe(path: Path, filename: str = "") -> Deployable:
    """The deployable form at path: a tree (not executable, no archive, structured: its file names and layout
    are kept) or a file (executable and archive by its bytes; structured when an archive, whose members keep
    their names and metadata, unlike a linked binary). filename defaults to the path's store name.

    Raises:
        InputError: the path does not exist or cannot be read.
    """
    try:
        mode = path.lstat().st_mode
    except OSError as exc:
        msg = f"{path}: cannot describe the deployable form ({exc.strerror})"
        raise InputError(msg) from None
    name = filename or store_name(path)
    if stat.S_ISDIR(mode):
        return Deployable(name, nar_hash(path, "sha512").hex, TREE, executable=False, archive=False, structured=True)
    with path.open("rb") as handle:
        head = handle.read(512)
    executable, archive = kind_of_bytes(head)
    return Deployable(name, flat_hash(path, "sha512").hex, FILE, executable, archive, structured=archive)
