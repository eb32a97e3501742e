"""Helpers for the audit tests: a miniature stage0-posix tree from rootstock's own fixtures, strict policies.

The tree is described by the real stages.toml: its systems' variables (architecture, load address, ELF header
template) and its steps' `audit` tables, so the fixtures follow the one record the audit reads.
"""

from __future__ import annotations

import shutil
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import tomlkit
from attrs import evolve, frozen

from rootstock.assemble.hex0 import assemble_hex0
from rootstock.audit.elfwrite import headers_size, minimal_elf
from rootstock.audit.external import gas_build
from rootstock.audit.inputs import AuditInputs
from rootstock.audit.m1 import expand_m1
from rootstock.audit.policy import UPSTREAM_POLICIES, Arch, ProgramPolicy
from rootstock.core.nar import file_nar_hash
from rootstock.options import GlobalOptions
from rootstock.plan import Plan
from rootstock.project import Project
from rootstock.stages.audit_inputs import given_inputs

REPO = Path(__file__).resolve().parents[2]
GRAPH: dict[str, Any] = tomllib.loads((REPO / "stages.toml").read_text())
# upstream architecture name -> the system of the graph that builds it
SYSTEMS = {spec["vars"]["arch"]: name for name, spec in GRAPH["systems"].items()}
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


def system_vars(arch: Arch) -> dict[str, str]:
    """The variables stages.toml gives the system that builds arch."""
    return GRAPH["systems"][SYSTEMS[arch.name]]["vars"]


def base(arch: Arch) -> int:
    """Where the chain loads arch's programs (vars.base-address)."""
    return int(system_vars(arch)["base-address"], 16)


def echo_program(arch: Arch) -> bytes:
    """The fixture program assembled by binutils and wrapped in rootstock's minimal ELF."""
    return minimal_elf(arch, gas_build(AUDIT / arch.name / "echo.S", arch, base(arch) + headers_size(arch)), base(arch))


def build_gas(arch: Arch, body: str) -> bytes:
    """A program from GAS instructions (intel syntax), as code right after the headers of a minimal ELF."""
    return minimal_elf(arch, assemble_gas(arch, body), base(arch))


def assemble_gas(arch: Arch, body: str) -> bytes:
    """Raw code for GAS instructions linked at the first address after the headers."""
    with tempfile.TemporaryDirectory() as work:
        source = Path(work) / "program.S"
        source.write_text(".intel_syntax noprefix\n.global _start\n.text\n_start:\n" + body + "\n")
        return gas_build(source, arch, base(arch) + headers_size(arch))


@frozen
class Tree:
    """Where the miniature tree lives, and a checkout whose stage graph pins its programs."""

    arch: Arch
    system: str
    m2arch: str
    seeds: Path
    sources: Path
    stages: Path
    checkout: Path

    def inputs(self, *, policies: dict[str, ProgramPolicy] = STRICT, checkout: Path | None = None) -> AuditInputs:
        """The audit's inputs as `audit --arch` gathers them from the checkout (strict policies by default)."""
        root = checkout or self.checkout
        plan = Plan.load(Project.load(GlobalOptions(root, root / "pins.toml", None, verbose=False)))
        return evolve(given_inputs(plan, self.arch.name, self.seeds, self.sources, self.stages), policies=policies)


def make_tree(root: Path, arch: Arch) -> Tree:
    """Seeds, sources (hex0/hex1/hex2/M1, GAS and Development twins) and chain binaries for one arch."""
    seeds, sources, stages = root / "seeds", root / "sources", root / "stages"
    for d in (seeds, sources / "GAS", sources / "Development", stages):
        d.mkdir(parents=True)
    a, lower = arch.name, system_vars(arch)["m2arch"]
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
    shutil.copyfile(AUDIT / a / "ELF.hex2", sources / system_vars(arch)["arch-elf"])
    for stem in ("hex1", "hex2", "catm", "M0", "cc"):
        shutil.copyfile(AUDIT / a / "echo.S", sources / "GAS" / f"{stem}_{lower}.S")
    for stem in ("hex1", "hex2", "catm", "M0"):
        (sources / "Development" / f"{stem}_{a}.M1").write_text(m1)
    (stages / "hex0").write_bytes(seed)
    for name in ("hex1", "hex2-0", "catm", "M0", f"cc_{lower}"):
        (stages / name).write_bytes(program)
    tree = Tree(arch, SYSTEMS[a], lower, seeds, sources, stages, root / "checkout")
    write_checkout(tree.checkout, tree)
    return tree


def write_checkout(root: Path, tree: Tree, *, wrong: str | None = None) -> Path:
    """A checkout whose stage graph is the real one's audited steps, pinning the tree's programs as outputs.

    The steps keep their builders and `audit` tables and the system its variables; the seed steps' outputs
    stay `pin:` references, to file pins of the tree's seeds. The step named wrong pins other bytes.
    """
    system = tree.system
    files = {
        "hex0": tree.seeds / "hex0-seed",
        "kaem-minimal": tree.seeds / "kaem-optional-seed",
        "hex1": tree.stages / "hex1",
        "hex2-0": tree.stages / "hex2-0",
        "catm": tree.stages / "catm",
        "M0": tree.stages / "M0",
        "cc_arch": tree.stages / f"cc_{tree.m2arch}",
    }
    pins: dict[str, Any] = {}
    steps = []
    for step in GRAPH["step"]:
        if "audit" not in step:
            continue
        data = files[step["name"]].read_bytes() + (b"\0" if step["name"] == wrong else b"")
        output = file_nar_hash(data, executable=True).sri
        pinned = step["output"][system]
        if pinned.startswith("pin:"):
            url = f"file://{files[step['name']]}"
            pins[pinned.removeprefix("pin:")] = {"kind": "file", "urls": [url], "executable": True, "hash": output}
            output = pinned
        fields = ("name", "builder", "audit")
        steps.append({key: step[key] for key in fields} | {"output": {system: output}})
    root.mkdir(parents=True, exist_ok=True)
    (root / "pins.toml").write_text(tomlkit.dumps({"pins": pins}))
    graph = {"systems": {system: GRAPH["systems"][system]}, "step": steps}
    (root / "stages.toml").write_text(tomlkit.dumps(graph))
    return root
