"""The audit's own hex2 linker and M0 expander, as tables of inputs and the bytes they must give."""

from __future__ import annotations

import pytest

from rootstock.audit.hex2 import link_hex2
from rootstock.audit.m1 import expand_m1
from rootstock.errors import InputError

BASE = 0x1000


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90 90", "9090"),
        ("9 0 ; comment 12\n# also 34\n0F05", "900f05"),
        (":a 90 EB !a", "90ebfd"),  # 1-byte distance back to a
        ("E8 %f 90 :f C3", "e80100000090c3"),  # 4-byte distance from the end of the field
        ("&a :a", "04100000"),  # 4-byte address
        ("$a :a", "0210"),  # 2-byte address
        ("@a :a", "0000"),  # 2-byte distance
        (":b 00 00 :a %a>b", "0000" + "02000000"),  # distance between labels
        (":x 90 EB !x", "90ebfd"),  # hex1: one-character labels
    ],
)
def test_hex2_linker(text: str, expected: str) -> None:
    assert link_hex2(text, BASE).hex() == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("EB !nowhere", r"<input>:1: reference to undefined label 'nowhere'"),
        ("90\n9", r"<input>:2: unpaired hex digit '9'"),
        ("90 zz", r"<input>:1: unexpected character 'z'"),
        (":a " + "00 " * 200 + "EB !a", r"does not fit in 1 byte"),
    ],
)
def test_hex2_linker_errors(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        link_hex2(text, BASE)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("DEFINE nop 90\nnop nop", "90\n90"),
        ("!1 !-1 @0x102 %-2 $3 &4", "01\nFF\n0201\nFEFFFFFF\n0300\n04000000"),
        ('"AB"', "414200"),  # bytes and a NUL, as M0 writes them
        ("'0F 05'", "0F 05"),  # raw hex, copied
        (":label %label &label", ":label\n%label\n&label"),  # references are hex2's business
        ("# comment\n; comment\n90", "90"),
    ],
)
def test_m1_expansion(text: str, expected: str) -> None:
    assert expand_m1(text).hex2 == expected


def test_m1_defines_are_recorded_with_lines() -> None:
    program = expand_m1("\nDEFINE ret C3\nDEFINE nop 90\n")
    assert [(d.name, d.hex, d.line) for d in program.defines] == [("ret", "C3", 2), ("nop", "90", 3)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("DEFINE", r"<input>:1: DEFINE needs a name and a value"),
        ("!256", r"<input>:1: !256 does not fit in 1 byte"),
    ],
)
def test_m1_errors(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        expand_m1(text)
