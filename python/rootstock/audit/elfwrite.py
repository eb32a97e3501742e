"""Writes the smallest static Linux executable around a block of code: one ELF header, one PT_LOAD segment."""

from __future__ import annotations

import struct

from rootstock.audit.policy import Arch

PF_RX = 5


def headers_size(arch: Arch) -> int:
    """Bytes taken by the ELF header and one program header; code starts right after them."""
    return arch.ehsize + arch.phentsize


def minimal_elf(
    arch: Arch, body: bytes, base: int, *, flags: int = PF_RX, entry: int | None = None, filesz: int | None = None
) -> bytes:
    """An executable whose single segment maps the whole file at base and whose entry is the first body byte.

    entry and filesz override the computed values (the audit's tests plant faults with them).

    Examples:
        >>> from rootstock.audit.policy import ARCHES
        >>> len(minimal_elf(ARCHES["x86"], b"\\x90", 0x8048000))
        85
    """
    start = base + headers_size(arch)
    size = headers_size(arch) + len(body) if filesz is None else filesz
    ident = b"\x7fELF" + bytes([arch.elf_class, 1, 1, 3]) + bytes(8)
    w = arch.word
    fields = (2, arch.machine, 1, start if entry is None else entry, arch.ehsize, 0, 0)
    header = ident + struct.pack(f"<HHI{w}{w}{w}IHHHHHH", *fields, arch.ehsize, arch.phentsize, 1, 0, 0, 0)
    # ELF64 moves p_flags up next to p_type so that the 64-bit fields stay aligned.
    if arch.elf_class == 2:
        program = struct.pack("<IIQQQQQQ", 1, flags, 0, base, base, size, size, 0x1000)
    else:
        program = struct.pack("<IIIIIIII", 1, 0, base, base, size, size, flags, 0x1000)
    return header + program + body
