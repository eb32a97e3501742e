"""One program at a time: a clean fixture passes, and each planted fault fails the check meant to catch it."""

from __future__ import annotations

import pytest

from audit_support import BASIC, assemble_gas, base, build_gas, echo_program
from rootstock.audit.elfwrite import headers_size, minimal_elf
from rootstock.audit.model import ProgramAudit
from rootstock.audit.policy import ARCHES, Arch, ProgramPolicy
from rootstock.audit.program import audit_program

STRICT = ProgramPolicy("echo", BASIC, rwx_tolerated=False, why="prints one file")
TOLERANT = ProgramPolicy("echo", BASIC, rwx_tolerated=True, why="prints one file, one RWX segment")
# (x86-64 number, i386 number) of calls no early program may make.
FORBIDDEN = {"socket": (41, 359), "execve": (59, 11), "fork": (57, 2), "ptrace": (101, 26), "mprotect": (10, 125)}


@pytest.fixture(params=sorted(ARCHES))
def arch(request: pytest.FixtureRequest) -> Arch:
    return ARCHES[request.param]


def audit(data: bytes, arch: Arch, policy: ProgramPolicy = STRICT) -> ProgramAudit:
    return audit_program("echo", "echo", data, arch, policy)


def failed(result: ProgramAudit) -> list[str]:
    return [c.id for c in result.checks if not c.passed]


def syscall(arch: Arch, number: int) -> str:
    return f"mov eax, {number}\nsyscall" if arch.bits == 64 else f"mov eax, {number}\nint 0x80"


def exit_call(arch: Arch) -> str:
    return syscall(arch, 60 if arch.bits == 64 else 1)


def test_clean_program_passes_with_every_byte_explained(arch: Arch) -> None:
    result = audit(echo_program(arch), arch)
    assert failed(result) == []
    assert [r.kind for r in result.regions] == ["elf-header", "program-headers", "code"]
    assert [s.name for s in result.syscalls] == ["open", "read", "write", "exit", "exit"]
    assert not [f for f in result.findings if "unchecked" in f.id]


@pytest.mark.parametrize("name", sorted(FORBIDDEN))
def test_forbidden_syscall_fails(arch: Arch, name: str) -> None:
    number = FORBIDDEN[name][0 if arch.bits == 64 else 1]
    result = audit(build_gas(arch, syscall(arch, number) + "\n" + exit_call(arch)), arch)
    assert [f for f in failed(result) if f.startswith("echo/syscall@")] == [
        f"echo/syscall@{base(arch) + headers_size(arch) + 5:#x}/{name}"
    ]


@pytest.mark.parametrize(
    "setup",
    [
        "push {n}\npop {a}",  # through the stack
        "xor eax, eax\nmov al, {n}",  # a byte into a zeroed register
        "mov ebx, {n}\nxchg {a}, {b}",  # swapped in
        "mov ecx, {n}\nmov eax, ecx",  # copied
        "mov eax, {m}\nadd eax, 1",  # computed
    ],
)
def test_syscall_number_is_tracked_through_registers(arch: Arch, setup: str) -> None:
    execve = FORBIDDEN["execve"][0 if arch.bits == 64 else 1]
    a, b = ("rax", "rbx") if arch.bits == 64 else ("eax", "ebx")
    call = "syscall" if arch.bits == 64 else "int 0x80"
    body = setup.format(n=execve, m=execve - 1, a=a, b=b) + "\n" + call + "\n" + exit_call(arch)
    result = audit(build_gas(arch, body), arch)
    assert [s.name for s in result.syscalls] == ["execve", "exit"]
    assert any(f.endswith("/execve") for f in failed(result))


def test_unresolved_syscall_number_fails(arch: Arch) -> None:
    load = "mov eax, dword ptr [rsp]" if arch.bits == 64 else "mov eax, dword ptr [esp]"
    result = audit(build_gas(arch, load + "\n" + ("syscall" if arch.bits == 64 else "int 0x80")), arch)
    assert any(f.endswith("/unresolved") for f in failed(result))


def test_int80_in_a_64_bit_program_uses_the_32_bit_table() -> None:
    arch = ARCHES["AMD64"]
    result = audit(build_gas(arch, "mov eax, 11\nint 0x80\n" + exit_call(arch)), arch)
    assert [s.name for s in result.syscalls] == ["execve", "exit"]
    assert any(f.endswith("/execve") for f in failed(result))


def test_jump_outside_the_segment_fails(arch: Arch) -> None:
    result = audit(build_gas(arch, "jmp 0x100000"), arch)
    assert "echo/code/targets" in failed(result)


def test_bytes_appended_outside_the_segment_fail(arch: Arch) -> None:
    result = audit(echo_program(arch) + b"\x90" * 8, arch)
    assert "echo/elf/size" in failed(result)


def test_bytes_appended_inside_the_segment_are_unaccounted(arch: Arch) -> None:
    code = assemble_gas(arch, exit_call(arch))
    result = audit(minimal_elf(arch, code + bytes.fromhex("90c3ccb801000000"), base(arch)), arch)
    assert failed(result) == ["echo/bytes/accounted"]
    assert result.regions[-1].kind == "unaccounted"


def test_moved_entry_point_fails(arch: Arch) -> None:
    code = assemble_gas(arch, "nop\n" + exit_call(arch))
    moved = minimal_elf(arch, code, base(arch), entry=base(arch) + headers_size(arch) + 1)
    assert "echo/elf/entry.first" in failed(audit(moved, arch))


def test_entry_point_outside_the_file_fails(arch: Arch) -> None:
    data = minimal_elf(arch, assemble_gas(arch, exit_call(arch)), base(arch), entry=base(arch) + 0x10000)
    assert {"echo/elf/entry", "echo/elf/entry.first"} <= set(failed(audit(data, arch)))


def test_rwx_segment_fails_a_strict_policy_and_is_a_finding_under_a_tolerant_one(arch: Arch) -> None:
    code = assemble_gas(arch, exit_call(arch))
    rwx = minimal_elf(arch, code, base(arch), flags=7)
    assert failed(audit(rwx, arch)) == ["echo/elf/phdr0.wx"]
    tolerant = audit(rwx, arch, TOLERANT)
    assert failed(tolerant) == []
    assert [f.severity for f in tolerant.findings if f.id == "echo/elf/phdr0.rwx"] == ["warning"]


def test_unchecked_open_is_a_finding(arch: Arch) -> None:
    open_number = 2 if arch.bits == 64 else 5
    body = syscall(arch, open_number) + "\n" + ("mov edi, eax" if arch.bits == 64 else "mov ebx, eax") + "\n"
    result = audit(build_gas(arch, body + exit_call(arch)), arch)
    assert [f.severity for f in result.findings if f.id.endswith("/unchecked")] == ["warning"]


def test_section_headers_and_wrong_machine_fail(arch: Arch) -> None:
    data = bytearray(echo_program(arch))
    data[18] ^= 0xFF  # e_machine
    data[0x3C if arch.bits == 64 else 0x30] = 1  # e_shnum
    assert {"echo/elf/machine", "echo/elf/shnum"} <= set(failed(audit(bytes(data), arch)))


def test_unreached_function_between_code_is_reported_not_failed(arch: Arch) -> None:
    body = "jmp over\nhelper:\nnop\nret\nover:\n" + exit_call(arch)
    result = audit(build_gas(arch, body), arch)
    assert failed(result) == []
    assert [r.kind for r in result.regions][2:] == ["code", "unreached-code", "code"]
    assert any(f.id.endswith("/unreached") for f in result.findings)


def test_jump_into_the_middle_of_an_instruction_fails(arch: Arch) -> None:
    # `mov eax, 0x050f9090` hides `nop; nop; syscall` in its immediate; the jump lands on the hidden bytes.
    body = "mov eax, 0x050f9090\njmp _start+1\n"
    result = audit(build_gas(arch, body), arch)
    start = base(arch) + headers_size(arch)
    assert f"echo/branch@{start + 5:#x}" in failed(result)
    assert "echo/code/no-overlap" in failed(result)


def test_listing_shows_every_instruction_with_its_bytes(arch: Arch) -> None:
    result = audit(build_gas(arch, "jmp over\nhelper:\nret\nover:\n" + exit_call(arch)), arch)
    assert [(ln.text, ln.reached) for ln in result.listing][:3] == [
        ("jmp " + hex(result.listing[2].address), True),
        ("ret", False),
        ("mov eax, " + ("0x3c" if arch.bits == 64 else "1"), True),
    ]
    assert result.listing[1].hex == "c3"


@pytest.mark.parametrize("instruction", ["rdtsc", "cpuid", "int3", "in al, dx", "hlt"])
def test_unusual_instruction_fails(arch: Arch, instruction: str) -> None:
    result = audit(build_gas(arch, instruction + "\n" + exit_call(arch)), arch)
    assert f"echo/insn@{base(arch) + headers_size(arch):#x}" in failed(result)


def test_check_ids_are_unique_on_a_program_with_unreached_code(arch: Arch) -> None:
    body = "jmp over\nhelper:\ncall over\nret\nover:\n" + exit_call(arch)
    ids = [c.id for c in audit(build_gas(arch, body), arch).checks]
    assert len(ids) == len(set(ids))
