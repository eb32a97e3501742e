"""Helpers for the audit tests: a miniature stage0-posix tree from rootstock's own fixtures, strict policies."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from attrs import evolve, frozen

from rootstock.assemble.hex0 import assemble_hex0
from rootstock.audit.elfwrite import headers_size, minimal_elf
from rootstock.audit.external import gas_build
from rootstock.audit.m1 import expand_m1
from rootstock.audit.policy import UPSTREAM_POLICIES, Arch, ProgramPolicy
from rootstock.core.nar import file_nar_hash

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
STAGE0 = FIXTURES / "stage0"
AUDIT = FIXTURES / "audit"
BASIC = frozenset({"open", "read", "write", "exit"})

# Every fixture program is R+X and asks for four calls, so the policies are strict: no RWX, nothing else.
STRICT = {
    name: ProgramPolicy(name, BASIC, rwx_tolerated=False, why="fixture", entry_at_code_start=True)
    for name in UPSTREAM_POLICIES
}
# rootstock's fixture seed keeps helpers before its entry point.
for _name in ("hex0-seed", "hex0"):
    STRICT[_name] = evolve(STRICT[_name], entry_at_code_start=False)


def hexdump(data: bytes) -> str:
    """hex0 text for bytes, sixteen to a line, with a comment."""
    lines = ["# rootstock audit fixture, written as hex0 by tests/audit/conftest.py"]
    lines += [" ".join(f"{b:02X}" for b in data[i : i + 16]) for i in range(0, len(data), 16)]
    return "\n".join(lines) + "\n"


def echo_program(arch: Arch) -> bytes:
    """The fixture program assembled by binutils and wrapped in rootstock's minimal ELF."""
    return minimal_elf(arch, gas_build(AUDIT / arch.name / "echo.S", arch, arch.base + headers_size(arch)), arch.base)


def build_gas(arch: Arch, body: str) -> bytes:
    """A program from GAS instructions (intel syntax), as code right after the headers of a minimal ELF."""
    return minimal_elf(arch, assemble_gas(arch, body), arch.base)


def assemble_gas(arch: Arch, body: str) -> bytes:
    """Raw code for GAS instructions linked at the first address after the headers."""
    with tempfile.TemporaryDirectory() as work:
        source = Path(work) / "program.S"
        source.write_text(".intel_syntax noprefix\n.global _start\n.text\n_start:\n" + body + "\n")
        return gas_build(source, arch, arch.base + headers_size(arch))


@frozen
class Tree:
    """Where the miniature tree lives."""

    arch: Arch
    seeds: Path
    sources: Path
    stages: Path


def make_tree(root: Path, arch: Arch) -> Tree:
    """Seeds, sources (hex0/hex1/hex2/M1, GAS and Development twins) and chain binaries for one arch."""
    seeds, sources, stages = root / "seeds", root / "sources", root / "stages"
    for d in (seeds, sources / "GAS", sources / "Development", stages):
        d.mkdir(parents=True)
    a, lower = arch.name, arch.lower
    seed_source = (STAGE0 / a / "seed.hex0").read_text()
    seed = assemble_hex0(seed_source)
    program = echo_program(arch)
    m1 = (AUDIT / a / "echo.M1").read_text()
    (seeds / "hex0-seed").write_bytes(seed)
    (seeds / "hex0-seed").chmod(0o755)
    (seeds / "kaem-optional-seed").write_bytes(program)
    (sources / f"hex0_{a}.hex0").write_text(seed_source)
    (sources / "kaem-minimal.hex0").write_text(hexdump(program))
    for name in (f"hex1_{a}.hex0", f"hex2_{a}.hex1", f"catm_{a}.hex2"):
        (sources / name).write_text(hexdump(program))
    (sources / f"M0_{a}.hex2").write_text(expand_m1(m1).hex2 + "\n")
    (sources / f"cc_{lower}.M1").write_text(m1)
    shutil.copyfile(AUDIT / a / "ELF.hex2", sources / arch.elf_header_source)
    for stem in ("hex1", "hex2", "catm", "M0", "cc"):
        shutil.copyfile(AUDIT / a / "echo.S", sources / "GAS" / f"{stem}_{lower}.S")
    for stem in ("hex1", "hex2", "catm", "M0"):
        (sources / "Development" / f"{stem}_{a}.M1").write_text(m1)
    (stages / "hex0").write_bytes(seed)
    for name in ("hex1", "hex2-0", "catm", "M0", f"cc_{lower}"):
        (stages / name).write_bytes(program)
    return Tree(arch, seeds, sources, stages)


def write_checkout(root: Path, tree: Tree, *, wrong: str | None = None) -> Path:
    """A checkout whose stage graph pins the tree's programs as step outputs (one of them wrongly if asked).

    The graph has the steps the audit reads hashes from; the seed is a file pin, the steps' builders are the
    seed and earlier steps, as in the real stages.toml.
    """
    system = "x86_64-linux" if tree.arch.bits == 64 else "i686-linux"
    files = {
        "hex0": tree.stages / "hex0",
        "kaem-minimal": tree.seeds / "kaem-optional-seed",
        "hex1": tree.stages / "hex1",
        "hex2-0": tree.stages / "hex2-0",
        "catm": tree.stages / "catm",
        "M0": tree.stages / "M0",
        "cc_arch": tree.stages / f"cc_{tree.arch.lower}",
    }
    seed_hash = file_nar_hash((tree.seeds / "hex0-seed").read_bytes(), executable=True).sri
    root.mkdir(parents=True, exist_ok=True)
    (root / "pins.toml").write_text(
        f'[pins.seed]\nkind = "file"\nurls = ["file://{tree.seeds}/hex0-seed"]\nexecutable = true\n'
        f'hash = "{seed_hash}"\n'
    )
    steps = [f'[systems.{system}]\nvars = {{ arch = "{tree.arch.name}" }}\n']
    builder = "pin:seed"
    for step, path in files.items():
        data = path.read_bytes()
        if step == wrong:
            data += b"\0"
        output = file_nar_hash(data, executable=True).sri
        steps.append(f'[[step]]\nname = "{step}"\nbuilder = "{builder}"\noutput = {{ {system} = "{output}" }}\n')
        builder = "hex0"
    (root / "stages.toml").write_text("\n".join(steps))
    return root
