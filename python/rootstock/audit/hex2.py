"""A hex2 linker (also reads hex1): hex bytes, `:label` definitions, and 1/2/4-byte label references."""

from __future__ import annotations

import re

from rootstock.errors import InputError

# Reference prefix -> (field size in bytes, relative to the end of the field?).
REFERENCES = {"!": (1, True), "@": (2, True), "$": (2, False), "%": (4, True), "&": (4, False)}
_TOKEN = re.compile(r"[#;][^\n]*|([:!@$%&][^\s]+)|([0-9A-Fa-f])|(\S)")


def link_hex2(text: str, base: int, *, source: str = "<input>") -> bytes:
    """The bytes hex2 writes for text when the first byte is loaded at base.

    `%a` is the 4-byte distance from the end of the field to label a, `&a` its 4-byte address, `!`/`@`
    1/2-byte distances, `$` a 2-byte address, and `%a>b` the distance from label b to label a.

    Examples:
        >>> link_hex2(":a 90 EB !a", 0x1000).hex()
        '90ebfd'

    Raises:
        InputError: an undefined label, a stray character, a value that does not fit its field, or an
            unpaired hex digit.
    """
    tokens = _tokens(text, source)
    labels: dict[str, int] = {}
    size = 0
    for kind, value, _line in tokens:
        if kind == ":":
            labels[value] = base + size
        elif kind in REFERENCES:
            size += REFERENCES[kind][0]
        else:
            size += 1
    out = bytearray()
    for kind, value, line in tokens:
        if kind == ":":
            continue
        if kind not in REFERENCES:
            out.append(int(value, 16))
            continue
        width, relative = REFERENCES[kind]
        target, _, origin = value.partition(">")
        here = base + len(out) + width
        number = _label(labels, target, source, line)
        if origin:
            number -= _label(labels, origin, source, line)
        elif relative:
            number -= here
        out += _field(number, width, f"{source}:{line}: {kind}{value}")
    return bytes(out)


def _tokens(text: str, source: str) -> list[tuple[str, str, int]]:
    """(kind, value, line): kind is a prefix character for labels and references, `x` for a byte."""
    tokens: list[tuple[str, str, int]] = []
    nibble = ""
    nibble_line = 0
    line = 1
    position = 0
    for match in _TOKEN.finditer(text):
        line += text.count("\n", position, match.start())
        position = match.start()
        label, digit, stray = match.groups()
        if stray is not None:
            msg = f"{source}:{line}: unexpected character {stray!r}: expected hex digits, a label or a reference"
            raise InputError(msg)
        if label is not None:
            tokens.append((label[0], label[1:], line))
        elif digit is not None:
            if nibble:
                tokens.append(("x", nibble + digit, nibble_line))
                nibble = ""
            else:
                nibble, nibble_line = digit, line
    if nibble:
        msg = f"{source}:{nibble_line}: unpaired hex digit {nibble!r}: expected hex digits in pairs"
        raise InputError(msg)
    return tokens


def _label(labels: dict[str, int], name: str, source: str, line: int) -> int:
    try:
        return labels[name]
    except KeyError:
        msg = f"{source}:{line}: reference to undefined label {name!r}"
        raise InputError(msg) from None


def _field(number: int, width: int, where: str) -> bytes:
    bits = width * 8
    if not -(1 << (bits - 1)) <= number < (1 << bits):
        msg = f"{where}: value {number} does not fit in {width} byte(s)"
        raise InputError(msg)
    return (number & ((1 << bits) - 1)).to_bytes(width, "little")
