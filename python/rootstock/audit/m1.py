"""An M0/M1 macro expander producing hex2 text: DEFINEs, immediates, strings; labels pass through to hex2."""

from __future__ import annotations

import re

from attrs import frozen

from rootstock.errors import InputError

# Immediate prefix -> field size in bytes (little endian, as on x86).
IMMEDIATES = {"!": 1, "@": 2, "$": 2, "%": 4, "&": 4}


@frozen
class Define:
    """One `DEFINE name bytes` line."""

    name: str
    hex: str
    line: int


@frozen
class M1Program:
    """The DEFINEs of an M1 file and the hex2 text it expands to."""

    defines: tuple[Define, ...]
    hex2: str


def expand_m1(text: str, *, source: str = "<input>") -> M1Program:
    """Expand M1 text the way M0 does.

    A DEFINE'd name becomes its bytes; `"text"` becomes the bytes of text and a NUL; `'hex'` is copied as
    written; `!n @n $n %n &n` with a decimal or 0x number become 1, 2, 2, 4, 4 little-endian bytes; anything
    else (labels, references, plain hex) is left for hex2.

    Examples:
        >>> expand_m1('DEFINE nop 90\\nnop %1 "A"').hex2
        '90\\n01000000\\n4100'

    Raises:
        InputError: a DEFINE missing its name or value, or a number too large for its field.
    """
    defines: list[Define] = []
    out: list[str] = []
    tokens = list(_tokens(text))
    macros: dict[str, str] = {}
    i = 0
    while i < len(tokens):
        kind, value, line = tokens[i]
        if kind == "word" and value == "DEFINE":
            if i + 2 >= len(tokens) or tokens[i + 1][0] != "word":
                msg = f"{source}:{line}: DEFINE needs a name and a value"
                raise InputError(msg)
            name, body = tokens[i + 1][1], tokens[i + 2][1]
            defines.append(Define(name, body, line))
            macros[name] = body
            i += 3
            continue
        out.append(_expand(kind, value, macros, f"{source}:{line}"))
        i += 1
    return M1Program(tuple(defines), "\n".join(out))


# A comment to the end of the line, a "string", a 'hex' literal, or a word.
_TOKEN = re.compile(r"[#;][^\n]*|\"([^\"]*)\"|'([^']*)'|(\S+)")
_NUMBER = re.compile(r"-?[0-9]+|0x[0-9A-Fa-f]+")


def _tokens(text: str) -> list[tuple[str, str, int]]:
    tokens: list[tuple[str, str, int]] = []
    line, position = 1, 0
    for match in _TOKEN.finditer(text):
        line += text.count("\n", position, match.start())
        position = match.start()
        string, raw, word = match.groups()
        if string is not None:
            tokens.append(("string", string, line))
        elif raw is not None:
            tokens.append(("raw", raw, line))
        elif word is not None:
            tokens.append(("word", word, line))
    return tokens


def _expand(kind: str, value: str, macros: dict[str, str], where: str) -> str:
    if kind == "string":
        return (value.encode() + b"\0").hex().upper()
    if kind == "raw":
        return value
    if value in macros:
        return macros[value]
    if value[:1] in IMMEDIATES and _NUMBER.fullmatch(value[1:]):
        width = IMMEDIATES[value[0]]
        number = int(value[1:], 0)
        if not -(1 << (width * 8 - 1)) <= number < (1 << (width * 8)):
            msg = f"{where}: {value} does not fit in {width} byte(s)"
            raise InputError(msg)
        return (number & ((1 << (width * 8)) - 1)).to_bytes(width, "little").hex().upper()
    return value
