"""The ELF header of a file (ELF32 or ELF64, either byte order), and the loader's view of it: the program
headers, the PT_INTERP string and the dynamic table PT_DYNAMIC points to. Every reader of ELF files takes the
header from here, so that a file that is not ELF and one cut short are told apart the same way everywhere.

Section headers are left unread on purpose: they are optional (strip and a tamperer can remove them) and
neither the kernel nor ld.so reads them, so what a binary needs at load time must be read as they read it.
"""

from __future__ import annotations

import struct
from pathlib import Path

from attrs import frozen

from rootstock.core import files
from rootstock.errors import InputError

MAGIC = b"\x7fELF"
PT_LOAD, PT_DYNAMIC, PT_INTERP = 1, 2, 3
DT_NULL, DT_NEEDED, DT_STRTAB, DT_STRSZ = 0, 1, 5, 10
_IDENT_SIZE = 16
_BITS = {1: 32, 2: 64}
_ORDERS = {1: "<", 2: ">"}
# Per class: e_type … e_shstrndx after e_ident, its size with e_ident; a program header; a dynamic entry.
_HEADER = {32: ("HHIIIIIHHHHHH", 52), 64: ("HHIQQQIHHHHHH", 64)}
_PHDR = {32: "IIIIIIII", 64: "IIQQQQQQ"}
_DYN = {32: "iI", 64: "qQ"}
_TYPES = {0: "ET_NONE", 1: "ET_REL", 2: "ET_EXEC", 3: "ET_DYN", 4: "ET_CORE"}
_MACHINES = {3: "EM_386", 8: "EM_MIPS", 20: "EM_PPC", 21: "EM_PPC64", 22: "EM_S390", 40: "EM_ARM"}
_MACHINES |= {62: "EM_X86_64", 183: "EM_AARCH64", 243: "EM_RISCV", 258: "EM_LOONGARCH"}


class NotElfError(InputError):
    """A file given as an ELF binary does not start with the ELF magic number."""


class DamagedElfError(InputError):
    """A file that starts as ELF is cut short, or its headers point outside it."""

    def __init__(self, name: object, what: str) -> None:
        super().__init__(f"{name}: a truncated or damaged ELF file ({what})")


@frozen
class Header:
    """The fields of an ELF header that say where the rest of the file is."""

    bits: int
    order: str  # struct's byte order: "<" or ">"
    size: int
    type: int
    machine: int
    phoff: int
    shoff: int
    phentsize: int
    phnum: int
    shentsize: int
    shnum: int
    shstrndx: int


@frozen
class ProgramHeader:
    """One entry of the program header table (the fields the loader acts on)."""

    type: int
    offset: int
    vaddr: int
    filesz: int
    memsz: int


@frozen
class LoadView:
    """What the kernel and the dynamic loader see of an ELF file."""

    elf_type: str
    machine: str
    segments: tuple[ProgramHeader, ...]
    interpreter: str | None
    has_dynamic: bool
    # The DT_NEEDED libraries of the PT_DYNAMIC table; a name that cannot be found is described instead.
    needed: tuple[str, ...]

    @property
    def unloadable(self) -> str | None:
        """Why the loader has nothing to map (no program headers, or no PT_LOAD among them); None if it has."""
        if not self.segments:
            return "no program headers"
        return None if any(s.type == PT_LOAD for s in self.segments) else "no PT_LOAD program header"


def read_load_view(path: Path) -> LoadView:
    """Read the ELF file at path as the loader does.

    Raises:
        InputError: the file cannot be read.
        NotElfError: it does not start with the ELF magic number.
        DamagedElfError: it is cut short or its header, program headers, interpreter or dynamic table lie
            outside it (the message says which).
    """
    data = files.read_input_bytes(path, "binary", missing=f"binary {path}: cannot be read (no such file)")
    return parse_load_view(path, data)


def parse_load_view(path: Path, data: bytes) -> LoadView:
    """The loader's view of data, the contents of path (named in errors); as read_load_view."""
    header = read_header(data, path)
    bits, order, phoff, phentsize, phnum = header.bits, header.order, header.phoff, header.phentsize, header.phnum
    etype, machine = header.type, header.machine
    phdr = order + _PHDR[bits]
    if phnum and phentsize < struct.calcsize(phdr):
        raise DamagedElfError(
            path, f"program header entries of {phentsize} bytes, ELF{bits} needs {struct.calcsize(phdr)}"
        )
    if phoff + phnum * phentsize > len(data):
        what = f"its {phnum} program headers at offset {phoff} end past the file's {len(data)} bytes"
        raise DamagedElfError(path, what)
    segments = tuple(_segment(data, phdr, bits, phoff + i * phentsize) for i in range(phnum))
    for i, s in enumerate(segments):
        if s.type in (PT_LOAD, PT_DYNAMIC, PT_INTERP) and s.offset + s.filesz > len(data):
            what = f"program header {i} ({_segment_name(s.type)}, {s.filesz} bytes at offset {s.offset})"
            what += f" ends past the file's {len(data)} bytes"
            raise DamagedElfError(path, what)
    interp = next((s for s in segments if s.type == PT_INTERP), None)
    interpreter = None
    if interp is not None:
        interpreter = data[interp.offset : interp.offset + interp.filesz].split(b"\0")[0].decode("utf-8", "replace")
    dynamic = [s for s in segments if s.type == PT_DYNAMIC]
    needed = _needed(data, order + _DYN[bits], dynamic[0], segments) if dynamic else ()
    return LoadView(
        _TYPES.get(etype, f"type {etype}"),
        _MACHINES.get(machine, f"machine {machine}"),
        segments,
        interpreter,
        bool(dynamic),
        needed,
    )


def read_header(data: bytes, name: object) -> Header:
    """The ELF header of data, the contents of the file name (named in errors).

    Raises:
        NotElfError: data does not start with the ELF magic number.
        DamagedElfError: it is cut short inside the header, or its class or byte order is unknown.
    """
    if not data or not MAGIC.startswith(data[:4]):
        shown = f"it starts with {data[:4].hex()}, not the magic number 7f454c46" if data else "it is empty"
        msg = f"{name}: not an ELF file ({shown})"
        raise NotElfError(msg)
    if len(data) < _IDENT_SIZE:
        raise DamagedElfError(name, f"{len(data)} bytes, cut short inside the 16-byte ELF identification")
    if data[4] not in _BITS or data[5] not in _ORDERS:
        raise DamagedElfError(name, f"unknown ELF class {data[4]} or byte order {data[5]}")
    bits, order = _BITS[data[4]], _ORDERS[data[5]]
    fmt, size = _HEADER[bits]
    if len(data) < size:
        raise DamagedElfError(name, f"{len(data)} bytes, cut short inside the {size}-byte ELF{bits} header")
    etype, machine, _, _, phoff, shoff, _, _, phentsize, phnum, shentsize, shnum, shstrndx = struct.unpack_from(
        order + fmt, data, _IDENT_SIZE
    )
    return Header(bits, order, size, etype, machine, phoff, shoff, phentsize, phnum, shentsize, shnum, shstrndx)


def _segment(data: bytes, fmt: str, bits: int, at: int) -> ProgramHeader:
    if bits == 64:
        ptype, _, offset, vaddr, _, filesz, memsz, _ = struct.unpack_from(fmt, data, at)
    else:
        ptype, offset, vaddr, _, filesz, memsz, _, _ = struct.unpack_from(fmt, data, at)
    return ProgramHeader(ptype, offset, vaddr, filesz, memsz)


def _segment_name(ptype: int) -> str:
    return {PT_LOAD: "PT_LOAD", PT_DYNAMIC: "PT_DYNAMIC", PT_INTERP: "PT_INTERP"}.get(ptype, f"type {ptype}")


def _needed(data: bytes, fmt: str, dynamic: ProgramHeader, segments: tuple[ProgramHeader, ...]) -> tuple[str, ...]:
    """The DT_NEEDED names of the dynamic table, found as ld.so finds them: DT_STRTAB is an address."""
    size = struct.calcsize(fmt)
    tags: list[tuple[int, int]] = []
    for at in range(dynamic.offset, dynamic.offset + dynamic.filesz - size + 1, size):
        tag, value = struct.unpack_from(fmt, data, at)
        if tag == DT_NULL:
            break
        tags.append((tag, value))
    strtab = next((v for t, v in tags if t == DT_STRTAB), None)
    strsz = next((v for t, v in tags if t == DT_STRSZ), None)
    table = _mapped(data, strtab, strsz, segments) if strtab is not None else None
    names: list[str] = []
    for tag, value in tags:
        if tag != DT_NEEDED:
            continue
        end = table.find(b"\0", value) if table is not None and value < len(table) else -1
        if table is None or end < 0:
            names.append(f"(a library whose name at string table offset {value} cannot be read)")
        else:
            names.append(table[value:end].decode("utf-8", "replace"))
    return tuple(names)


def _mapped(data: bytes, address: int, size: int | None, segments: tuple[ProgramHeader, ...]) -> bytes | None:
    """The file bytes a PT_LOAD segment maps at address (at most size of them); None if none maps it."""
    for s in segments:
        if s.type == PT_LOAD and s.vaddr <= address < s.vaddr + s.filesz:
            start = s.offset + address - s.vaddr
            end = s.offset + s.filesz if size is None else min(start + size, s.offset + s.filesz)
            return data[start:end]
    return None
