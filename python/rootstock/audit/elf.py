"""ELF header and program header checks against what a minimal static Linux executable must contain."""

from __future__ import annotations

import itertools
import struct

from attrs import frozen

from rootstock.audit.model import Check, Finding, Region
from rootstock.audit.policy import Arch, ProgramPolicy
from rootstock.errors import InputError

PT_LOAD = 1
PF_X, PF_W, PF_R = 1, 2, 4
# Linux refuses to map below vm.mmap_min_addr (65536 by default), so a segment there cannot load.
MMAP_MIN_ADDR = 0x10000


@frozen
class Segment:
    """One program header."""

    index: int
    type: int
    flags: int
    offset: int
    vaddr: int
    paddr: int
    filesz: int
    memsz: int
    align: int

    def contains(self, address: int) -> bool:
        """True when address is backed by file bytes of this segment."""
        return self.type == PT_LOAD and self.vaddr <= address < self.vaddr + self.filesz

    def file_offset(self, address: int) -> int:
        """The file offset holding the byte loaded at address."""
        return self.offset + address - self.vaddr


@frozen
class ElfImage:
    """A parsed executable: its fields, segments, and the checks and findings about them."""

    entry: int
    phoff: int
    phnum: int
    segments: tuple[Segment, ...]
    checks: tuple[Check, ...]
    findings: tuple[Finding, ...]
    regions: tuple[Region, ...]

    def segment_at(self, address: int) -> Segment | None:
        """The loadable segment whose file bytes hold address."""
        return next((s for s in self.segments if s.contains(address)), None)

    def address_of(self, offset: int) -> int | None:
        """The address a file offset is loaded at, if a loadable segment maps it."""
        return image_address([s for s in self.segments if s.type == PT_LOAD], offset)


def flags_text(flags: int) -> str:
    """Segment flags as `RWX` letters, `-` for a missing permission."""
    return "".join(letter if flags & bit else "-" for letter, bit in (("R", PF_R), ("W", PF_W), ("X", PF_X)))


class _Checks:
    """Collects numbered checks under one id prefix."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.items: list[Check] = []

    def add(self, key: str, what: str, expected: object, observed: object, passed: bool) -> None:
        self.items.append(Check(f"{self.prefix}/{key}", what, str(expected), str(observed), passed))

    def equal(self, key: str, what: str, expected: int | bytes, observed: int | bytes) -> None:
        self.add(key, what, _shown(expected), _shown(observed), expected == observed)


def _shown(value: int | bytes) -> str:
    return value.hex() if isinstance(value, bytes) else hex(value)


def _read_header(name: str, data: bytes, arch: Arch) -> tuple[int, ...]:
    if len(data) < arch.ehsize:
        msg = f"{name}: {len(data)} bytes, too short for the {arch.ehsize}-byte ELF header of an {arch.name} executable"
        raise InputError(msg)
    w = arch.word
    return struct.unpack_from(f"<HHI{w}{w}{w}IHHHHHH", data, 16)


def _read_segment(data: bytes, arch: Arch, index: int, at: int) -> Segment:
    if arch.elf_class == 2:
        ptype, flags, offset, vaddr, paddr, filesz, memsz, align = struct.unpack_from("<IIQQQQQQ", data, at)
    else:
        ptype, offset, vaddr, paddr, filesz, memsz, flags, align = struct.unpack_from("<IIIIIIII", data, at)
    return Segment(index, ptype, flags, offset, vaddr, paddr, filesz, memsz, align)


def inspect_elf(name: str, data: bytes, arch: Arch, policy: ProgramPolicy) -> ElfImage:
    """Check every ELF and program header field of a program file.

    Raises:
        InputError: the file is too short to hold its ELF header or its program header table.
    """
    header = _read_header(name, data, arch)
    c = _Checks(f"{name}/elf")
    findings: list[Finding] = []
    ident = data[:16]
    c.equal("ident.magic", "ELF magic number", b"\x7fELF", ident[:4])
    c.equal("ident.class", "ELF class (1 = 32-bit, 2 = 64-bit)", arch.elf_class, ident[4])
    c.equal("ident.data", "byte order (1 = little endian)", 1, ident[5])
    c.equal("ident.version", "ident version", 1, ident[6])
    c.add("ident.osabi", "OS ABI is System V (0) or Linux (3)", "0 or 3", ident[7], ident[7] in (0, 3))
    c.equal("ident.abiversion", "ABI version", 0, ident[8])
    c.equal("ident.pad", "identification padding is zero", bytes(7), ident[9:16])
    (etype, machine, version, entry, phoff, shoff, eflags, ehsize, phentsize, phnum, shentsize, shnum, shstrndx) = (
        header
    )
    c.equal("type", "object type is an executable (ET_EXEC)", 2, etype)
    c.equal("machine", f"machine is {arch.name}", arch.machine, machine)
    c.equal("version", "ELF version", 1, version)
    c.equal("flags", "processor flags (none on x86)", 0, eflags)
    c.equal("ehsize", "ELF header size", arch.ehsize, ehsize)
    c.equal("phentsize", "program header entry size", arch.phentsize, phentsize)
    c.add("phnum", "at least one program header", ">= 1", phnum, phnum >= 1)
    c.equal("shoff", "no section header table (a loader needs none)", 0, shoff)
    c.equal("shnum", "no section headers", 0, shnum)
    c.equal("shstrndx", "no section name table", 0, shstrndx)
    c.add(
        "shentsize",
        "section header entry size is 0 or the standard size",
        f"0 or {arch.ehsize - 24}",
        shentsize,
        shentsize in (0, 40 if arch.elf_class == 1 else 64),
    )
    table_end = phoff + phnum * arch.phentsize
    c.add(
        "phoff",
        "program header table lies inside the file",
        f"end <= {len(data)}",
        f"end = {table_end}",
        phoff > 0 and table_end <= len(data),
    )
    if table_end > len(data) or phentsize != arch.phentsize:
        msg = (
            f"{name}: program header table at {phoff} ({phnum} x {arch.phentsize} bytes) does not fit in "
            f"the file of {len(data)} bytes"
        )
        raise InputError(msg)
    segments = tuple(_read_segment(data, arch, i, phoff + i * arch.phentsize) for i in range(phnum))
    for seg in segments:
        _check_segment(c, findings, name=name, seg=seg, size=len(data), policy=policy)
    loads = [s for s in segments if s.type == PT_LOAD]
    _check_overlaps(c, loads)
    file_end = max((s.offset + s.filesz for s in loads), default=0)
    c.add(
        "size",
        "the file ends where the last loaded segment's file bytes end (nothing outside a segment)",
        file_end,
        len(data),
        file_end == len(data),
    )
    holder = next((s for s in loads if s.contains(entry)), None)
    c.add(
        "entry",
        "entry point lies in the file bytes of an executable loaded segment",
        "inside an X segment",
        f"{entry:#x} in segment {holder.index if holder else 'none'}",
        holder is not None and bool(holder.flags & PF_X),
    )
    if policy.entry_at_code_start:
        code_start = image_address(loads, max(arch.ehsize, table_end))
        c.add(
            "entry.first",
            "entry point is the first byte after the headers, where the program's code starts",
            hex(code_start) if code_start is not None else "an address",
            hex(entry),
            entry == code_start,
        )
    regions = [Region(0, arch.ehsize, "elf-header"), Region(phoff, table_end, "program-headers")]
    if phoff < arch.ehsize:
        findings.append(
            Finding(
                f"{name}/elf/overlap",
                "info",
                f"the program header table starts at {phoff}, inside the {arch.ehsize}-byte ELF header; the "
                f"{arch.ehsize - phoff} shared bytes are read as both (a size trick, legal for the kernel loader)",
            )
        )
    return ElfImage(entry, phoff, phnum, segments, tuple(c.items), tuple(findings), tuple(regions))


def _check_segment(
    c: _Checks, findings: list[Finding], *, name: str, seg: Segment, size: int, policy: ProgramPolicy
) -> None:
    key = f"phdr{seg.index}"
    c.equal(f"{key}.type", f"program header {seg.index} is loadable (PT_LOAD)", PT_LOAD, seg.type)
    if seg.type != PT_LOAD:
        return
    c.add(
        f"{key}.extent",
        f"segment {seg.index} file bytes lie inside the file",
        f"end <= {size}",
        f"end = {seg.offset + seg.filesz}",
        seg.offset + seg.filesz <= size,
    )
    c.add(
        f"{key}.memsz",
        f"segment {seg.index} memory size covers its file size",
        f">= {seg.filesz}",
        seg.memsz,
        seg.memsz >= seg.filesz,
    )
    aligned = seg.align <= 1 or (seg.vaddr - seg.offset) % seg.align == 0
    c.add(
        f"{key}.align",
        f"segment {seg.index} address and offset agree modulo its alignment",
        "vaddr = offset (mod align)",
        f"vaddr {seg.vaddr:#x}, offset {seg.offset:#x}, align {seg.align:#x}",
        aligned,
    )
    c.add(
        f"{key}.page",
        f"segment {seg.index} address and offset agree modulo the 4 KiB page",
        "equal mod 4096",
        f"{seg.vaddr % 4096:#x} vs {seg.offset % 4096:#x}",
        (seg.vaddr - seg.offset) % 4096 == 0,
    )
    c.add(
        f"{key}.vaddr",
        f"segment {seg.index} loads above vm.mmap_min_addr",
        f">= {MMAP_MIN_ADDR:#x}",
        hex(seg.vaddr),
        seg.vaddr >= MMAP_MIN_ADDR,
    )
    c.add(
        f"{key}.flags",
        f"segment {seg.index} flags are only R, W, X and allow reading or executing",
        "subset of RWX, not empty",
        flags_text(seg.flags),
        seg.flags & ~7 == 0 and seg.flags & (PF_R | PF_X) != 0,
    )
    rwx = seg.flags & (PF_W | PF_X) == (PF_W | PF_X)
    if rwx and policy.rwx_tolerated:
        findings.append(
            Finding(
                f"{name}/elf/{key}.rwx",
                "warning",
                f"segment {seg.index} is mapped read-write-execute ({flags_text(seg.flags)}); tolerated by policy "
                f"'{policy.name}' because the whole program is one segment, but its code could be rewritten "
                "at run time",
            )
        )
    c.add(
        f"{key}.wx",
        f"segment {seg.index} is not writable and executable, unless the policy tolerates it",
        "W^X" if not policy.rwx_tolerated else "W^X or tolerated RWX",
        flags_text(seg.flags),
        not rwx or policy.rwx_tolerated,
    )


def image_address(loads: list[Segment], offset: int) -> int | None:
    """The address the byte at a file offset is loaded at, if a loadable segment maps it."""
    seg = next((s for s in loads if s.offset <= offset < s.offset + s.filesz), None)
    return None if seg is None else seg.vaddr + offset - seg.offset


def _check_overlaps(c: _Checks, loads: list[Segment]) -> None:
    spans = sorted((s.vaddr, s.vaddr + s.memsz, s.index) for s in loads)
    clashes = [f"{a[2]}/{b[2]}" for a, b in itertools.pairwise(spans) if b[0] < a[1]]
    c.add(
        "segments.disjoint",
        "loaded segments do not overlap in memory",
        "no overlap",
        ", ".join(clashes) or "no overlap",
        not clashes,
    )
