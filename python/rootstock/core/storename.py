"""Names that become part of a Nix store path (`/nix/store/<hash>-<name>`): a step, a pin and its version, a DDC
pass, a static package or toolchain. Checked when the data file is read, so a bad name is reported there, with
the rule, rather than by nix-instantiate mid-build (Nix 2.8's checkName in libstore/path.cc)."""

from __future__ import annotations

import re
from typing import NewType

# A name a data file gives something that Nix makes a store path of; the converter (rootstock.schema) checks it.
StoreName = NewType("StoreName", str)

RULE = "a Nix store path name is one or more letters, digits and + - . _ ? =, not starting with '.'"
MAX_LENGTH = 211
_CHARACTER_RE = re.compile(r"[A-Za-z0-9+\-._?=]")


def problem(name: str) -> str | None:
    """What makes name unfit for a store path (None when it is fit), with the rule."""
    if not name:
        return f"'' is empty: {RULE}"
    bad = next((c for c in name if not _CHARACTER_RE.fullmatch(c)), None)
    if bad is not None:
        return f"{name!r} holds {bad!r}: {RULE}"
    if name.startswith("."):
        return f"{name!r} starts with '.': {RULE}"
    if len(name) > MAX_LENGTH:
        return f"{name[:20]!r}… is {len(name)} characters long: a Nix store path name has at most {MAX_LENGTH}"
    return None
