"""Audit policy as data: the architectures, what each early program may do, and the unusual instructions."""

from __future__ import annotations

from collections.abc import Mapping

import capstone
from attrs import frozen


@frozen
class Arch:
    """What a minimal static Linux executable of one architecture looks like and how its code decodes.

    Only decoding facts live here; where the chain loads its programs and which ELF header template it uses
    are the system's variables in stages.toml (rootstock.audit.inputs.Target).
    """

    name: str
    bits: int
    machine: int
    abi: str
    ld_emulation: str

    @property
    def elf_class(self) -> int:
        """ELFCLASS32 (1) or ELFCLASS64 (2)."""
        return 2 if self.bits == 64 else 1

    @property
    def ehsize(self) -> int:
        """The ELF header size of this class."""
        return 64 if self.bits == 64 else 52

    @property
    def phentsize(self) -> int:
        """The program header entry size of this class."""
        return 56 if self.bits == 64 else 32

    @property
    def word(self) -> str:
        """The struct code of an address-sized field."""
        return "Q" if self.bits == 64 else "I"

    @property
    def cs_mode(self) -> int:
        """The capstone decoding mode."""
        return capstone.CS_MODE_64 if self.bits == 64 else capstone.CS_MODE_32

    @property
    def as_flag(self) -> str:
        """The GNU as option that selects this word size."""
        return f"--{self.bits}"


ARCHES: Mapping[str, Arch] = {
    arch.name: arch
    for arch in (
        Arch(name="AMD64", bits=64, machine=62, abi="x86_64", ld_emulation="elf_x86_64"),
        Arch(name="x86", bits=32, machine=3, abi="i386", ld_emulation="elf_i386"),
    )
}


@frozen
class ProgramPolicy:
    """What one program's job needs: its allowed system calls and whether an RWX segment is tolerated."""

    name: str
    allowed_syscalls: frozenset[str]
    rwx_tolerated: bool
    why: str
    # Every upstream program starts executing at the first byte after its headers; a program laid out with
    # helpers before its entry point says so here, otherwise a moved entry point fails the audit.
    entry_at_code_start: bool = True


# Every stage0 program maps its whole file as one read-write-execute segment: hex2's ELF header template
# asks for PF_R|PF_W|PF_X and the seeds write nothing they execute.  The audit reports that as a warning
# finding for these programs; a policy with rwx_tolerated=False turns it into a failing check.
_FILTER = frozenset({"open", "read", "write", "exit"})
UPSTREAM_POLICIES: Mapping[str, ProgramPolicy] = {
    p.name: p
    for p in (
        ProgramPolicy("hex0-seed", _FILTER, True, "reads one file, writes one file"),
        ProgramPolicy("hex0", _FILTER, True, "reads one file, writes one file"),
        ProgramPolicy(
            "kaem-optional-seed",
            frozenset({"open", "read", "write", "exit", "brk", "fork", "execve", "wait4", "waitpid"}),
            True,
            "a minimal shell: reads a script, forks and executes each line, waits for it",
        ),
        ProgramPolicy("hex1", _FILTER | {"lseek"}, True, "two passes over its input (rewinds with lseek)"),
        ProgramPolicy("hex2-0", _FILTER | {"lseek", "brk"}, True, "two passes, a label table on the heap"),
        ProgramPolicy("catm", _FILTER | {"brk"}, True, "concatenates files through a heap buffer"),
        ProgramPolicy("M0", _FILTER | {"brk"}, True, "macro expansion with heap-allocated tokens"),
        ProgramPolicy("cc", _FILTER | {"brk"}, True, "a C subset compiler with a heap"),
    )
}


# Instructions no early program needs: each either needs privileges (and traps), talks to hardware, leaves
# user-mode control flow, or reads something that differs between machines or runs (a reproducible build must
# not depend on it).  Every decoded instruction is checked against this table.
_REASONS = {
    "privileged or hardware access": (
        "in",
        "out",
        "insb",
        "insw",
        "insd",
        "outsb",
        "outsw",
        "outsd",
        "cli",
        "sti",
        "hlt",
        "lgdt",
        "lidt",
        "lldt",
        "ltr",
        "lmsw",
        "clts",
        "invd",
        "wbinvd",
        "invlpg",
        "rdmsr",
        "wrmsr",
        "rdpmc",
        "swapgs",
        "sysexit",
        "sysret",
        "iret",
        "iretd",
        "iretq",
        "lds",
        "les",
        "lfs",
        "lgs",
        "lss",
    ),
    "far or trapping control transfer": (
        "ljmp",
        "lcall",
        "retf",
        "retfq",
        "int1",
        "int3",
        "into",
        "ud0",
        "ud1",
        "ud2",
        "sysenter",
    ),
    "result differs between machines or runs": ("rdtsc", "rdtscp", "rdrand", "rdseed", "rdpid", "cpuid", "xgetbv"),
}
UNUSUAL_INSTRUCTIONS: Mapping[str, str] = {m: why for why, names in _REASONS.items() for m in names}
