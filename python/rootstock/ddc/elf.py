"""The section headers of an ELF32 or ELF64 file, either byte order, and which part of the file a byte offset
falls in: the ELF header, the program headers, a section (by name), the section headers, or none of them.

Kept apart from audit/elf.py (which reads the chain's early programs as the audit needs them): this one
only names where two compilers' outputs first differ.
"""

from __future__ import annotations

import struct

from attrs import frozen

from rootstock.errors import InputError

MAGIC = b"\x7fELF"
SHT_NOBITS = 8
CLASSES = {1: 32, 2: 64}
ORDERS = {1: "<", 2: ">"}
# e_type … e_shstrndx after e_ident, per class: (format, size of the header).
HEADER = {32: ("HHIIIIIHHHHHH", 52), 64: ("HHIQQQIHHHHHH", 64)}
SECTION = {32: ("IIIIIIIIII", 40), 64: ("IIQQQQIIQQ", 64)}


class NotElfError(InputError):
    """A file that should be an ELF program is not one, or its headers point outside it."""


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
        NotElfError: naming what: no ELF magic, an unknown class or byte order, or headers outside the file.
    """
    if data[:4] != MAGIC:
        msg = f"{what} is not an ELF file (it starts with {data[:4].hex() or 'nothing'}, not 7f454c46)"
        raise NotElfError(msg)
    if len(data) < 6 or data[4] not in CLASSES or data[5] not in ORDERS:
        msg = f"{what}: unknown ELF class or byte order ({data[4:6].hex()})"
        raise NotElfError(msg)
    bits, order = CLASSES[data[4]], ORDERS[data[5]]
    fmt, header_size = HEADER[bits]
    if len(data) < header_size:
        msg = f"{what}: truncated ELF header ({len(data)} bytes, ELF{bits} needs {header_size})"
        raise NotElfError(msg)
    fields = struct.unpack_from(order + fmt, data, 16)
    phoff, shoff = fields[4], fields[5]
    phentsize, phnum, shentsize, shnum, shstrndx = fields[8:13]
    sfmt, ssize = SECTION[bits]
    if shnum and (shentsize < ssize or shoff + shnum * shentsize > len(data)):
        msg = f"{what}: section headers ({shnum} at {shoff}) lie outside the file ({len(data)} bytes)"
        raise NotElfError(msg)
    raw = [struct.unpack_from(order + sfmt, data, shoff + i * shentsize) for i in range(shnum)]
    names = b""
    if shnum and shstrndx < shnum:
        _, _, _, _, stroff, strsize, *_ = raw[shstrndx]
        names = data[stroff : stroff + strsize]
    sections = tuple(
        Section(_name(names, entry[0]), entry[1], entry[4], entry[5]) for entry in raw[1:] if entry[1] != 0
    )
    return Elf(bits, header_size, phoff, phentsize * phnum, shoff, shentsize * shnum, sections)


def _name(table: bytes, offset: int) -> str:
    end = table.find(b"\0", offset)
    return table[offset : end if end >= 0 else len(table)].decode("ascii", "replace")
