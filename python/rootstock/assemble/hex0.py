"""The hex0 format: hex digit pairs are bytes, `#` and `;` comment to end of line, everything else is ignored."""

from __future__ import annotations

import re

from rootstock.errors import InputError

# One C-level pass deletes comments (up to, not including, their newline) and every non-hex character, which
# keeps multi-megabyte sources fast; a per-character Python loop would not.
_NOT_A_NIBBLE = re.compile(r"[#;][^\n]*|[^0-9a-fA-F#;]+")
_COMMENT_OR_NIBBLE = re.compile(r"[#;][^\n]*|([0-9a-fA-F])")


def assemble_hex0(text: str, *, source: str = "<input>") -> bytes:
    """Return the bytes a hex0 assembler writes for text.

    Raises:
        InputError: the hex digits do not pair up, so the last byte would have only its high nibble.
    """
    digits = _NOT_A_NIBBLE.sub("", text)
    if len(digits) % 2:
        raise InputError(_odd_nibble_message(text, source, len(digits)))
    return bytes.fromhex(digits)


def _odd_nibble_message(text: str, source: str, count: int) -> str:
    """Name the line of the unpaired digit; scanning again is fine because this only runs on failure."""
    last = [m for m in _COMMENT_OR_NIBBLE.finditer(text) if m.group(1)][-1]
    line = text.count("\n", 0, last.start()) + 1
    return (
        f"{source}:{line}: odd number of hex digits ({count}): expected hex digits in pairs, "
        f"but the last digit {last.group(1)!r} has no partner"
    )
