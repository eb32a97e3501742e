"""The seed's contents rule: a static archive under a library path means link, headers or tools mean build."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from attrs import frozen

from rootstock.sbom.model import Usage

LIBRARY_DIRS = frozenset({"lib", "lib64", "lib32", "libx32"})
TOOL_DIRS = frozenset({"bin", "sbin", "libexec"})


@frozen
class Contents:
    """What a package ships, as far as usage is concerned."""

    archives: tuple[Path, ...]
    headers: tuple[Path, ...]
    tools: tuple[Path, ...]

    @property
    def usage(self) -> Usage:
        """The seed's rule: archive → link; only headers or tools → build; archive and tools → both."""
        return Usage.of(in_binary=bool(self.archives), builds=bool(self.tools))


def _under_library_dir(rel: Path) -> bool:
    """A standard library path: lib*/… relative to the root or prefix, or usr/lib*/…, usr/local/lib*/…."""
    parts = rel.parts
    for start in ((), ("usr",), ("usr", "local")):
        n = len(start)
        if parts[:n] == start and len(parts) > n + 1 and parts[n] in LIBRARY_DIRS:
            return True
    return False


def _is_tool(path: Path, rel: Path) -> bool:
    if any(part in TOOL_DIRS for part in rel.parts[:-1]):
        return True
    # Compiler-internal programs (cc1, collect2) live under lib/; shared objects are executable but no tool.
    return os.access(path, os.X_OK) and ".so" not in path.name and not path.name.endswith((".a", ".o"))


def classify(root: Path, files: Iterable[Path]) -> Contents:
    """Sort the regular files of a package (absolute paths under root) into archives, headers and tools.

    Examples:
        >>> classify(Path("/p"), [Path("/p/lib/libz.a"), Path("/p/include/zlib.h")]).usage
        <Usage.LINK: 'link'>
    """
    archives: list[Path] = []
    headers: list[Path] = []
    tools: list[Path] = []
    for path in sorted(set(files)):
        rel = path.relative_to(root)
        if path.suffix == ".a" and _under_library_dir(rel):
            archives.append(path)
        elif "include" in rel.parts[:-1]:
            headers.append(path)
        elif path.is_file() and _is_tool(path, rel):
            tools.append(path)
    return Contents(tuple(archives), tuple(headers), tuple(tools))
