"""The Python hex0 assembler: the grammar case by case and its error for an unpaired nibble.

Its speed on megabytes is measured by benchmarks/hex0_bench.py, not asserted here (timings vary by machine).
"""

from __future__ import annotations

import pytest

from rootstock.assemble.hex0 import assemble_hex0
from rootstock.errors import InputError

CASES = [
    ("empty", "", b""),
    ("one byte", "00", b"\x00"),
    ("ELF magic", "7f 45 4C 46", b"\x7fELF"),
    ("mixed case", "aBcD Ef", b"\xab\xcd\xef"),
    ("hash comment holds hex digits", "# ab cd ef\n01", b"\x01"),
    ("semicolon comment holds hex digits", "; ff ee\n02", b"\x02"),
    ("trailing comments", "01 # ab\n02 ; cd\n03", b"\x01\x02\x03"),
    ("comment at end without newline", "12 # ab", b"\x12"),
    ("comment marker inside a comment", "# a ; b # c\n34", b"\x34"),
    ("nibbles of one byte split by space", "0 1 2 3", b"\x01\x23"),
    ("nibbles of one byte split by a comment", "1# a\n2", b"\x12"),
    ("nibbles of one byte split by lines", "a\n\nb", b"\xab"),
    ("no separators", "deadBEEF", b"\xde\xad\xbe\xef"),
    ("letters past f are ignored", "xyz: 12 ghijk", b"\x12"),
    ("CRLF line ends", "01\r\n02 # ab\r\n03", b"\x01\x02\x03"),
    ("tabs and form feeds", "\t0a\f0b\v", b"\x0a\x0b"),
    ("only comments", "# 1\n; 2\n#\n", b""),
    ("non-ASCII digits are not nibbles", "\u0663\uff11\u00e9 34", b"\x34"),
    ("every byte value", " ".join(f"{b:02x}" for b in range(256)), bytes(range(256))),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_assembles(text: str, expected: bytes) -> None:
    assert assemble_hex0(text) == expected


ODD = [
    ("single nibble", "1", 1, "'1'"),
    ("unpaired last nibble on a later line", "00\n11 # x\n2 ; ab", 3, "'2'"),
    ("three nibbles", "abc", 1, "'c'"),
    ("0x prefix is not hex0", "0x12 34", 1, "'4'"),
    ("odd count hidden by a comment", "12 3 # 4", 1, "'3'"),
]


@pytest.mark.parametrize(("text", "line", "digit"), [c[1:] for c in ODD], ids=[c[0] for c in ODD])
def test_odd_nibble_is_an_error(text: str, line: int, digit: str) -> None:
    with pytest.raises(InputError) as caught:
        assemble_hex0(text, source="prog.hex0")
    message = str(caught.value)
    assert message.startswith(f"prog.hex0:{line}:")
    assert "expected hex digits in pairs" in message
    assert digit in message


def test_default_source_name() -> None:
    with pytest.raises(InputError, match=r"^<input>:1:"):
        assemble_hex0("f")
