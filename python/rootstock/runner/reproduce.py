"""Whether two builds of one derivation agree: the second, built under another store path, is compared with the
first once every occurrence of its own store hash is read as the first's (the hash rewriting Nix itself does)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

SHOWN = 5


def _entries(root: Path) -> dict[str, os.stat_result]:
    found = {".": root.lstat()}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            found[path.relative_to(root).as_posix()] = path.lstat()
    return found


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "directory"
    if stat.S_ISLNK(mode):
        return "symlink"
    return "executable file" if mode & 0o111 else "file"


def differences(first: Path, second: Path) -> list[str]:
    """What differs between two store paths that are builds of the same derivation (empty: identical).

    Each item names the relative path and how it differs; file contents and symlink targets are compared
    after the second path's hash part is replaced by the first's, so a build that refers to its own output
    still compares equal with itself.
    """
    own, theirs = first.name[:32].encode(), second.name[:32].encode()
    left, right = _entries(first), _entries(second)
    found: list[str] = [f"{rel}: only in the first build" for rel in sorted(left.keys() - right.keys())]
    found += [f"{rel}: only in the second build" for rel in sorted(right.keys() - left.keys())]
    for rel in sorted(left.keys() & right.keys()):
        a, b = _kind(left[rel].st_mode), _kind(right[rel].st_mode)
        if a != b:
            found.append(f"{rel}: {a} in the first build, {b} in the second")
        elif a == "symlink":
            target_a = (first / rel).readlink().as_posix().encode()
            target_b = (second / rel).readlink().as_posix().encode().replace(theirs, own)
            if target_a != target_b:
                found.append(f"{rel}: links to {target_a.decode()!r}, then to {target_b.decode()!r}")
        elif a != "directory":
            data_a = (first / rel).read_bytes()
            data_b = (second / rel).read_bytes().replace(theirs, own)
            if data_a != data_b:
                at = next((i for i, (x, y) in enumerate(zip(data_a, data_b, strict=False)) if x != y), None)
                where = f"first difference at byte {at}" if at is not None else "one is a prefix of the other"
                found.append(f"{rel}: contents differ ({len(data_a)} and {len(data_b)} bytes, {where})")
    return found


def describe(found: list[str]) -> str:
    """The first few differences, and how many more there are."""
    shown = "; ".join(found[:SHOWN])
    return shown + (f"; and {len(found) - SHOWN} more" if len(found) > SHOWN else "")
