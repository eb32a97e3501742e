"""The loader's view of ELF files that gcc builds here, and of copies tampered with byte by byte: section
headers are never trusted, truncation is named as such."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from rootstock.core.elf import PT_INTERP, DamagedElfError, NotElfError, read_load_view
from rootstock.host import proc

# ELF64 header fields patched below: e_phoff, e_phentsize, e_phnum, e_shnum.
E_PHOFF, E_PHENTSIZE, E_PHNUM, E_SHNUM = 32, 54, 56, 60


@pytest.fixture(scope="module")
def dynamic(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A dynamically linked x86-64 executable (PT_INTERP, DT_NEEDED libc.so.6)."""
    tmp = tmp_path_factory.mktemp("elf")
    (tmp / "hi.c").write_text("int main(void) { return 0; }\n")
    proc.run(["gcc", "-o", str(tmp / "hi"), str(tmp / "hi.c")])
    return (tmp / "hi").read_bytes()


def tampered(data: bytes, *, no_interp: bool = False, phnum: int | None = None, shnum: int | None = None) -> bytes:
    """data with its PT_INTERP turned into PT_NULL, or its e_phnum or e_shnum set."""
    out = bytearray(data)
    (phoff,) = struct.unpack_from("<Q", out, E_PHOFF)
    phentsize, count = struct.unpack_from("<HH", out, E_PHENTSIZE)
    if no_interp:
        for at in range(phoff, phoff + count * phentsize, phentsize):
            if struct.unpack_from("<I", out, at)[0] == PT_INTERP:
                struct.pack_into("<I", out, at, 0)
    if phnum is not None:
        struct.pack_into("<H", out, E_PHNUM, phnum)
    if shnum is not None:
        struct.pack_into("<H", out, E_SHNUM, shnum)
    return bytes(out)


def write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "binary"
    path.write_bytes(data)
    return path


def test_the_dynamic_table_is_read_through_pt_dynamic_not_sections(tmp_path: Path, dynamic: bytes) -> None:
    view = read_load_view(write(tmp_path, tampered(dynamic, no_interp=True, shnum=0)))
    assert (view.interpreter, view.has_dynamic, view.needed) == (None, True, ("libc.so.6",))
    assert view.unloadable is None


def test_an_executable_without_program_headers_has_nothing_to_load(tmp_path: Path, dynamic: bytes) -> None:
    view = read_load_view(write(tmp_path, tampered(dynamic, phnum=0, shnum=0)))
    assert (view.elf_type, view.unloadable, view.has_dynamic) == ("ET_DYN", "no program headers", False)


@pytest.mark.parametrize(
    ("size", "missing"),
    [
        (4, "4 bytes, cut short inside the 16-byte ELF identification"),
        (40, "40 bytes, cut short inside the 64-byte ELF64 header"),
        (100, "program headers at offset 64 end past the file's 100 bytes"),
        (1000, "(PT_LOAD, "),
    ],
)
def test_a_truncated_elf_file_is_named_as_such(tmp_path: Path, dynamic: bytes, size: int, missing: str) -> None:
    path = write(tmp_path, dynamic[:size])
    with pytest.raises(DamagedElfError) as err:
        read_load_view(path)
    assert str(err.value).startswith(f"{path}: a truncated or damaged ELF file (")
    assert missing in str(err.value)
    assert err.value.exit_code == 3


def test_a_file_not_starting_as_elf_is_not_elf(tmp_path: Path) -> None:
    with pytest.raises(NotElfError, match=r": not an ELF file \(it is empty\)$"):
        read_load_view(write(tmp_path, b""))
    with pytest.raises(NotElfError, match=r"not an ELF file \(it starts with 23212f62, not the magic number 7f45"):
        read_load_view(write(tmp_path, b"#!/bin/sh\n"))
