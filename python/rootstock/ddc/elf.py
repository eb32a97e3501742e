"""The section headers of an ELF32 or ELF64 file, either byte order, and which part of the file a byte offset
falls in: the ELF header, the program headers, a section (by name), the section headers, or none of them.

Kept apart from audit/elf.py (which reads the chain's early programs as the audit needs them): this one
only names where two compilers' outputs first differ. The ELF header is core/elf.py's, as every reader's.
"""

from __future__ import annotations

import struct

from attrs import frozen

from rootstock.core.elf import DamagedElfError, read_header

SHT_NOBITS = 8
SECTION = {32: ("IIIIIIIIII", 40), 64: ("IIQQQQIIQQ", 64)}


@frozen
class Section:
    """One section header: its name, type and where its bytes are in the file (none for SHT_NOBITS)."""

    name: str
    type: int
    offset: int
    size: int

    @property
    def in_file(self) -> bool:
        """Whether the section occupies bytes of the file (`.bss` does not)."""
        return self.type != SHT_NOBITS and self.size > 0


@frozen
class Elf:
    """What the reader takes from an ELF file: class, header extents and the sections."""

    bits: int
    header_size: int
    phoff: int
    phsize: int
    shoff: int
    shsize: int
    sections: tuple[Section, ...]

    def part_at(self, offset: int) -> str:
        """The part of the file holding byte offset: `ELF header`, `program headers`, `section .text`,
        `section headers`, or `no section` (padding between them, or past the end)."""
        if offset < self.header_size:
            return "ELF header"
        if self.phsize and self.phoff <= offset < self.phoff + self.phsize:
            return "program headers"
        for section in self.sections:
            if section.in_file and section.offset <= offset < section.offset + section.size:
                return f"section {section.name or '(unnamed)'}"
        if self.shsize and self.shoff <= offset < self.shoff + self.shsize:
            return "section headers"
        return "no section"


def read_elf(data: bytes, what: str) -> Elf:
    """Parse data's ELF header and section headers.

    Raises:
        NotElfError: naming what: no ELF magic.
        DamagedElfError: naming what: cut short, an unknown class or byte order, or headers outside the file.
    """
    header = read_header(data, what)
    order, shoff, shentsize, shnum = header.order, header.shoff, header.shentsize, header.shnum
    sfmt, ssize = SECTION[header.bits]
    if shnum and (shentsize < ssize or shoff + shnum * shentsize > len(data)):
        raise DamagedElfError(what, f"section headers ({shnum} at {shoff}) lie outside the file ({len(data)} bytes)")
    raw = [struct.unpack_from(order + sfmt, data, shoff + i * shentsize) for i in range(shnum)]
    names = b""
    if shnum and header.shstrndx < shnum:
        _, _, _, _, stroff, strsize, *_ = raw[header.shstrndx]
        names = data[stroff : stroff + strsize]
    sections = tuple(
        Section(_name(names, entry[0]), entry[1], entry[4], entry[5]) for entry in raw[1:] if entry[1] != 0
    )
    phsize = header.phentsize * header.phnum
    return Elf(header.bits, header.size, header.phoff, phsize, shoff, shentsize * shnum, sections)


def _name(table: bytes, offset: int) -> str:
    end = table.find(b"\0", offset)
    return table[offset : end if end >= 0 else len(table)].decode("ascii", "replace")
