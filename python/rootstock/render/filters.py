"""Nix escaping filters for templates: strings, identifiers, and argument strings with store-path references."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from rootstock.stages.resolve import Part, Ref, Text

IDENT_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_'-]*$")
KEYWORDS = frozenset({"if", "then", "else", "assert", "with", "let", "in", "rec", "inherit", "or"})


def _escape_body(text: str) -> str:
    # JSON escaping covers quotes, backslashes and control characters; `${` must not start an interpolation.
    return json.dumps(text, ensure_ascii=False)[1:-1].replace("${", "\\${")


def nix_str(value: str) -> str:
    """A Nix string literal that means exactly value (nixpkgs' escapeNixString)."""
    return f'"{_escape_body(value)}"'


def nix_ident(name: str) -> str:
    """An attribute name: bare when Nix allows it, else a quoted string (nixpkgs' escapeNixIdentifier)."""
    return name if IDENT_RE.match(name) and name not in KEYWORDS else nix_str(name)


def nix_bool(value: bool) -> str:
    """true or false."""
    return "true" if value else "false"


def nix_ref(ref: Ref) -> str:
    """The Nix expression for a store-path reference."""
    if ref.kind == "out":
        return 'builtins.placeholder "out"'
    if ref.kind == "pin":
        return f"pins.{nix_ident(ref.name)}"
    if ref.kind == "step":
        return f"steps.{nix_ident(ref.name)}"
    return f"(root + {nix_str('/' + ref.name)})"


def nix_parts(parts: Sequence[Part]) -> str:
    """A Nix string literal made of literal text and interpolated references."""
    body = "".join(_escape_body(p.text) if isinstance(p, Text) else "${" + nix_ref(p) + "}" for p in parts)
    return f'"{body}"'
