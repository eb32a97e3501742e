"""Tiny ELF files written by the tests: a header, one program header, named sections, the section headers."""

from __future__ import annotations

import struct

SHT_PROGBITS, SHT_STRTAB, SHT_NOBITS = 1, 3, 8


def tiny_elf(sections: dict[str, bytes], *, bits: int = 32, big: bool = False, bss: int = 0) -> bytes:
    """An ELF executable whose sections hold the given bytes, in order, after the header and one program
    header; then `.bss` (bss bytes, none in the file) and `.shstrtab`; the section headers last."""
    order = ">" if big else "<"
    header_size, ph_size, sh_size = (52, 32, 40) if bits == 32 else (64, 56, 64)
    names = b"\0" + b"".join(name.encode() + b"\0" for name in [*sections, ".bss", ".shstrtab"])
    body = bytearray(header_size + ph_size)
    entries = [(0, 0, 0, 0)]  # the null section
    for name, data in sections.items():
        entries.append((names.index(name.encode() + b"\0"), SHT_PROGBITS, len(body), len(data)))
        body += data
    entries.append((names.index(b".bss\0"), SHT_NOBITS, len(body), bss))
    entries.append((names.index(b".shstrtab\0"), SHT_STRTAB, len(body), len(names)))
    body += names
    shoff = len(body)
    for name_off, kind, offset, size in entries:
        if bits == 32:
            body += struct.pack(order + "IIIIIIIIII", name_off, kind, 0, 0, offset, size, 0, 0, 1, 0)
        else:
            body += struct.pack(order + "IIQQQQIIQQ", name_off, kind, 0, 0, offset, size, 0, 0, 1, 0)
    ident = b"\x7fELF" + bytes([1 if bits == 32 else 2, 2 if big else 1, 1]) + bytes(9)
    fmt = "HHIIIIIHHHHHH" if bits == 32 else "HHIQQQIHHHHHH"
    header = struct.pack(
        order + fmt,
        2,
        3 if bits == 32 else 62,
        1,
        0,
        header_size,
        shoff,
        0,
        header_size,
        ph_size,
        1,
        sh_size,
        len(entries),
        len(entries) - 1,
    )
    body[:header_size] = ident + header
    return bytes(body)
