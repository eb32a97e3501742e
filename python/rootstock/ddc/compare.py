"""A DDC pass's verdict from its four outputs: the programs hashed, tcc-host2 compared with tcc-chain2 byte for
byte, the first difference placed in an ELF section, and the facts the verdict rests on, as the report's
`ddc` section. Pure: it reads the given directories and runs nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from attrs import asdict, frozen

from rootstock.ddc.elf import read_elf
from rootstock.errors import InputError, RootstockError

HOST_RECORD = "share/ddc/host-compiler.txt"
"""What the host build records of its compiler (`--version`, the sha256 of each program it ran)."""
ROLES = ("tcc-chain", "tcc-host", "tcc-host2", "tcc-chain2")


class DdcMismatchError(RootstockError):
    """tcc-host2 and tcc-chain2 are not the same bytes: the pass failed."""


@frozen
class Outputs:
    """The store paths of a pass: the chain step, the self-compile step, the host build and its self-compile."""

    chain: Path
    chain2: Path
    host: Path
    host2: Path

    def of(self, role: str) -> Path:
        """The output a role's program is in."""
        return {"tcc-chain": self.chain, "tcc-host": self.host, "tcc-host2": self.host2, "tcc-chain2": self.chain2}[
            role
        ]


@frozen
class Facts:
    """What the pass compiled with, from the plan: the source pin, the options and where they come from."""

    name: str
    system: str
    source_pin: str
    source_hash: str
    chain_step: str
    self_compile_step: str
    program: str
    libc: str
    compiler_var: str
    host_argv: tuple[str, ...]
    flags: Mapping[str, list[str]]


@frozen
class Program:
    """One compiler of the pass: where it is and its sha256."""

    role: str
    path: str
    sha256: str
    size: int


@frozen
class Difference:
    """The first byte at which tcc-host2 and tcc-chain2 differ, and the part of each file it is in."""

    offset: int
    host2_part: str
    chain2_part: str

    def where(self) -> str:
        """`section .text` when both files put the offset in one part, else both parts named."""
        if self.host2_part == self.chain2_part:
            return self.host2_part
        return f"{self.host2_part} of tcc-host2, {self.chain2_part} of tcc-chain2"


@frozen
class Result:
    """The pass's verdict and everything it rests on (report.json's `ddc` section)."""

    facts: Facts
    programs: tuple[Program, ...]
    libc_files: Mapping[str, str]
    """sha256 of each file of the chain step's libc directory (the `-B` of every compile)."""
    host_compiler: str
    """The host build's own record of its compiler."""
    store_paths: Mapping[str, str]
    verdict: Literal["equal", "differ"]
    difference: Difference | None = None
    fixed_point: bool = True
    """Whether tcc-chain2 equals tcc-chain (the chain's own fixed point, which Nix checked when pinned)."""

    def program(self, role: str) -> Program:
        """One compiler by role."""
        return next(p for p in self.programs if p.role == role)

    def to_json(self) -> dict[str, Any]:
        """The report's `ddc` section: plain data, keys sorted when written."""
        data = asdict(self)
        data["programs"] = {p["role"]: {k: v for k, v in p.items() if k != "role"} for p in data["programs"]}
        return data

    def mismatch_message(self) -> str:
        """The one message of a failed pass: the first differing byte and its ELF section."""
        assert self.difference is not None
        d = self.difference
        host2, chain2 = self.program("tcc-host2"), self.program("tcc-chain2")
        return (
            f"ddc '{self.facts.name}': tcc-host2 differs from tcc-chain2 first at byte offset {d.offset} "
            f"(0x{d.offset:x}), in {d.where()} (tcc-host2 {host2.size} bytes sha256 {host2.sha256}, "
            f"tcc-chain2 {chain2.size} bytes sha256 {chain2.sha256})"
        )

    def markdown(self) -> list[str]:
        """The report's DDC section in Markdown (the runner's table of derivations comes before it)."""
        f = self.facts
        verdict = (
            "**PASS**: tcc-host2 and tcc-chain2 are identical"
            if self.verdict == "equal"
            else f"**FAIL**: {self.mismatch_message()}"
        )
        return [
            f"## DDC `{f.name}` on {f.system}: {verdict}",
            "",
            f"Source: pin `{f.source_pin}` (`{f.source_hash}`); chain step `{f.chain_step}`, self-compile step "
            f"`{f.self_compile_step}` (its `{f.compiler_var}` set to tcc-host for tcc-host2).",
            "",
            "| compiler | sha256 | bytes | path |",
            "| --- | --- | --- | --- |",
            *(f"| {p.role} | `{p.sha256}` | {p.size} | `{p.path}` |" for p in self.programs),
            "",
            f"tcc-chain2 {'equals' if self.fixed_point else 'DIFFERS FROM'} tcc-chain (the chain's fixed point).",
            "",
            f"Host compiler argv: `{' '.join(f.host_argv)}`; its record (`{HOST_RECORD}`):",
            "",
            "```",
            *self.host_compiler.rstrip("\n").splitlines(),
            "```",
            "",
            f"libc (`-B {self.store_paths['tcc-chain']}/{f.libc}`):",
            "",
            "| file | sha256 |",
            "| --- | --- |",
            *(f"| {name} | `{digest}` |" for name, digest in self.libc_files.items()),
            "",
            "Options:",
            "",
            *(f"- `{name}`: `{' '.join(items)}`" for name, items in f.flags.items()),
        ]


def sha256(path: Path) -> str:
    """A file's sha256, hex."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def first_difference(a: bytes, b: bytes) -> int | None:
    """The first offset where a and b differ (the shorter one's length when one is a prefix); None if equal."""
    if a == b:
        return None
    for index, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return index
    return min(len(a), len(b))


def _program(outputs: Outputs, role: str, facts: Facts) -> tuple[Path, bytes]:
    out = outputs.of(role)
    path = out / facts.program
    if not out.is_dir():
        msg = f"ddc '{facts.name}': {role}: the output {out} does not exist (build it, or run without --require-chain)"
        raise InputError(msg)
    if not path.is_file():
        msg = f"ddc '{facts.name}': {role}: {out} has no {facts.program}"
        raise InputError(msg)
    data = path.read_bytes()
    read_elf(data, f"ddc '{facts.name}': {role} {path}")
    return path, data


def compare(facts: Facts, outputs: Outputs) -> Result:
    """Hash the four compilers and the libc, and compare tcc-host2 with tcc-chain2.

    Raises:
        InputError: an output or its program is missing; a program is not an ELF file; the chain step has no
            libc directory; the host build did not record its compiler.
    """
    programs, contents = [], {}
    for role in ROLES:
        path, data = _program(outputs, role, facts)
        contents[role] = data
        programs.append(Program(role, str(path), hashlib.sha256(data).hexdigest(), len(data)))
    libc = outputs.chain / facts.libc
    if not libc.is_dir():
        msg = f"ddc '{facts.name}': the chain step's libc directory {libc} does not exist"
        raise InputError(msg)
    libc_files = {p.relative_to(libc).as_posix(): sha256(p) for p in sorted(libc.rglob("*")) if p.is_file()}
    record = outputs.host / HOST_RECORD
    if not record.is_file():
        msg = f"ddc '{facts.name}': tcc-host {outputs.host} has no {HOST_RECORD} (which compiler built it?)"
        raise InputError(msg)
    host2, chain2 = contents["tcc-host2"], contents["tcc-chain2"]
    offset = first_difference(host2, chain2)
    difference = None
    if offset is not None:
        difference = Difference(
            offset,
            read_elf(host2, "tcc-host2").part_at(offset),
            read_elf(chain2, "tcc-chain2").part_at(offset),
        )
    return Result(
        facts,
        tuple(programs),
        libc_files,
        record.read_text(errors="replace"),
        {role: str(outputs.of(role)) for role in ROLES},
        "equal" if offset is None else "differ",
        difference,
        fixed_point=contents["tcc-chain"] == chain2,
    )
