"""The DDC's ELF section reader on tiny ELF32 and ELF64 files written here."""

from __future__ import annotations

import pytest
from elf_support import tiny_elf

from rootstock.core.elf import DamagedElfError, NotElfError
from rootstock.ddc.elf import read_elf
from rootstock.errors import ExitCode


@pytest.mark.parametrize(("bits", "big"), [(32, False), (64, False), (32, True), (64, True)])
def test_sections_are_read_with_their_names_and_extents(bits: int, big: bool) -> None:
    data = tiny_elf({".text": b"\x90" * 16, ".data": b"\1\2\3\4"}, bits=bits, big=big, bss=64)
    elf = read_elf(data, "t")
    assert elf.bits == bits
    assert [s.name for s in elf.sections] == [".text", ".data", ".bss", ".shstrtab"]
    text = elf.sections[0]
    header = 52 + 32 if bits == 32 else 64 + 56
    assert (text.offset, text.size) == (header, 16)


def test_an_offset_is_placed_in_the_part_of_the_file_that_holds_it() -> None:
    data = tiny_elf({".text": b"\x90" * 16, ".data": b"\1\2\3\4"}, bss=64)
    elf = read_elf(data, "t")
    assert elf.part_at(0) == "ELF header"
    assert elf.part_at(51) == "ELF header"
    assert elf.part_at(52) == "program headers"
    assert elf.part_at(84) == "section .text"
    assert elf.part_at(84 + 16) == "section .data"
    # .bss holds no bytes of the file: the byte after .data is .shstrtab's first.
    assert elf.part_at(84 + 20) == "section .shstrtab"
    assert elf.part_at(elf.shoff) == "section headers"
    assert elf.part_at(len(data) + 10) == "no section"


def test_a_file_that_is_not_elf_is_one_clear_error() -> None:
    with pytest.raises(
        NotElfError, match=r"^prog: not an ELF file \(it starts with 23212f62, not the magic number 7f454c46\)$"
    ) as e:
        read_elf(b"#!/bin/sh\n", "prog")
    assert e.value.exit_code == ExitCode.BAD_INPUT
    with pytest.raises(NotElfError, match=r"^empty: not an ELF file \(it is empty\)$"):
        read_elf(b"", "empty")


def test_a_truncated_or_inconsistent_elf_is_refused() -> None:
    data = tiny_elf({".text": b"\x90"})
    damaged = r"^t: a truncated or damaged ELF file "
    with pytest.raises(DamagedElfError, match=damaged + r"\(30 bytes, cut short inside the 52-byte ELF32 header\)$"):
        read_elf(data[:30], "t")
    with pytest.raises(DamagedElfError, match=damaged + r"\(4 bytes, cut short inside the 16-byte ELF identification"):
        read_elf(data[:4], "t")
    with pytest.raises(DamagedElfError, match=damaged + r"\(section headers .* lie outside the file"):
        read_elf(data[:-8], "t")
    with pytest.raises(DamagedElfError, match=damaged + r"\(unknown ELF class 3 or byte order 1\)$"):
        read_elf(b"\x7fELF\x03\x01" + bytes(60), "t")
