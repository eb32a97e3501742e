"""DEFINE names against the instructions their bytes encode: truthful ones pass, lying ones fail."""

from __future__ import annotations

import pytest

from rootstock.audit.defines import check_defines
from rootstock.audit.m1 import Define, expand_m1
from rootstock.audit.policy import ARCHES

AMD64 = ARCHES["AMD64"]


def verdict(name: str, hex_bytes: str, arch: str = "AMD64") -> tuple[bool | None, list[str]]:
    checks, findings = check_defines([("t.M1", Define(name, hex_bytes, 1))], ARCHES[arch])
    return (checks[0].passed if checks else None), [f.severity for f in findings]


@pytest.mark.parametrize(
    ("name", "hex_bytes", "arch"),
    [
        ("mov_rax,rbx", "4889D8", "AMD64"),
        ("mov_rax,[rsp+DWORD]", "488B8424", "AMD64"),
        ("lea_rsi,[rip+DWORD]", "488D35", "AMD64"),
        ("cmp_ebx,eax", "39C3", "x86"),
        ("jne8", "75", "x86"),
        ("je32", "0F84", "AMD64"),
        ("jz", "74", "AMD64"),
        ("sal_rax,", "48C1E0", "AMD64"),
        ("xchg_rax,rbx", "4893", "AMD64"),
        ("int_0x80", "CD80", "x86"),
        ("syscall", "0F05", "AMD64"),
        ("pushf", "9C", "AMD64"),
    ],
)
def test_truthful_defines_pass_without_findings(name: str, hex_bytes: str, arch: str) -> None:
    assert verdict(name, hex_bytes, arch) == (True, [])


@pytest.mark.parametrize(
    ("name", "hex_bytes"),
    [
        ("mov_rax,rbx", "4889C3"),  # encodes mov rbx, rax: the operands are swapped
        ("cmp_ebx,ecx", "39D9"),  # encodes cmp ecx, ebx
        ("add_rax,rbx", "4829D8"),  # encodes sub
        ("nop", "900F05"),  # a syscall hidden behind a nop
        ("push_rax", "53"),  # pushes rbx
        ("mov_rax,[rsp]", "488B00"),  # reads [rax] where [rsp] is named
    ],
)
def test_lying_defines_fail(name: str, hex_bytes: str) -> None:
    passed, severities = verdict(name, hex_bytes)
    assert passed is False
    assert severities == ["error"]


def test_register_width_mismatch_is_a_warning() -> None:
    assert verdict("mov_rdx,", "BA") == (True, ["warning"])


def test_misspelt_mnemonic_is_a_warning_and_constants_are_listed() -> None:
    assert verdict("addd_ebx,", "81C3", "x86") == (True, ["warning"])
    assert verdict("NULL", "00000000") == (None, ["info"])


def test_same_define_in_several_files_is_checked_once() -> None:
    text = "DEFINE ret C3\nret\n"
    pairs = [(f, d) for f in ("a.M1", "b.M1") for d in expand_m1(text).defines]
    checks, _findings = check_defines(pairs, AMD64)
    assert [c.id for c in checks] == ["define/ret=C3"]
    assert "a.M1, b.M1" in checks[0].what
